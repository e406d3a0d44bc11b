// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.lang.foreign.MemorySegment;

import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.Errno;

/**
 * The callbacks the framework puts in place of an exporter that stopped while
 * others still held its buffers. A buffer backed by {@link DeviceMemory} is
 * served from that memory, as long as it is reachable, and freed at release.
 * A buffer backed by the exporter's own memory cannot be served: new
 * attachments and mappings fail with ENODEV, and release still asks the
 * (stopped) exporter, once, to free its memory.
 */
final class OrphanOps {
    private OrphanOps() {
    }

    /**
     * @param priv the buffer's private data, as its exporter gave it
     * @param original the exporter's callbacks
     * @param exporter the exporter's name
     * @param size the buffer's size: the memory is served at exactly this size (the pages are whole pages)
     */
    static DmaBufOps<Object> of(Object priv, DmaBufOps<Object> original, String exporter, long size) {
        if (priv instanceof DeviceMemory) {
            return DmaBufOps.<Object>builder()
                    .attach((p, a) -> ((DeviceMemory) p).checkReach(a.device(), "dma_buf_attach"))
                    .map((p, a, dir) -> exact((DeviceMemory) p, "dma_buf_map_attachment", size))
                    .unmap((p, a, seg, dir) -> { })
                    .release(p -> ((DeviceMemory) p).free())
                    .vmap(p -> exact((DeviceMemory) p, "dma_buf_vmap", size))
                    .mmap((p, off, len) -> exact((DeviceMemory) p, "dma_buf_mmap", size).asSlice(off, len))
                    .build();
        }
        String kind = priv == null ? "null" : "a " + priv.getClass().getSimpleName();
        return DmaBufOps.<Object>builder()
                .attach((p, a) -> {
                    throw gone(exporter, "dma_buf_attach", kind);
                })
                .map((p, a, dir) -> {
                    throw gone(exporter, "dma_buf_map_attachment", kind);
                })
                .unmap((p, a, seg, dir) -> { })
                .release(original.release())
                .vmap(p -> {
                    throw gone(exporter, "dma_buf_vmap", kind);
                })
                .build();
    }

    // the buffer's bytes of the memory (the memory is whole pages; the buffer may end inside the last)
    private static MemorySegment exact(DeviceMemory m, String func, long size) {
        return m.checkReach(null, func).segment().asSlice(0, size);
    }

    private static DmaBufException gone(String exporter, String func, String kind) {
        return new DmaBufException(Errno.ENODEV, func + ": exporter " + exporter + " has stopped, and the buffer's"
                + " private data is " + kind + ", memory the framework cannot serve without it; expected a buffer"
                + " whose exporter runs, or one exported with the DeviceMemory it was allocated as its private data");
    }
}
