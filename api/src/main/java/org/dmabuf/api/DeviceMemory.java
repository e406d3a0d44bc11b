// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import java.lang.foreign.MemorySegment;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Raw pages from a heap, for an exporter's own buffers: what a GPU driver's
 * memory manager (TTM, GEM) hands out. Allocated with
 * {@link Heap#allocateMemory}; an exporter passes it as the buffer's private
 * object and frees it in its {@link DmaBufOps.Release release}.
 *
 * <p>Because the framework knows this memory, a buffer backed by it outlives
 * its exporter: if the exporting bundle stops while others still hold the
 * buffer, the framework serves the buffer itself (mapping this memory,
 * refusing devices that cannot reach it) and frees it when the last user
 * lets go. Memory of a device's local heap stays valid after the device is
 * unplugged (existing mappings keep working); new attachments and mappings
 * then fail with {@link Errno#ENODEV}.
 */
@ProviderType
public interface DeviceMemory {
    /** @return the memory, zero-filled when allocated */
    MemorySegment segment();

    /** @return its size in bytes (whole pages) */
    long size();

    /** @return the heap it came from */
    String heap();

    /** @return whether it is physically contiguous */
    boolean contiguous();

    /** @return the device whose local memory it is, or {@code null} for system memory */
    Device device();

    /** @return whether devices can still reach it: false once its device is unplugged */
    boolean reachable();

    /**
     * Returns the pages to the heap.
     *
     * @throws DmaBufException {@link Errno#EINVAL} when freed already
     */
    void free();

    /**
     * The reach rule, written once: which device can reach which memory.
     * Physically contiguous memory is reached by any device; scattered pages
     * only through an IOMMU; a device's local memory by the device itself,
     * and by others over PCIe through their IOMMU; nothing reaches local
     * memory once its device is unplugged. Called by an exporter from its
     * {@link DmaBufOps.Attach attach} callback (with the attaching device)
     * and from map, vmap and mmap (with {@code null}): the heaps do, the
     * framework does for a stopped exporter's buffers, and the DRM helpers
     * do for their framebuffers. Any thread, no lock.
     *
     * @param device the device that will access the memory, or {@code null} for the CPU or a device that
     *        attached already
     * @param func the entry point, for the message: {@code dma_buf_attach}, {@code dma_buf_vmap}, ...
     * @return this memory, when it can be reached
     * @throws DmaBufException {@link Errno#ENODEV} when its device was unplugged; {@link Errno#EBUSY} when
     *         {@code device} has no IOMMU and the memory is scattered or another device's local memory
     * @since 1.1
     */
    default DeviceMemory checkReach(Device device, String func) {
        if (!reachable()) {
            throw new DmaBufException(Errno.ENODEV, func + ": the memory is local to " + device().name()
                    + ", which was unplugged; expected a buffer whose memory is still reachable");
        }
        if (device != null && !device.iommu()) {
            if (!contiguous()) {
                throw new DmaBufException(Errno.EBUSY, func + ": " + heap() + " pages are scattered and "
                        + device.name() + " has no IOMMU; expected a device with an IOMMU, or contiguous memory"
                        + " (default_cma_region)");
            }
            if (device() != null && device() != device) {
                throw new DmaBufException(Errno.EBUSY, func + ": " + heap() + " is local memory of "
                        + device().name() + ", which " + device.name() + " reaches only through an IOMMU;"
                        + " expected a device with one");
            }
        }
        return this;
    }
}
