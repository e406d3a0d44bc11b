// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

import java.util.List;

/**
 * {@code struct sync_file_info}, as {@code SYNC_IOC_FILE_INFO} fills it
 * ({@link DmaFenceService#syncFileInfo}).
 *
 * @param name the sync file's name
 * @param status 1 when every fence signalled, 0 when one is pending, a negative errno when one failed
 * @param fences {@code struct sync_fence_info} of each fence it holds, a merged fence unwrapped
 * @since 1.2
 */
public record SyncFileInfo(String name, int status, List<Fence> fences) {
    /** @throws NullPointerException when a part is null */
    public SyncFileInfo {
        java.util.Objects.requireNonNull(name, "name");
        fences = List.copyOf(fences);
    }

    /**
     * {@code struct sync_fence_info}.
     *
     * @param objName the timeline's name ({@code obj_name})
     * @param driverName the driver's name
     * @param status 1 signalled, 0 pending, a negative errno when it failed
     * @param timestampNanos when it signalled ({@link System#nanoTime} of the signal), 0 while pending
     */
    public record Fence(String objName, String driverName, int status, long timestampNanos) {
    }
}
