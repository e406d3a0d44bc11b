// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import org.dmabuf.api.fence.DmaFence;

/**
 * {@code struct sync_file}: a fence as a file, so it can sit in an fd table
 * and travel between bundles. Holds one reference to its fence.
 *
 * @param fence the fence
 * @param name its name
 * @param ino its inode number
 */
public record SyncFile(DmaFence fence, String name, long ino) {
    @Override
    public String toString() {
        return "sync_file " + name + " (" + fence + ")";
    }
}
