// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.dmabuf.framework.internal.core.HandleTest.assertErrno;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.Fcntl;
import org.dmabuf.api.Heap;
import org.dmabuf.framework.internal.heap.PageHeap;
import org.dmabuf.framework.internal.memory.PageAllocator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The dma-heaps: the kernel's dmabuf-heaps selftest, case by case where it applies. */
class HeapTest {
    final Fixture f = new Fixture();
    final Heap system = f.importer.heap("system");
    final Heap cma = f.importer.heap("default_cma_region");

    @Test
    void lists_the_heaps_in_order() {
        assertThat(f.importer.heaps()).extracting(Heap::name).containsExactly("system", "default_cma_region");
        assertThat(system.contiguous()).isFalse();
        assertThat(cma.contiguous()).isTrue();
    }

    static final long ONE_MEG = 1L << 20;

    /** Every heap, as the selftest runs each case on every heap in /dev/dma_heap. */
    List<Heap> heaps() {
        return f.importer.heaps();
    }

    /** The kernel's dmabuf_sync: DMA_BUF_IOCTL_SYNC with START or END, read and write. */
    static void dmabufSync(DmaBuf buf, boolean start) {
        if (start) {
            buf.beginCpuAccess(DmaDirection.BIDIRECTIONAL);
        } else {
            buf.endCpuAccess(DmaDirection.BIDIRECTIONAL);
        }
    }

    @Test
    @DisplayName("test_alloc_and_import: on every heap, 1 MiB,"
            + " mmap, DMA_BUF_SYNC start, write, sync end, then imported by a device that reads the bytes")
    void alloc_and_import() {
        for (Heap heap : heaps()) {
            int fd = heap.allocate(ONE_MEG);
            DmaBuf buf = f.importer.get(fd);
            assertThat(buf.size()).isEqualTo(ONE_MEG);
            assertThat(buf.expName()).isEqualTo(heap.name());
            MemorySegment p = buf.mmap(0, ONE_MEG);
            dmabufSync(buf, true);
            p.asSlice(0, ONE_MEG / 2).fill((byte) 1);
            p.asSlice(ONE_MEG / 2, ONE_MEG / 2).fill((byte) 0);
            dmabufSync(buf, false);
            // the import (the kernel's vgem prime import): a device's mapping sees what the CPU wrote
            var a = buf.attach(f.igpu);
            MemorySegment dev = a.mapAttachment(DmaDirection.BIDIRECTIONAL).segment();
            assertThat(dev.byteSize()).isEqualTo(ONE_MEG);
            assertThat(dev.get(ValueLayout.JAVA_BYTE, 0)).as(heap.name()).isEqualTo((byte) 1);
            assertThat(dev.get(ValueLayout.JAVA_BYTE, ONE_MEG / 2 - 1)).isEqualTo((byte) 1);
            assertThat(dev.get(ValueLayout.JAVA_BYTE, ONE_MEG / 2)).isEqualTo((byte) 0);
            buf.detach(a);
            buf.put();
            f.importer.close(fd);
        }
        assertThat(f.core.bufferCount()).isZero();
        assertThat(f.systemPages.usedBytes()).isZero();
        assertThat(f.cmaPages.usedBytes()).isZero();
    }

    @Test
    void lengths_are_rounded_up_to_pages() {
        DmaBuf buf = f.importer.get(system.allocate(1));
        assertThat(buf.size()).isEqualTo(4096);
    }

    @Nested
    @DisplayName("test_alloc_zeroed: every allocation is zero-filled")
    class Zeroed {
        void dirtyAndFree(Heap heap, int count, long size) {
            for (int i = 0; i < count; i++) {
                int fd = heap.allocate(size);
                DmaBuf b = f.importer.get(fd);
                MemorySegment s = b.vmap();
                s.fill((byte) 0xA5);
                b.vunmap(s);
                b.put();
                f.importer.close(fd);
            }
        }

        void assertZeroed(Heap heap, int count, long size) {
            for (int i = 0; i < count; i++) {
                DmaBuf b = f.importer.get(heap.allocate(size));
                MemorySegment s = b.vmap();
                assertThat(s.mismatch(MemorySegment.ofArray(new byte[(int) size]))).as("allocation %d", i)
                        .isEqualTo(-1L);
                b.vunmap(s);
                b.put();
            }
        }

        @Test
        void system_small() {
            dirtyAndFree(system, 32, 4096);
            assertZeroed(system, 32, 4096);
        }

        @Test
        @DisplayName("as the kernel's: 32 x 1 MiB on every heap, dirtied through mmap and freed, then 32 x 1 MiB"
                + " each all zeros, each freed before the next (the contiguous region holds one at a time)")
        void every_heap_32_times_one_meg() {
            for (Heap heap : heaps()) {
                for (int i = 0; i < 32; i++) {
                    int fd = heap.allocate(ONE_MEG);
                    DmaBuf b = f.importer.get(fd);
                    b.mmap(0, ONE_MEG).fill((byte) 0xff);
                    b.put();
                    f.importer.close(fd);
                }
                byte[] zeros = new byte[(int) ONE_MEG];
                for (int i = 0; i < 32; i++) {
                    int fd = heap.allocate(ONE_MEG);
                    DmaBuf b = f.importer.get(fd);
                    assertThat(b.mmap(0, ONE_MEG).mismatch(MemorySegment.ofArray(zeros)))
                            .as("%s, allocation %d", heap.name(), i).isEqualTo(-1L);
                    b.put();
                    f.importer.close(fd);
                }
            }
            assertThat(f.core.bufferCount()).isZero();
        }
    }

    @Nested
    @DisplayName("bad arguments are EINVAL (test_alloc_errors) and change nothing")
    class Errors {
        void assertNothingChanged() {
            assertThat(f.core.bufferCount()).isZero();
            assertThat(f.importer.fds()).containsExactly(0, 1, 2);
            assertThat(f.systemPages.usedBytes()).isZero();
        }

        // each case on every heap, as the selftest's test_alloc_errors runs on each heap it finds
        @Test
        void length_zero() {
            for (Heap heap : heaps()) {
                assertErrno(() -> heap.allocate(0), Errno.EINVAL, "DMA_HEAP_IOCTL_ALLOC(" + heap.name() + ")",
                        "len 0");
                assertErrno(() -> heap.allocate(-4096), Errno.EINVAL, "len -4096");
            }
            assertNothingChanged();
        }

        @Test
        void bad_fd_flags() {
            for (Heap heap : heaps()) {
                assertErrno(() -> heap.allocate(4096, 0100, 0), Errno.EINVAL, "fd_flags 0100");
            }
            assertNothingChanged();
        }

        @Test
        void bad_heap_flags() {
            for (Heap heap : heaps()) {
                assertErrno(() -> heap.allocate(4096, Fcntl.O_RDWR, 1), Errno.EINVAL, "heap_flags 0x1");
            }
            assertNothingChanged();
        }

        @Test
        void unknown_heap_is_ENOENT() {
            assertErrno(() -> f.importer.heap("vram"), Errno.ENOENT, "/dev/dma_heap/vram", "system, default_cma_region");
            assertErrno(() -> f.importer.heap(null), Errno.ENOENT, "no such heap");
        }

        @Test
        void too_large_for_the_region_is_ENOMEM() {
            int keep = cma.allocate(Fixture.CMA_SIZE / 2);
            assertErrno(() -> cma.allocate(Fixture.CMA_SIZE), Errno.ENOMEM, "default_cma_region");
            assertThat(f.core.bufferCount()).isEqualTo(1);
            assertThat(f.importer.fds()).containsExactly(0, 1, 2, keep);
            assertThat(f.cmaPages.usedBytes()).isEqualTo(Fixture.CMA_SIZE / 2);
        }

        @Test
        void duplicate_heap_names_are_rejected() {
            PageAllocator p = new PageAllocator("x", 1 << 20, false);
            assertThatThrownBy(() -> new DmaBufCore(List.of(new PageHeap("system", false, p),
                    new PageHeap("system", true, p)))).hasMessageContaining("Already registered heap named system");
        }
    }

    @Test
    void the_fd_flags_access_mode_becomes_the_file_flags() {
        DmaBuf b = f.importer.get(system.allocate(4096, Fcntl.O_RDONLY | Fcntl.O_CLOEXEC, 0));
        assertThat(b.flags()).isEqualTo(Fcntl.O_RDONLY);
    }

    @Nested
    @DisplayName("the exporter refuses what its memory cannot serve")
    class Placement {
        @Test
        void system_pages_need_an_iommu() {
            DmaBuf b = f.importer.get(system.allocate(4096));
            assertErrno(() -> b.attach(f.noIommu), Errno.EBUSY, "no IOMMU", "default_cma_region");
            assertThat(f.importer.holdings().attachments()).isZero();
        }

        @Test
        void contiguous_pages_serve_every_device() {
            DmaBuf b = f.importer.get(cma.allocate(4096));
            b.detach(b.attach(f.noIommu));
        }
    }

    @Test
    void heap_buffers_read_and_write_through_every_view() {
        DmaBuf b = f.importer.get(system.allocate(8192));
        MemorySegment cpu = b.vmap();
        cpu.set(ValueLayout.JAVA_LONG, 8, 42L);
        var m = b.attach(f.igpu).mapAttachment(DmaDirection.FROM_DEVICE);
        assertThat(m.segment().get(ValueLayout.JAVA_LONG, 8)).isEqualTo(42L);
        assertThat(b.mmap(0, 4096).get(ValueLayout.JAVA_LONG, 8)).isEqualTo(42L);
    }
}
