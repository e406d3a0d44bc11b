// SPDX-License-Identifier: GPL-2.0-only
package com.example.blob;

import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.ExportInfo;

/** Exports its buffers as dma-bufs: dma_buf_export, which is EXPORT_SYMBOL_GPL. */
public class BlobDriver {
    public int export(DmaBufService dmabuf, ExportInfo<Object> info) {
        return dmabuf.export(info).fd(0);
    }
}
