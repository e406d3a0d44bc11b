// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A DMA-BUF heap: {@code /dev/dma_heap/<name>}. Opened with
 * {@link DmaBufService#heap}; allocates zero-filled buffers that the heap
 * exports, and returns them as fds in the caller's fd table.
 *
 * <p>The heaps are {@code system} (any pages, reached by devices through an
 * IOMMU), {@code default_cma_region} (physically contiguous, for devices
 * without one), and one {@code vram@<device>} per device with local memory,
 * there while the device is plugged in.
 */
@ProviderType
public interface Heap {
    /** The valid heap flags: none, as {@code DMA_HEAP_VALID_HEAP_FLAGS}. */
    long VALID_HEAP_FLAGS = 0L;
    /** The valid fd flags, as {@code DMA_HEAP_VALID_FD_FLAGS}. */
    int VALID_FD_FLAGS = Fcntl.O_ACCMODE | Fcntl.O_CLOEXEC;

    /** @return the heap's name, as under {@code /dev/dma_heap/} */
    String name();

    /** @return whether every buffer of this heap is physically contiguous */
    boolean contiguous();

    /**
     * {@code DMA_HEAP_IOCTL_ALLOC}: allocates a zero-filled buffer of
     * {@code len} bytes (rounded up to whole pages) and installs it in the
     * caller's fd table.
     *
     * @param len the size in bytes, at least 1
     * @param fdFlags the fd's flags: an access mode of {@link Fcntl} and
     *        optionally {@link Fcntl#O_CLOEXEC}
     * @param heapFlags must be {@link #VALID_HEAP_FLAGS}
     * @return the new fd, holding the only reference to the buffer
     * @throws DmaBufException {@link Errno#EINVAL} for a length of 0 or less or
     *         unknown flags; {@link Errno#ENOMEM} when the heap cannot hold the
     *         buffer; {@link Errno#EMFILE} when the fd table is full
     */
    int allocate(long len, int fdFlags, long heapFlags);

    /**
     * Allocates zero-filled pages for an exporter's own buffers, without
     * exporting them (a driver's memory manager). Charged to this heap until
     * {@link DeviceMemory#free()}. Symbol {@code dma_heap_buffer_alloc}.
     *
     * @param len the size in bytes, at least 1; rounded up to whole pages
     * @return the memory, owned by the caller
     * @throws DmaBufException {@link Errno#EINVAL} for a length of 0 or less;
     *         {@link Errno#ENOMEM} when the heap cannot hold it;
     *         {@link Errno#ENODEV} when the heap's device is unplugged
     */
    DeviceMemory allocateMemory(long len);

    /**
     * Same as {@code allocate(len, O_RDWR | O_CLOEXEC, 0)}.
     *
     * @param len the size in bytes
     * @return the new fd
     * @throws DmaBufException as {@link #allocate(long, int, long)}
     */
    default int allocate(long len) {
        return allocate(len, Fcntl.O_RDWR | Fcntl.O_CLOEXEC, VALID_HEAP_FLAGS);
    }
}
