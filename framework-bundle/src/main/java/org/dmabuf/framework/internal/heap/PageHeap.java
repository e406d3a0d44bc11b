// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.heap;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.framework.internal.core.HeapBackend;
import org.dmabuf.framework.internal.memory.PageAllocator;
import org.dmabuf.framework.internal.memory.Pages;

/**
 * The {@code system} and {@code default_cma_region} heaps: zero-filled pages
 * from a {@link PageAllocator}, exported with the heap's name as
 * {@code exp_name}, as {@code drivers/dma-buf/heaps/system_heap.c} and
 * {@code cma_heap.c} do.
 *
 * <p>The system heap's pages are scattered: a device reaches them only
 * through an IOMMU, so its attach refuses a device without one with EBUSY
 * (the exporter's right to refuse what its backing store cannot serve). The
 * CMA heap's pages are physically contiguous and serve every device.
 */
public final class PageHeap implements HeapBackend {
    /** The system heap's name. */
    public static final String SYSTEM = "system";
    /** The contiguous heap's name. */
    public static final String CMA = "default_cma_region";

    private final String name;
    private final boolean contiguous;
    private final PageAllocator pages;
    private final DmaBufOps<Pages> ops;

    /**
     * @param name the heap's name
     * @param contiguous whether its memory is physically contiguous
     * @param pages where its memory comes from
     */
    public PageHeap(String name, boolean contiguous, PageAllocator pages) {
        this.name = name;
        this.contiguous = contiguous;
        this.pages = pages;
        DmaBufOps.Builder<Pages> b = DmaBufOps.<Pages>builder()
                .map((p, attachment, dir) -> p.segment())
                .unmap((p, attachment, seg, dir) -> { })
                .release(Pages::free)
                .vmap(Pages::segment)
                .mmap((p, offset, length) -> p.segment().asSlice(offset, length));
        if (!contiguous) {
            b.attach(this::attachScattered);
        }
        this.ops = b.build();
    }

    private void attachScattered(Pages p, Attachment attachment) {
        if (!attachment.device().iommu()) {
            throw new DmaBufException(Errno.EBUSY, "dma_buf_attach: " + name + " heap pages are scattered and "
                    + attachment.device().name() + " has no IOMMU; expected a device with an IOMMU, or a buffer from "
                    + CMA);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean contiguous() {
        return contiguous;
    }

    @Override
    public ExportInfo<?> allocate(long len, int fileFlags) {
        Pages p;
        try {
            p = pages.allocate(len);
        } catch (OutOfMemoryError e) {
            throw new DmaBufException(Errno.ENOMEM, "DMA_HEAP_IOCTL_ALLOC(" + name + "): " + e.getMessage(), e);
        }
        // the kernel's heaps export the page-aligned length
        return ExportInfo.builder(ops, p, p.size()).flags(fileFlags).expName(name).build();
    }

    @Override
    public long usedBytes() {
        return pages.usedBytes();
    }

    @Override
    public long offHeapBytes() {
        pages.trim();
        return pages.reservedBytes();
    }

    @Override
    public long capacity() {
        return pages.capacity();
    }

    /** @return the allocator behind the heap */
    public PageAllocator allocator() {
        return pages;
    }
}
