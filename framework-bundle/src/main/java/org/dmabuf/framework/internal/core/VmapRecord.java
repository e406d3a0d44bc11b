// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

/** One {@code dma_buf_vmap} a module made and has not undone yet. */
final class VmapRecord extends Tracked {
    final DmaBufObject buf;

    VmapRecord(DmaBufObject buf) {
        this.buf = buf;
    }
}
