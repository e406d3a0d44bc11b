// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

/**
 * The direction of a DMA transfer, as {@code enum dma_data_direction}.
 *
 * <p>For a device mapping it says which way the device moves data. For CPU
 * access ({@link DmaBuf#beginCpuAccess}) it says the same from the device's
 * point of view, as the kernel does: a CPU that writes data for the device
 * uses {@link #TO_DEVICE} (or {@link #BIDIRECTIONAL}), a CPU that reads what
 * the device produced uses {@link #FROM_DEVICE}.
 */
public enum DmaDirection {
    /** {@code DMA_BIDIRECTIONAL}: both ways; for the CPU, a read and a write. */
    BIDIRECTIONAL,
    /** {@code DMA_TO_DEVICE}: memory is read by the device; for the CPU, a write. */
    TO_DEVICE,
    /** {@code DMA_FROM_DEVICE}: memory is written by the device; for the CPU, a read. */
    FROM_DEVICE;

    /**
     * @return whether CPU access in this direction writes the buffer, the
     *         kernel's {@code direction == DMA_BIDIRECTIONAL || direction == DMA_TO_DEVICE}
     */
    public boolean cpuWrites() {
        return this != FROM_DEVICE;
    }

    /** @return whether the device writes the memory in this direction */
    public boolean deviceWrites() {
        return this != TO_DEVICE;
    }
}
