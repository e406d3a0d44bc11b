// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

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

    static DmaBufOps<Object> of(Object priv, DmaBufOps<Object> original, String exporter) {
        if (priv instanceof DeviceMemory) {
            return DmaBufOps.<Object>builder()
                    .attach((p, a) -> ((DeviceMemory) p).checkReach(a.device(), "dma_buf_attach"))
                    .map((p, a, dir) -> ((DeviceMemory) p).checkReach(null, "dma_buf_map_attachment").segment())
                    .unmap((p, a, seg, dir) -> { })
                    .release(p -> ((DeviceMemory) p).free())
                    .vmap(p -> ((DeviceMemory) p).checkReach(null, "dma_buf_vmap").segment())
                    .mmap((p, off, len) -> ((DeviceMemory) p).checkReach(null, "dma_buf_mmap").segment()
                            .asSlice(off, len))
                    .build();
        }
        return DmaBufOps.<Object>builder()
                .attach((p, a) -> {
                    throw gone(exporter, "dma_buf_attach");
                })
                .map((p, a, dir) -> {
                    throw gone(exporter, "dma_buf_map_attachment");
                })
                .unmap((p, a, seg, dir) -> { })
                .release(original.release())
                .vmap(p -> {
                    throw gone(exporter, "dma_buf_vmap");
                })
                .build();
    }

    private static DmaBufException gone(String exporter, String func) {
        return new DmaBufException(Errno.ENODEV, func + ": exporter " + exporter + " has stopped and the buffer's"
                + " memory was its own; expected a buffer whose exporter runs, or one backed by DeviceMemory");
    }
}
