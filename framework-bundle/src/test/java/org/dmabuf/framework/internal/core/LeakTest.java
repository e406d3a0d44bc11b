// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.framework.internal.memory.Pages;
import org.junit.jupiter.api.Test;

/** Memory a failed release could not return is not hidden: the buffer stays listed, counted, and named leaked. */
class LeakTest {
    private final Fixture f = new Fixture();

    @Test
    void a_release_that_throws_leaves_the_buffer_listed_as_leaked() {
        Pages pages = f.systemPages.allocate(8192);
        DmaBufOps<Pages> ops = DmaBufOps.<Pages>builder().map((p, a, d) -> p.segment()).unmap((p, a, s, d) -> { })
                .release(p -> {
                    throw new IllegalStateException("driver bug: double free");
                }).build();
        DmaBuf buf = f.exporter.export(ExportInfo.builder(ops, pages, 8192).build());
        long ino = buf.inode();
        buf.put();

        assertThat(f.core.bufferCount()).as("counted").isEqualTo(1);
        assertThat(f.core.bufferBytes()).isEqualTo(8192);
        assertThat(f.core.buffers()).singleElement().satisfies(b -> {
            assertThat(b.ino()).isEqualTo(ino);
            assertThat(b.count()).as("nobody holds it").isZero();
            assertThat(b.expName()).as("attributed to its exporter").isEqualTo("exporter");
        });
        assertThat(f.core.bufinfo()).contains("Total 1 objects, 8192 bytes").contains(
                "Leaked (release failed, memory not returned):\nino " + ino + ", 8192 bytes, exporter exporter:"
                        + " java.lang.IllegalStateException: driver bug: double free");
        assertThat(f.systemPages.usedBytes()).as("indeed not returned").isEqualTo(8192);
    }
}
