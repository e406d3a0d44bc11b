// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.heap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.framework.internal.memory.Memfd;
import org.junit.jupiter.api.Test;

/** The memfd heap: real, sealed file descriptors, the same contracts as every heap. */
class MemfdHeapTest {
    final MemfdHeap heap = new MemfdHeap(1 << 20);

    @Test
    void a_buffer_is_a_sealed_memfd_zero_filled_page_aligned_and_the_same_pages_through_its_fd() throws Exception {
        long[] freed = {0};
        MemfdHeap.MemfdMemory m = (MemfdHeap.MemfdMemory) heap.allocateMemory(5000, b -> freed[0] += b);
        assertThat(m.size()).isEqualTo(8192);
        assertThat(heap.usedBytes()).isEqualTo(8192);
        int fd = m.memfd().fd();
        assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString()).startsWith("/memfd:dmabuf-memfd");
        assertThat(Memfd.seals(fd) & (Memfd.F_SEAL_SHRINK | Memfd.F_SEAL_GROW))
                .as("sealed against shrinking (udmabuf requires it) and growing")
                .isEqualTo(Memfd.F_SEAL_SHRINK | Memfd.F_SEAL_GROW);
        MemorySegment seg = m.segment();
        for (long i = 0; i < seg.byteSize(); i += 8) {
            assertThat(seg.get(ValueLayout.JAVA_LONG, i)).as("zero-filled at " + i).isZero();
        }
        // another mapping of the same fd, as another process makes: the same pages, no copy
        seg.set(ValueLayout.JAVA_INT, 4096, 0xC0FFEE);
        try (FileChannel ch = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ);
                Arena arena = Arena.ofConfined()) {
            MemorySegment other = ch.map(FileChannel.MapMode.READ_ONLY, 0, 8192, arena);
            assertThat(other.get(ValueLayout.JAVA_INT, 4096)).isEqualTo(0xC0FFEE);
            assertThat(other.address()).isNotEqualTo(seg.address());
        }
        m.free();
        assertThat(freed[0]).isEqualTo(8192);
        assertThat(heap.usedBytes()).isZero();
        assertThat(Files.exists(Path.of("/proc/self/fd/" + fd))).as("the fd is closed with the buffer").isFalse();
        assertThatThrownBy(() -> seg.get(ValueLayout.JAVA_INT, 0)).as("a stale view fails, never reads another's")
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(m::free).isInstanceOf(DmaBufException.class)
                .hasMessageContaining("were freed already; expected one free per allocation");
        assertThat(freed[0]).as("freed exactly once").isEqualTo(8192);
    }

    @Test
    void past_its_size_an_allocation_fails_with_ENOMEM_and_changes_nothing() {
        MemfdHeap.MemfdMemory m = (MemfdHeap.MemfdMemory) heap.allocateMemory(1 << 20, b -> { });
        assertThatThrownBy(() -> heap.allocateMemory(1, b -> { })).isInstanceOf(DmaBufException.class)
                .satisfies(e -> assertThat(((DmaBufException) e).errno()).isEqualTo(Errno.ENOMEM))
                .hasMessageContaining("dma_heap_buffer_alloc(memfd): 4096 bytes asked, 0 of 1048576 left");
        assertThatThrownBy(() -> heap.allocateMemory(Long.MAX_VALUE, b -> { })).isInstanceOf(DmaBufException.class);
        assertThat(heap.usedBytes()).isEqualTo(1 << 20);
        m.free();
        assertThat(heap.usedBytes()).isZero();
    }

    @Test
    void a_process_that_fills_an_eventfd_makes_the_signal_fail_at_once_not_wait() throws Exception {
        int fd = org.dmabuf.framework.internal.memory.Native.eventfd();
        try {
            org.dmabuf.framework.internal.memory.Native.signal(fd, 0xFFFFFFFFFFFFFFFEL); // the most it holds
            assertThatThrownBy(() -> org.dmabuf.framework.internal.memory.Native.signal(fd, 1))
                    .isInstanceOf(Memfd.NativeException.class).hasMessageContaining("EAGAIN");
        } finally {
            Memfd.closeFd(fd);
        }
    }

    @Test
    void a_memfd_is_sealed_for_good_and_its_fd_is_not_handed_out_once_closed() throws Exception {
        MemfdHeap.MemfdMemory m = (MemfdHeap.MemfdMemory) heap.allocateMemory(4096, b -> { });
        assertThat(Memfd.seals(m.osFd()) & Memfd.F_SEAL_SEAL).as("no seal can be added").isNotZero();
        m.free();
        assertThatThrownBy(m::osFd).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was closed with its buffer's memory");
    }
}
