// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.heap;

import java.lang.foreign.MemorySegment;

import org.dmabuf.api.Device;
import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.framework.internal.memory.Pages;

/** Pages of a heap, handed to an exporter (or kept by the heap for its own buffers). */
public final class DeviceMemoryImpl implements DeviceMemory {
    private final Pages pages;
    private final String heap;
    private final boolean contiguous;
    private final Device device;
    private final java.util.function.LongConsumer freed;

    DeviceMemoryImpl(Pages pages, String heap, boolean contiguous, Device device,
            java.util.function.LongConsumer freed) {
        this.pages = pages;
        this.heap = heap;
        this.contiguous = contiguous;
        this.device = device;
        this.freed = freed;
    }

    @Override
    public MemorySegment segment() {
        return pages.segment();
    }

    @Override
    public long size() {
        return pages.size();
    }

    @Override
    public String heap() {
        return heap;
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
    public boolean reachable() {
        return device == null || device.isPresent();
    }

    @Override
    public void free() {
        try {
            pages.free();
        } catch (IllegalStateException e) {
            throw new DmaBufException(Errno.EINVAL, "DeviceMemory.free: " + size() + " bytes of " + heap
                    + " were freed already; expected one free per allocation");
        }
        freed.accept(pages.size()); // once: a second free throws above
    }

    @Override
    public String toString() {
        return size() + " bytes of " + heap;
    }
}
