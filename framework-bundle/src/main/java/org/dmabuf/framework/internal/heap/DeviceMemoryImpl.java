// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.heap;

import java.lang.foreign.MemorySegment;

import org.dmabuf.api.Device;
import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.framework.internal.memory.Pages;

/**
 * Pages of a heap, handed to an exporter (or kept by the heap for its own
 * buffers): the allocator's record of the pages and the heap's, one object
 * (40 bytes: its pages, its heap and whom to tell of the free).
 */
public final class DeviceMemoryImpl extends Pages implements DeviceMemory {
    private final PageHeap heap;
    private final java.util.function.LongConsumer freed;

    DeviceMemoryImpl(Pages.Carved pages, PageHeap heap, java.util.function.LongConsumer freed) {
        super(pages);
        this.heap = heap;
        this.freed = freed;
    }

    @Override
    public MemorySegment segment() {
        return super.segment();
    }

    @Override
    public long size() {
        return super.size();
    }

    @Override
    public String heap() {
        return heap.name();
    }

    @Override
    public boolean contiguous() {
        return heap.contiguous();
    }

    @Override
    public Device device() {
        return heap.device();
    }

    @Override
    public boolean reachable() {
        Device device = heap.device();
        return device == null || device.isPresent();
    }

    @Override
    public void free() {
        try {
            super.free();
        } catch (IllegalStateException e) {
            throw new DmaBufException(Errno.EINVAL, "DeviceMemory.free: " + size() + " bytes of " + heap.name()
                    + " were freed already; expected one free per allocation");
        }
        freed.accept(size()); // once: a second free throws above
    }

    @Override
    public String toString() {
        return size() + " bytes of " + heap.name();
    }
}
