// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.Fcntl;
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
}
