// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.Fcntl;
import org.dmabuf.framework.internal.memory.Pages;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** dma_buf_export: the kernel's validation at the door, and the first reference. */
class ExportTest {
    final Fixture f = new Fixture();
    final Fixture.CountingExporter x = f.counting();

    void assertRefused(ExportInfo<?> info, Errno errno, String... messageParts) {
        int before = f.core.bufferCount();
        LoadedModule.Holdings held = f.exporter.holdings();
        assertThatThrownBy(() -> f.exporter.export(info))
                .isInstanceOf(DmaBufException.class)
                .satisfies(e -> assertThat(((DmaBufException) e).errno()).isEqualTo(errno))
                .hasMessageContaining("dma_buf_export")
                .hasMessageContaining("-" + errno.name())
                .hasMessageContainingAll(messageParts);
        assertThat(f.core.bufferCount()).as("no buffer made").isEqualTo(before);
        assertThat(f.exporter.holdings()).as("nothing held").isEqualTo(held);
    }

    @Nested
    @DisplayName("rejects with EINVAL, as WARN_ON in dma_buf_export")
    class Rejects {
        @Test
        void null_info() {
            assertRefused(null, Errno.EINVAL, "exp_info is null");
        }

        @Test
        void missing_ops() {
            assertRefused(ExportInfo.builder(null, f.systemPages.allocate(4096), 4096).build(), Errno.EINVAL, "no ops");
        }

        @Test
        void missing_priv() {
            assertRefused(ExportInfo.<Pages>builder(x.ops().build(), null, 4096).build(), Errno.EINVAL, "no priv");
        }

        @Test
        void missing_map_dma_buf() {
            assertRefused(x.info(x.ops().map(null).build(), 4096), Errno.EINVAL, "lack map_dma_buf");
        }

        @Test
        void missing_unmap_dma_buf() {
            assertRefused(x.info(x.ops().unmap(null).build(), 4096), Errno.EINVAL, "lack unmap_dma_buf");
        }

        @Test
        void missing_release() {
            assertRefused(x.info(x.ops().release(null).build(), 4096), Errno.EINVAL, "lack release");
        }

        @Test
        void all_mandatory_ops_missing_are_named() {
            DmaBufOps<Pages> none = DmaBufOps.<Pages>builder().build();
            assertRefused(x.info(none, 4096), Errno.EINVAL, "map_dma_buf, unmap_dma_buf, release");
        }

        @Test
        void pin_without_unpin() {
            assertRefused(x.info(x.ops().pin((p, a) -> { }).build(), 4096), Errno.EINVAL, "pin without unpin");
        }

        @Test
        void unpin_without_pin() {
            assertRefused(x.info(x.ops().unpin((p, a) -> { }).build(), 4096), Errno.EINVAL, "unpin without pin");
        }

        @Test
        void size_zero() {
            assertRefused(ExportInfo.builder(x.ops().build(), f.systemPages.allocate(1), 0).build(), Errno.EINVAL,
                    "size 0");
        }

        @Test
        void unknown_file_flags() {
            assertRefused(ExportInfo.builder(x.ops().build(), f.systemPages.allocate(1), 4096).flags(0100).build(),
                    Errno.EINVAL, "file flags");
        }
    }

    @Test
    @DisplayName("refuses with ENOENT when the owner is unloading (try_module_get fails)")
    void owner_unloading() {
        f.exporter.close();
        assertRefused(x.info(4096), Errno.ENOENT, "unloading");
    }

    @Test
    void gives_the_exporter_the_first_reference() {
        DmaBuf buf = f.exporter.export(x.info(8192));
        assertThat(buf.size()).isEqualTo(8192);
        assertThat(buf.expName()).as("exp_name defaults to the module name").isEqualTo("exporter");
        assertThat(buf.flags()).isEqualTo(Fcntl.O_RDWR);
        assertThat(buf.isHeld()).isTrue();
        assertThat(f.core.buffers()).singleElement().satisfies(b -> {
            assertThat(b.count()).isEqualTo(1);
            assertThat(b.exporter()).isEqualTo("exporter");
        });
        assertThat(f.exporter.holdings().references()).isEqualTo(1);
    }

    @Test
    void exp_name_can_be_set() {
        DmaBuf buf = f.exporter.export(ExportInfo.builder(x.ops().build(), f.systemPages.allocate(4096), 4096)
                .expName("nvidia").build());
        assertThat(buf.expName()).isEqualTo("nvidia");
    }

    @Test
    void inode_numbers_are_unique() {
        DmaBuf a = f.exporter.export(x.info(4096));
        DmaBuf b = f.exporter.export(x.info(4096));
        assertThat(a.inode()).isNotEqualTo(b.inode());
    }
}
