// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.heap;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

import org.dmabuf.api.Device;
import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.framework.internal.core.HeapBackend;
import org.dmabuf.framework.internal.memory.Memfd;
import org.dmabuf.framework.internal.memory.PageAllocator;

/**
 * The {@code memfd} heap: every buffer is a real file descriptor of its own
 * ({@code memfd_create}, sealed against shrinking and growing, as
 * {@code udmabuf} requires), mapped into the JVM, so that another process
 * can be handed the very pages (docs/cross-process.md). The same contracts
 * as the other heaps: zero-filled, the page-aligned length exported, freed
 * exactly once, a stale view fails (its mapping is unmapped with its arena)
 * and never reads another buffer's bytes; it counts in {@code bufinfo},
 * {@code dmabuf:heaps} and the per-module limits. Its memory is scattered
 * system pages: a device reaches it through its IOMMU, as the system heap's.
 * Each buffer costs a system call or four and an fd of the JVM's while it
 * lives: for buffers that leave the JVM, not for the hot path.
 */
public final class MemfdHeap implements HeapBackend {
    /** The heap's name. */
    public static final String NAME = "memfd";

    private final long capacity;
    private final AtomicLong used = new AtomicLong();
    private static final DmaBufOps<MemfdMemory> OPS = DmaBufOps.<MemfdMemory>builder()
            .attach((m, attachment) -> m.checkReach(attachment.device(), "dma_buf_attach"))
            .map((m, attachment, dir) -> m.checkReach(null, "dma_buf_map_attachment").segment())
            .unmap((m, attachment, seg, dir) -> { })
            .release(MemfdMemory::free)
            .vmap(m -> m.checkReach(null, "dma_buf_vmap").segment())
            .mmap((m, offset, length) -> m.checkReach(null, "dma_buf_mmap").segment().asSlice(offset, length))
            .build();

    /** @param capacity the most bytes it hands out at once */
    public MemfdHeap(long capacity) {
        this.capacity = capacity;
    }

    /**
     * The export of memory of a memfd that is not the heap's: a process's, taken by udmabuf
     * (docs/cross-process.md). The same operations as the heap's buffers.
     *
     * @param memfd the memory, closed when the buffer is released
     * @param expName the exporter's name
     * @return what to export
     */
    public static ExportInfo<MemfdMemory> exportOf(Memfd memfd, String expName) {
        MemfdMemory m = new MemfdMemory(memfd, expName, n -> { });
        return ExportInfo.builder(OPS, m, m.size()).expName(expName).build();
    }

    /** Memory of one memfd, handed to an exporter or exported by the heap, or a process's (udmabuf). */
    public static final class MemfdMemory implements DeviceMemory,
            org.dmabuf.framework.internal.core.ProcessShareable {
        private final Memfd memfd;
        private final String heap;
        private final java.util.function.LongConsumer freed;
        private final java.util.concurrent.atomic.AtomicBoolean free = new java.util.concurrent.atomic.AtomicBoolean();

        MemfdMemory(Memfd memfd, String heap, java.util.function.LongConsumer freed) {
            this.memfd = memfd;
            this.heap = heap;
            this.freed = freed;
        }

        /** @return the memfd, for handing it to another process */
        public Memfd memfd() {
            return memfd;
        }

        @Override
        public int osFd() {
            return memfd.openFd();
        }

        @Override
        public long osInode() throws java.io.IOException {
            return memfd.inode();
        }

        @Override
        public MemorySegment segment() {
            return memfd.segment();
        }

        @Override
        public long size() {
            return memfd.size();
        }

        @Override
        public String heap() {
            return heap;
        }

        @Override
        public boolean contiguous() {
            return false;
        }

        @Override
        public Device device() {
            return null;
        }

        @Override
        public boolean reachable() {
            return true;
        }

        @Override
        public void free() {
            if (!free.compareAndSet(false, true)) {
                throw new DmaBufException(Errno.EINVAL, "DeviceMemory.free: " + size() + " bytes of " + heap
                        + " were freed already; expected one free per allocation");
            }
            try {
                memfd.close(); // unmapped: a stale view fails; a process that received the fd keeps its pages
            } finally {
                freed.accept(size());
            }
        }

        @Override
        public String toString() {
            return size() + " bytes of " + heap + " (memfd fd " + memfd.fd() + ")";
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean contiguous() {
        return false;
    }

    @Override
    public Device device() {
        return null;
    }

    @Override
    public DeviceMemory allocateMemory(long len, java.util.function.LongConsumer freed) {
        long size = PageAllocator.roundUp(len);
        if (size < len) {
            throw new DmaBufException(Errno.ENOMEM, "dma_heap_buffer_alloc(" + NAME + "): " + len
                    + " bytes cannot be rounded to pages; expected at most " + capacity);
        }
        long now;
        do {
            now = used.get();
            if (now + size > capacity || now + size < 0) {
                throw new DmaBufException(Errno.ENOMEM, "dma_heap_buffer_alloc(" + NAME + "): " + size
                        + " bytes asked, " + (capacity - now) + " of " + capacity + " left; expected at most what is"
                        + " left (configuration org.dmabuf.framework memfd.size)");
            }
        } while (!used.compareAndSet(now, now + size));
        try {
            return new MemfdMemory(Memfd.create("dmabuf-" + NAME, size), NAME, n -> {
                used.addAndGet(-n);
                freed.accept(n);
            });
        } catch (IOException | RuntimeException e) {
            used.addAndGet(-size);
            throw new DmaBufException(Errno.ENOMEM, "dma_heap_buffer_alloc(" + NAME + "): " + e.getMessage(), e);
        }
    }

    @Override
    public ExportInfo<?> allocate(long len, int fileFlags, java.util.function.LongConsumer freed) {
        MemfdMemory m = (MemfdMemory) allocateMemory(len, freed);
        return ExportInfo.builder(OPS, m, m.size()).flags(fileFlags).expName(NAME).build();
    }

    @Override
    public long usedBytes() {
        return used.get();
    }

    @Override
    public long offHeapBytes() {
        return used.get();
    }

    @Override
    public long capacity() {
        return capacity;
    }
}
