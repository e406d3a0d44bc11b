// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.heap;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.Device;
import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.framework.internal.core.HeapBackend;
import org.dmabuf.framework.internal.memory.PageAllocator;

/**
 * A heap of zero-filled pages from a {@link PageAllocator}: {@code system}
 * and {@code default_cma_region}, as {@code drivers/dma-buf/heaps/system_heap.c}
 * and {@code cma_heap.c}, and a device's local memory ({@code vram@<device>}).
 * Its buffers are exported with the heap's name as {@code exp_name}.
 *
 * <p>The exporter refuses what its memory cannot serve, by the reach rule
 * ({@link DeviceMemory#checkReach}): scattered system pages need a device
 * with an IOMMU (EBUSY otherwise); a device's local memory is reached by
 * peers over PCIe, through their IOMMU, and is gone for new attachments and
 * mappings once its device is unplugged (ENODEV).
 */
public final class PageHeap implements HeapBackend {
    /** The system heap's name. */
    public static final String SYSTEM = "system";
    /** The contiguous heap's name. */
    public static final String CMA = "default_cma_region";

    private final String name;
    private final boolean contiguous;
    private final PageAllocator pages;
    private final Device device;
    private final DmaBufOps<DeviceMemoryImpl> ops;

    /**
     * @param name the heap's name
     * @param contiguous whether its memory is physically contiguous
     * @param pages where its memory comes from
     */
    public PageHeap(String name, boolean contiguous, PageAllocator pages) {
        this(name, contiguous, pages, null);
    }

    /**
     * @param name the heap's name
     * @param contiguous whether its memory is physically contiguous
     * @param pages where its memory comes from
     * @param device the device whose local memory this is, or {@code null}
     */
    public PageHeap(String name, boolean contiguous, PageAllocator pages, Device device) {
        this.name = name;
        this.contiguous = contiguous;
        this.pages = pages;
        this.device = device;
        this.ops = DmaBufOps.<DeviceMemoryImpl>builder()
                .attach((m, attachment) -> m.checkReach(attachment.device(), "dma_buf_attach"))
                .map((m, attachment, dir) -> m.checkReach(null, "dma_buf_map_attachment").segment())
                .unmap((m, attachment, seg, dir) -> { })
                .release(DeviceMemoryImpl::free)
                .vmap(m -> m.checkReach(null, "dma_buf_vmap").segment())
                .mmap((m, offset, length) -> m.checkReach(null, "dma_buf_mmap").segment().asSlice(offset, length))
                .build();
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
    public Device device() {
        return device;
    }

    @Override
    public DeviceMemory allocateMemory(long len, java.util.function.LongConsumer freed) {
        if (device != null && !device.isPresent()) {
            throw new DmaBufException(Errno.ENODEV, "dma_heap_buffer_alloc(" + name + "): " + device.name()
                    + " is unplugged; expected a present device");
        }
        try {
            return pages.allocate(len, carved -> new DeviceMemoryImpl(carved, this, freed));
        } catch (OutOfMemoryError e) {
            throw new DmaBufException(Errno.ENOMEM, "dma_heap_buffer_alloc(" + name + "): " + e.getMessage(), e);
        }
    }

    @Override
    public ExportInfo<?> allocate(long len, int fileFlags, java.util.function.LongConsumer freed) {
        DeviceMemoryImpl m = (DeviceMemoryImpl) allocateMemory(len, freed);
        // the kernel's heaps export the page-aligned length
        return ExportInfo.builder(ops, m, m.size()).flags(fileFlags).expName(name).build();
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
