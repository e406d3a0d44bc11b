// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.device;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.Heap;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A device added by {@link DeviceBus#add}: what its provider holds, as
 * {@code ServiceRegistration} is to a service. Only the provider that added
 * the device has it.
 */
@ProviderType
public interface DeviceRegistration {
    /** @return the device, as drivers see it */
    Device device();

    /**
     * {@code dma_heap_add}: gives the device {@code bytes} of local memory, as
     * the heap {@code vram@<device name>}. Drivers allocate from it with
     * {@link Heap#allocateMemory}; buffers in it stay valid when the device
     * goes, but new attachments and mappings of them then fail with
     * {@link Errno#ENODEV}. The heap is removed when the device is unplugged.
     *
     * <p>Symbol {@code dma_heap_add}, GPL-only in namespace {@code DMA_BUF_HEAP}.
     *
     * @param bytes the memory's size, at least one page
     * @return the heap
     * @throws DmaBufException {@link Errno#EINVAL} for fewer than 4096 bytes;
     *         {@link Errno#EEXIST} when the device has local memory already;
     *         {@link Errno#ENODEV} when the device is unplugged;
     *         {@link Errno#ENOENT} when the provider was not granted the symbol
     */
    Heap addLocalMemory(long bytes);

    /**
     * {@code device_del}, hot-unplug: the device's service goes (its drivers
     * unbind during this call), then the device is marked gone
     * ({@link Device#isPresent()} false), the fences of every timeline tied to
     * it that are still pending are signalled with {@code -ENODEV}, and its
     * heap is removed. Idempotent: a second call does nothing.
     */
    void unplug();
}
