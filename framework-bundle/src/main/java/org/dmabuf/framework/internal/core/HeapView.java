// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.Fcntl;
import org.dmabuf.api.Heap;
import org.dmabuf.api.Symbol;
import org.dmabuf.framework.internal.memory.PageAllocator;

/** A heap opened by one bundle: allocations land in that bundle's fd table. */
final class HeapView implements Heap {
    private final HeapBackend backend;
    final LoadedModule module;

    HeapView(HeapBackend backend, LoadedModule module) {
        this.backend = backend;
        this.module = module;
    }

    @Override
    public String name() {
        return backend.name();
    }

    @Override
    public boolean contiguous() {
        return backend.contiguous();
    }

    // dma_heap_ioctl_allocate and dma_heap_buffer_alloc
    @Override
    public int allocate(long len, int fdFlags, long heapFlags) {
        FdCallers.unwoven(module, "DMA_HEAP_IOCTL_ALLOC", -1);
        return allocateChecked(len, fdFlags, heapFlags);
    }

    int allocateChecked(long len, int fdFlags, long heapFlags) {
        module.require(Symbol.DMA_HEAP_BUFFER_ALLOC);
        String func = "DMA_HEAP_IOCTL_ALLOC(" + backend.name() + ")";
        if (len <= 0) {
            throw new DmaBufException(Errno.EINVAL, func + ": len " + len + "; expected at least 1 byte");
        }
        if ((fdFlags & ~VALID_FD_FLAGS) != 0) {
            throw new DmaBufException(Errno.EINVAL, func + ": fd_flags 0" + Integer.toOctalString(fdFlags)
                    + " has unknown bits; expected an access mode and optionally O_CLOEXEC (0"
                    + Integer.toOctalString(VALID_FD_FLAGS) + ")");
        }
        if ((heapFlags & ~VALID_HEAP_FLAGS) != 0) {
            throw new DmaBufException(Errno.EINVAL, func + ": heap_flags 0x" + Long.toHexString(heapFlags)
                    + " has unknown bits; expected 0 (no heap flags are defined)");
        }
        long pages = PageAllocator.roundUp(len);
        module.charge(pages, func);
        int fd;
        try {
            fd = module.fdTable().reserve();
        } catch (RuntimeException e) {
            module.uncharge(pages);
            throw e;
        }
        DmaBufObject buf;
        ExportInfo<?> info = null;
        try {
            info = backend.allocate(len, fdFlags & Fcntl.O_ACCMODE, module.uncharger());
            buf = module.core().exportAsKernel(info);
        } catch (RuntimeException e) {
            module.fdTable().unreserve(fd);
            if (info != null && info.priv() instanceof DeviceMemory m) {
                m.free(); // the pages go back, and with them the charge
            } else {
                module.uncharge(pages);
            }
            throw e;
        }
        return module.installReserved(fd, buf, func);
    }

    @Override
    public DeviceMemory allocateMemory(long len) {
        FdCallers.unwoven(module, "dma_heap_buffer_alloc", -1);
        return allocateMemoryChecked(len);
    }

    DeviceMemory allocateMemoryChecked(long len) {
        module.require(Symbol.DMA_HEAP_BUFFER_ALLOC);
        if (len <= 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_heap_buffer_alloc(" + backend.name() + "): len " + len
                    + "; expected at least 1 byte");
        }
        long pages = PageAllocator.roundUp(len);
        module.charge(pages, "dma_heap_buffer_alloc(" + backend.name() + ")");
        try {
            return backend.allocateMemory(len, module.uncharger());
        } catch (RuntimeException e) {
            module.uncharge(pages);
            throw e;
        }
    }

    @Override
    public String toString() {
        return "/dev/dma_heap/" + backend.name();
    }
}
