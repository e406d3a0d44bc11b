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
}
