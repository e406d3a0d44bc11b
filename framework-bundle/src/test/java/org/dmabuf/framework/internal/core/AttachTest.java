// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dmabuf.framework.internal.core.HandleTest.assertErrno;

import java.util.ArrayList;
import java.util.List;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ImporterOps;
import org.dmabuf.api.Mapping;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Attachments, mappings, pins and move-notify. */
class AttachTest {
    final Fixture f = new Fixture();
    final Fixture.CountingExporter x = f.counting();
    final List<Attachment> moved = new ArrayList<>();
    final ImporterOps importerOps = ImporterOps.builder().invalidateMappings(moved::add).build();

    DmaBuf shared() {
        int fd = f.exporter.export(x.info(8192)).fd(0);
        return f.importer.get(f.importer.receive(f.exporter.send(fd)));
    }

    DmaBuf sharedDynamic() {
        int fd = f.exporter.export(x.info(x.dynamicOps(), 8192)).fd(0);
        return f.importer.get(f.importer.receive(f.exporter.send(fd)));
    }

    List<String> attached(DmaBuf buf) {
        return f.core.buffers().stream().filter(b -> b.ino() == buf.inode()).findFirst().orElseThrow()
                .attachedDevices();
    }

    @Nested
    @DisplayName("attach and detach")
    class AttachDetach {
        @Test
        void attach_calls_the_exporter_and_lists_the_device() {
            DmaBuf buf = shared();
            Attachment a = buf.attach(f.igpu);
            assertThat(x.attach.get()).isEqualTo(1);
            assertThat(a.device()).isSameAs(f.igpu);
            assertThat(a.isDynamic()).isFalse();
            assertThat(attached(buf)).containsExactly("0000:00:02.0");
            buf.detach(a);
            assertThat(x.detach.get()).isEqualTo(1);
            assertThat(a.isAttached()).isFalse();
            assertThat(attached(buf)).isEmpty();
        }

        @Test
        void the_exporter_can_refuse_and_nothing_changes() {
            DmaBuf buf = shared();
            x.failAttach = new DmaBufException(Errno.EBUSY, "VRAM not reachable by 0000:00:02.0");
            assertErrno(() -> buf.attach(f.igpu), Errno.EBUSY, "VRAM not reachable");
            assertThat(attached(buf)).isEmpty();
            assertThat(f.importer.holdings().attachments()).isZero();
            assertThat(f.core.buffers().getFirst().count()).isEqualTo(3);
        }

        @Test
        void an_exporter_that_throws_is_reported_as_EIO_and_nothing_changes() {
            DmaBuf buf = shared();
            x.failAttach = new IllegalStateException("driver bug");
            assertErrno(() -> buf.attach(f.igpu), Errno.EIO, "exporter exporter failed in attach", "driver bug");
            assertThat(attached(buf)).isEmpty();
            assertThat(f.core.buffers().getFirst().count()).isEqualTo(3);
        }

        @Test
        void attach_of_a_null_device_is_EINVAL() {
            assertErrno(() -> shared().attach(null), Errno.EINVAL, "device is null");
        }

        @Test
        void attach_of_an_unplugged_device_is_ENODEV() {
            DmaBuf buf = shared();
            f.unplug(f.igpu);
            assertErrno(() -> buf.attach(f.igpu), Errno.ENODEV, "unplugged");
            assertThat(x.attach.get()).isZero();
        }

        @Test
        void dynamic_attach_without_invalidate_mappings_is_EINVAL() {
            DmaBuf buf = shared();
            assertErrno(() -> buf.dynamicAttach(f.igpu, ImporterOps.builder().build()), Errno.EINVAL,
                    "dma_buf_dynamic_attach", "no invalidate_mappings");
            assertErrno(() -> buf.dynamicAttach(f.igpu, null), Errno.EINVAL, "importer_ops is null");
            assertThat(x.attach.get()).isZero();
            assertThat(attached(buf)).isEmpty();
        }

        @Test
        void detach_of_another_buffers_attachment_is_warned_and_ignored() {
            DmaBuf a = shared();
            DmaBuf b = shared();
            Attachment att = a.attach(f.igpu);
            b.detach(att);
            assertThat(att.isAttached()).isTrue();
            assertThat(x.detach.get()).isZero();
        }

        @Test
        void detach_twice_is_warned_and_ignored() {
            DmaBuf buf = shared();
            Attachment a = buf.attach(f.igpu);
            buf.detach(a);
            buf.detach(a);
            buf.detach(null);
            assertThat(x.detach.get()).isEqualTo(1);
        }

        @Test
        void an_attachment_keeps_the_buffer_alive() {
            DmaBuf buf = shared();
            Attachment a = buf.attach(f.igpu);
            DmaBuf other = buf.get();
            f.exporter.close();
            f.importer.close(3);
            buf.put();
            assertThat(x.release.get()).isZero();
            other.detach(a);
            other.put();
            assertThat(x.release.get()).isEqualTo(1);
        }

        @Test
        void detach_unmaps_what_is_still_mapped() {
            DmaBuf buf = shared();
            Attachment a = buf.attach(f.igpu);
            Mapping m = a.mapAttachment(DmaDirection.FROM_DEVICE);
            buf.detach(a);
            assertThat(m.isMapped()).isFalse();
            assertThat(x.unmap.get()).isEqualTo(1);
        }
    }

    @Nested
    @DisplayName("map and unmap")
    class MapUnmap {
        @Test
        void map_gives_the_exporters_memory_itself() {
            DmaBuf buf = shared();
            Attachment a = buf.attach(f.igpu);
            Mapping m = a.mapAttachment(DmaDirection.TO_DEVICE);
            Mapping m2 = buf.attach(f.dgpu).mapAttachment(DmaDirection.FROM_DEVICE);
            m.segment().set(java.lang.foreign.ValueLayout.JAVA_INT, 0, 0xC0FFEE);
            assertThat(m2.segment().get(java.lang.foreign.ValueLayout.JAVA_INT, 0))
                    .as("zero copies: both devices see the same bytes").isEqualTo(0xC0FFEE);
            assertThat(m.segment().address()).isEqualTo(m2.segment().address());
            assertThat(m.segment().byteSize()).isEqualTo(8192);
            assertThat(m.direction()).isEqualTo(DmaDirection.TO_DEVICE);
            a.unmapAttachment(m);
            assertThat(x.map.get()).isEqualTo(2);
            assertThat(x.unmap.get()).isEqualTo(1);
        }

        @Test
        void map_with_a_null_direction_is_EINVAL() {
            Attachment a = shared().attach(f.igpu);
            assertErrno(() -> a.mapAttachment(null), Errno.EINVAL, "direction is null");
            assertThat(x.map.get()).isZero();
        }

        @Test
        void map_of_a_detached_attachment_is_EINVAL() {
            DmaBuf buf = shared();
            Attachment a = buf.attach(f.igpu);
            buf.detach(a);
            assertErrno(() -> a.mapAttachment(DmaDirection.TO_DEVICE), Errno.EINVAL, "detached");
        }

        @Test
        void unmap_twice_is_EINVAL() {
            Attachment a = shared().attach(f.igpu);
            Mapping m = a.mapAttachment(DmaDirection.BIDIRECTIONAL);
            a.unmapAttachment(m);
            assertErrno(() -> a.unmapAttachment(m), Errno.EINVAL, "is not mapped");
            assertThat(x.unmap.get()).isEqualTo(1);
        }

        @Test
        void unmap_of_another_attachments_mapping_is_EINVAL() {
            DmaBuf buf = shared();
            Attachment a = buf.attach(f.igpu);
            Attachment b = buf.attach(f.dgpu);
            Mapping m = a.mapAttachment(DmaDirection.TO_DEVICE);
            assertErrno(() -> b.unmapAttachment(m), Errno.EINVAL, "another attachment");
            assertErrno(() -> b.unmapAttachment(null), Errno.EINVAL, "mapping is null");
            assertThat(m.isMapped()).isTrue();
        }

        @Test
        void close_unmaps_once() {
            Attachment a = shared().attach(f.igpu);
            try (Mapping m = a.mapAttachment(DmaDirection.TO_DEVICE)) {
                assertThat(m.isMapped()).isTrue();
            }
            assertThat(x.unmap.get()).isEqualTo(1);
        }

        @Test
        void an_exporter_failing_map_is_EIO_and_nothing_is_mapped() {
            DmaBuf buf = shared();
            Attachment a = buf.attach(f.igpu);
            x.failMap = new IndexOutOfBoundsException("page table bug");
            assertErrno(() -> a.mapAttachment(DmaDirection.TO_DEVICE), Errno.EIO, "map_dma_buf");
            x.failMap = new DmaBufException(Errno.ENOMEM, "out of GART space");
            assertErrno(() -> a.mapAttachment(DmaDirection.TO_DEVICE), Errno.ENOMEM, "GART");
            x.failMap = null;
            buf.detach(a);
            assertThat(x.unmap.get()).as("nothing was left to unmap").isZero();
        }

        @Test
        void a_static_importer_of_a_dynamic_exporter_pins_for_the_mapping() {
            DmaBuf buf = sharedDynamic();
            Attachment a = buf.attach(f.igpu);
            Mapping m = a.mapAttachment(DmaDirection.TO_DEVICE);
            assertThat(x.pin.get()).isEqualTo(1);
            a.unmapAttachment(m);
            assertThat(x.unpin.get()).isEqualTo(1);
        }
    }

    @Nested
    @DisplayName("pin, unpin and move_notify")
    class Dynamic {
        @Test
        void pin_and_unpin_are_for_dynamic_importers_only() {
            Attachment a = sharedDynamic().attach(f.igpu);
            assertErrno(a::pin, Errno.EINVAL, "dma_buf_pin", "is static");
            assertErrno(a::unpin, Errno.EINVAL, "dma_buf_unpin", "is static");
            assertThat(x.pin.get()).isZero();
        }

        @Test
        void pin_is_counted_and_reaches_the_exporter() {
            Attachment a = sharedDynamic().dynamicAttach(f.igpu, importerOps);
            a.pin();
            a.pin();
            a.unpin();
            a.unpin();
            assertErrno(a::unpin, Errno.EINVAL, "not pinned");
            assertThat(x.pin.get()).isEqualTo(2);
            assertThat(x.unpin.get()).isEqualTo(2);
        }

        @Test
        void a_dynamic_importer_does_not_pin_on_map() {
            Attachment a = sharedDynamic().dynamicAttach(f.igpu, importerOps);
            a.mapAttachment(DmaDirection.TO_DEVICE).close();
            assertThat(x.pin.get()).isZero();
        }

        @Test
        void detach_drops_pins_left() {
            DmaBuf buf = sharedDynamic();
            Attachment a = buf.dynamicAttach(f.igpu, importerOps);
            a.pin();
            buf.detach(a);
            assertThat(x.unpin.get()).isEqualTo(1);
        }

        @Test
        void move_notify_reaches_every_dynamic_importer_and_no_static_one() {
            int fd = f.exporter.export(x.info(x.dynamicOps(), 8192)).fd(0);
            DmaBuf exp = f.exporter.get(fd);
            DmaBuf imp = f.importer.get(f.importer.receive(f.exporter.send(fd)));
            Attachment d1 = imp.dynamicAttach(f.igpu, importerOps);
            Attachment d2 = imp.dynamicAttach(f.dgpu, importerOps);
            imp.attach(f.igpu);
            exp.invalidateMappings();
            assertThat(moved).containsExactlyInAnyOrder(d1, d2);
        }

        @Test
        @SuppressWarnings("deprecation")
        void the_old_name_move_notify_does_what_invalidate_mappings_does_and_only_revocable_attachments_follow_it() {
            int fd = f.exporter.export(x.info(x.dynamicOps(), 8192)).fd(0);
            DmaBuf exp = f.exporter.get(fd);
            DmaBuf imp = f.importer.get(f.importer.receive(f.exporter.send(fd)));
            Attachment dynamic = imp.dynamicAttach(f.igpu, ImporterOps.builder().moveNotify(moved::add).build());
            Attachment pinned = imp.attach(f.dgpu);
            assertThat(dynamic.revocable()).as("dma_buf_attach_revocable of a dynamic importer").isTrue();
            assertThat(pinned.revocable()).as("a static importer keeps mapping: not revocable").isFalse();
            exp.moveNotify();
            assertThat(moved).containsExactly(dynamic);
            assertErrno(imp::moveNotify, Errno.EPERM, "dma_buf_move_notify: importer is not the exporter");
        }

        @Test
        void move_notify_is_for_the_exporter_only() {
            DmaBuf imp = sharedDynamic();
            imp.dynamicAttach(f.igpu, importerOps);
            assertErrno(imp::invalidateMappings, Errno.EPERM, "importer is not the exporter", "exporter exporter");
            assertThat(moved).isEmpty();
        }

        @Test
        void an_importer_failing_move_notify_does_not_stop_the_others() {
            int fd = f.exporter.export(x.info(x.dynamicOps(), 8192)).fd(0);
            DmaBuf exp = f.exporter.get(fd);
            DmaBuf imp = f.importer.get(f.importer.receive(f.exporter.send(fd)));
            imp.dynamicAttach(f.igpu, ImporterOps.builder().invalidateMappings(a -> {
                throw new IllegalStateException("importer bug");
            }).build());
            Attachment ok = imp.dynamicAttach(f.dgpu, importerOps);
            exp.invalidateMappings();
            assertThat(moved).containsExactly(ok);
        }
    }
}
