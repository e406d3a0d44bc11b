// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dmabuf.framework.internal.core.HandleTest.assertErrno;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** CPU access brackets, vmap, mmap and the buffer's name. */
class CpuAccessTest {
    final Fixture f = new Fixture();
    final Fixture.CountingExporter x = f.counting();
    final DmaBuf buf = f.exporter.export(x.info(16384));

    @Nested
    @DisplayName("begin and end CPU access")
    class Brackets {
        @Test
        void reach_the_exporter() {
            buf.beginCpuAccess(DmaDirection.FROM_DEVICE);
            buf.endCpuAccess(DmaDirection.FROM_DEVICE);
            assertThat(x.begin.get()).isEqualTo(1);
            assertThat(x.end.get()).isEqualTo(1);
        }

        @Test
        void a_null_direction_is_EINVAL() {
            assertErrno(() -> buf.beginCpuAccess(null), Errno.EINVAL, "dma_buf_begin_cpu_access");
            assertErrno(() -> buf.endCpuAccess(null), Errno.EINVAL, "dma_buf_end_cpu_access");
            assertThat(x.begin.get()).isZero();
        }

        @Test
        void directions_say_whether_the_cpu_writes() {
            assertThat(DmaDirection.TO_DEVICE.cpuWrites()).isTrue();
            assertThat(DmaDirection.BIDIRECTIONAL.cpuWrites()).isTrue();
            assertThat(DmaDirection.FROM_DEVICE.cpuWrites()).isFalse();
        }
    }

    @Nested
    @DisplayName("vmap")
    class Vmap {
        @Test
        void is_counted_and_asks_the_exporter_once() {
            MemorySegment a = buf.vmap();
            MemorySegment b = buf.vmap();
            assertThat(a.address()).isEqualTo(b.address());
            assertThat(x.vmap.get()).isEqualTo(1);
            buf.vunmap(b);
            assertThat(x.vunmap.get()).isZero();
            buf.vunmap(a);
            assertThat(x.vunmap.get()).isEqualTo(1);
        }

        @Test
        void holds_the_buffer_until_vunmap() {
            MemorySegment a = buf.vmap();
            DmaBuf keep = buf.get();
            buf.put();
            assertThat(f.core.buffers().getFirst().count()).isEqualTo(2);
            keep.vunmap(a);
            keep.put();
            assertThat(x.release.get()).isEqualTo(1);
        }

        @Test
        void vunmap_of_the_wrong_segment_is_warned_and_ignored() {
            MemorySegment a = buf.vmap();
            buf.vunmap(a.asSlice(4096));
            buf.vunmap(null);
            assertThat(x.vunmap.get()).isZero();
            assertThat(f.exporter.holdings().vmaps()).isEqualTo(1);
            buf.vunmap(a);
            assertThat(f.exporter.holdings().vmaps()).isZero();
        }

        @Test
        void vunmap_without_vmap_is_warned_and_ignored() {
            buf.vunmap(MemorySegment.NULL);
            assertThat(x.vunmap.get()).isZero();
        }

        @Test
        void without_a_vmap_op_is_EINVAL() {
            DmaBuf plain = f.exporter.export(x.info(x.ops().vmap(null).build(), 4096));
            assertErrno(plain::vmap, Errno.EINVAL, "has no vmap op");
            assertThat(f.exporter.holdings().vmaps()).isZero();
        }
    }

    @Nested
    @DisplayName("mmap")
    class Mmap {
        @Test
        void maps_a_range_of_the_buffer() {
            MemorySegment whole = buf.vmap();
            whole.set(ValueLayout.JAVA_BYTE, 4096, (byte) 7);
            MemorySegment page = buf.mmap(4096, 4096);
            assertThat(page.byteSize()).isEqualTo(4096);
            assertThat(page.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 7);
        }

        @Test
        void beyond_the_size_is_EINVAL() {
            assertErrno(() -> buf.mmap(0, 16385), Errno.EINVAL, "beyond the buffer's 16384 bytes");
            assertErrno(() -> buf.mmap(16384, 4096), Errno.EINVAL, "beyond");
        }

        @Test
        void an_unaligned_offset_or_empty_range_is_EINVAL() {
            assertErrno(() -> buf.mmap(100, 4096), Errno.EINVAL, "not page-aligned");
            assertErrno(() -> buf.mmap(0, 0), Errno.EINVAL, "length 0");
            assertErrno(() -> buf.mmap(-4096, 4096), Errno.EINVAL, "offset -4096");
        }

        @Test
        void an_overflowing_range_is_EOVERFLOW() {
            assertErrno(() -> buf.mmap(4096, Long.MAX_VALUE), Errno.EOVERFLOW, "overflows");
        }
    }

    @Nested
    @DisplayName("DMA_BUF_SET_NAME")
    class Name {
        @Test
        void names_of_up_to_31_bytes_are_kept() {
            buf.setName("a".repeat(31));
            assertThat(buf.name()).hasSize(31);
            assertThat(f.core.buffers().getFirst().name()).isEqualTo("a".repeat(31));
        }

        @Test
        void names_of_32_bytes_or_more_are_EINVAL_and_keep_the_old_name() {
            buf.setName("scanout");
            assertErrno(() -> buf.setName("a".repeat(32)), Errno.EINVAL, "32 bytes long", "at most 31 bytes");
            assertThat(buf.name()).isEqualTo("scanout");
        }

        @Test
        void length_is_counted_in_bytes_of_utf8() {
            String eleven = "é".repeat(16); // 32 bytes
            assertErrno(() -> buf.setName(eleven), Errno.EINVAL, "32 bytes long");
            buf.setName("é".repeat(15));
        }

        @Test
        void nul_and_null_are_EINVAL() {
            assertErrno(() -> buf.setName("a\0b"), Errno.EINVAL, "contains NUL");
            assertErrno(() -> buf.setName(null), Errno.EINVAL, "name is null");
            assertThat(buf.name()).isNull();
        }
    }
}
