// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.Fcntl;
import org.dmabuf.api.debugfs.BufferInfo;
import org.junit.jupiter.api.Test;

/** bufinfo in the kernel's layout (dma_buf_debug_show). */
class BufInfoTest {
    final Fixture f = new Fixture();

    @Test
    void empty() {
        assertThat(BufInfo.format(f.core.buffers())).isEqualTo("""

                Dma-buf Objects:
                size    \tflags   \tmode    \tcount   \texp_name\tino     \tname

                Total 0 objects, 0 bytes
                """);
    }

    @Test
    void buffers_their_devices_and_the_totals() {
        int fd = f.importer.heap("system").allocate(4096, Fcntl.O_RDWR, 0);
        DmaBuf a = f.importer.get(fd);
        a.setName("demo");
        a.attach(f.igpu);
        f.importer.heap("default_cma_region").allocate(8192, Fcntl.O_RDONLY, 0);
        String text = BufInfo.format(f.core.buffers());
        assertThat(text).isEqualTo("""

                Dma-buf Objects:
                size    \tflags   \tmode    \tcount   \texp_name\tino     \tname
                00004096\t00000002\t00000007\t00000003\tsystem\t00000001\tdemo
                \tAttached Devices:
                \t0000:00:02.0
                Total 1 devices attached

                00008192\t00000000\t00000005\t00000001\tdefault_cma_region\t00000002\t<none>
                \tAttached Devices:
                Total 0 devices attached


                Total 2 objects, 12288 bytes
                """);
    }

    /** @return the inode numbers bufinfo lists, in its order */
    private List<Long> listed() {
        return f.core.buffers().stream().map(BufferInfo::ino).toList();
    }

    @Test
    void buffers_are_listed_by_inode_number_whether_the_live_numbers_are_sparse_or_dense() {
        List<Integer> fds = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            fds.add(f.importer.heap("system").allocate(4096));
        }
        for (int i = 0; i < 64; i++) {
            if (i % 16 != 0) {
                f.importer.close(fds.get(i));
            }
        }
        assertThat(listed()).containsExactly(1L, 17L, 33L, 49L); // sparse: 4 live over a range of 49, sorted
        for (int i = 0; i < 40; i++) {
            f.importer.heap("system").allocate(4096);
        }
        List<Long> expected = new ArrayList<>(List.of(1L, 17L, 33L, 49L));
        for (long ino = 65; ino <= 104; ino++) {
            expected.add(ino);
        }
        assertThat(listed()).containsExactlyElementsOf(expected); // dense: 44 live over 104, put in place
    }

    @Test
    void streamed_it_allocates_the_same_few_bytes_for_ten_buffers_or_four_thousand() throws Exception {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported()
                && mx.isThreadAllocatedMemoryEnabled(), "this JVM counts no thread's allocations");
        long[] allocated = new long[2];
        long[] chars = new long[2];
        int[] counts = {10, 4_000};
        for (int k = 0; k < 2; k++) {
            while (f.core.bufferCount() < counts[k]) {
                f.importer.heap("system").allocate(4096, Fcntl.O_RDWR, 0);
            }
            long[] sink = new long[1];
            Appendable counting = new Appendable() {
                @Override
                public Appendable append(CharSequence csq) {
                    sink[0] += csq.length();
                    return this;
                }

                @Override
                public Appendable append(CharSequence csq, int start, int end) {
                    sink[0] += end - start;
                    return this;
                }

                @Override
                public Appendable append(char c) {
                    sink[0]++;
                    return this;
                }
            };
            f.core.bufinfo(counting); // once to load and link what it uses
            sink[0] = 0;
            long before = mx.getCurrentThreadAllocatedBytes();
            f.core.bufinfo(counting);
            allocated[k] = mx.getCurrentThreadAllocatedBytes() - before;
            chars[k] = sink[0];
        }
        f.importer.close(); // the buffers' off-heap pages go back now, not at the end of the test JVM
        assertThat(chars[1]).as("the text grows with the buffers").isGreaterThan(200 * chars[0]);
        // a copy of the live list, a sort or any object a buffer would be 16 KB or more for 4,000 buffers
        assertThat(allocated[1]).as("bytes allocated for 4,000 buffers, against %s for 10", allocated[0])
                .isLessThan(allocated[0] + 12_000);
    }
}
