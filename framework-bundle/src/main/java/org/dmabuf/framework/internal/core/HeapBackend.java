// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import org.dmabuf.api.ExportInfo;

/**
 * A heap's allocator and exporter: {@code struct dma_heap_ops}. The core does
 * the ioctl's checks and the fd; the backend only allocates and says how its
 * buffers behave.
 */
public interface HeapBackend {
    /** @return the heap's name */
    String name();

    /** @return whether its buffers are physically contiguous */
    boolean contiguous();

    /**
     * @param len the length in bytes, at least 1
     * @param fileFlags the file's access mode
     * @param freed told the bytes (whole pages) once, when the memory goes back to the heap: the allocating
     *        bundle's accounting
     * @return what to export: zero-filled memory and its callbacks
     * @throws org.dmabuf.api.DmaBufException ENOMEM when the memory cannot be had
     */
    ExportInfo<?> allocate(long len, int fileFlags, java.util.function.LongConsumer freed);

    /** @return the device whose local memory this heap is, or {@code null} */
    org.dmabuf.api.Device device();

    /**
     * @param len bytes, at least 1
     * @param freed told the bytes (whole pages) once, when the memory goes back to the heap
     * @return pages for an exporter's own buffers
     */
    org.dmabuf.api.DeviceMemory allocateMemory(long len, java.util.function.LongConsumer freed);

    /** @return bytes in use */
    long usedBytes();

    /** @return off-heap bytes still held, released or not (see {@code PageAllocator}); trims idle memory first */
    long offHeapBytes();

    /** @return the most bytes it can hand out */
    long capacity();
}
