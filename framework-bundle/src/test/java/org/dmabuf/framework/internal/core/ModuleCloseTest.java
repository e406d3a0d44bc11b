// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dmabuf.framework.internal.core.HandleTest.assertErrno;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.Mapping;
import org.junit.jupiter.api.Test;

/** A bundle that stops gives back everything it held, and its buffers' other users keep theirs. */
class ModuleCloseTest {
    final Fixture f = new Fixture();
    final Fixture.CountingExporter x = f.counting();

    @Test
    void an_importer_stopping_unmaps_detaches_and_drops_everything() {
        int fd = f.exporter.export(x.info(8192)).fd(0);
        int ifd = f.importer.receive(f.exporter.send(fd));
        DmaBuf imp = f.importer.get(ifd);
        Attachment a = imp.attach(f.igpu);
        Mapping m = a.mapAttachment(DmaDirection.FROM_DEVICE);
        imp.vmap();
        imp.get();
        f.importer.dup(ifd);
        f.importer.send(ifd); // never received

        LoadedModule.Holdings cleaned = f.importer.close();

        assertThat(cleaned).isEqualTo(new LoadedModule.Holdings(2, 2, 1, 1, 1));
        assertThat(m.isMapped()).isFalse();
        assertThat(a.isAttached()).isFalse();
        assertThat(x.unmap.get()).isEqualTo(1);
        assertThat(x.detach.get()).isEqualTo(1);
        assertThat(x.vunmap.get()).isEqualTo(1);
        assertThat(imp.isHeld()).isFalse();
        assertThat(f.core.buffers()).singleElement().satisfies(b -> {
            assertThat(b.count()).as("only the exporter's fd").isEqualTo(1);
            assertThat(b.attachedDevices()).isEmpty();
        });
        assertThat(x.release.get()).as("the exporter still holds it").isZero();
    }

    @Test
    void an_exporter_stopping_leaves_shared_buffers_valid_for_importers() {
        DmaBuf exp = f.exporter.export(x.info(8192));
        int fd = exp.fd(0);
        DmaBuf imp = f.importer.get(f.importer.receive(f.exporter.send(fd)));
        Mapping m = imp.attach(f.igpu).mapAttachment(DmaDirection.BIDIRECTIONAL);
        m.segment().set(java.lang.foreign.ValueLayout.JAVA_INT, 0, 77);

        f.exporter.close();

        assertThat(x.release.get()).isZero();
        assertThat(m.segment().get(java.lang.foreign.ValueLayout.JAVA_INT, 0)).isEqualTo(77);
        f.importer.close();
        assertThat(x.release.get()).isEqualTo(1);
        assertThat(f.core.bufferCount()).isZero();
    }

    @Test
    void a_stopped_module_refuses_new_work() {
        int fd = f.importer.heap("system").allocate(4096);
        DmaBuf b = f.importer.get(fd);
        f.importer.close();
        assertErrno(() -> f.importer.get(fd), Errno.EBADF, "importer has stopped: its fd table is closed");
        assertErrno(() -> f.importer.heap("system").allocate(4096), Errno.EBADF, "closed");
        assertErrno(() -> f.importer.export(x.info(4096)), Errno.ENOENT, "unloading");
        assertErrno(() -> b.attach(f.igpu), Errno.EBADF, "already put");
        assertThat(f.core.bufferCount()).isZero();
    }

    @Test
    void closing_twice_does_nothing_more() {
        f.importer.heap("system").allocate(4096);
        assertThat(f.importer.close().fds()).isEqualTo(1);
        assertThat(f.importer.close()).isEqualTo(new LoadedModule.Holdings(0, 0, 0, 0, 0));
        assertThat(f.core.openModules()).extracting(LoadedModule::name).containsExactly("exporter");
    }

    // the stop of a view got and ungot (closeWithin's first look): closed at once when it holds nothing, left
    // open (for the bounded close) when it holds anything, and gone from the core's list of modules once closed
    @Test
    void an_idle_module_is_closed_at_once_and_a_busy_one_is_left_to_the_bounded_close() {
        LoadedModule idle = f.core.openModule("idle", 12);
        LoadedModule busy = f.core.openModule("busy", 13);
        LoadedModule fences = f.core.openModule("fences", 14);
        busy.heap("system").allocate(4096);
        new FenceView(fences).contextAlloc("fences", "timeline");
        assertThat(f.core.openModules()).extracting(LoadedModule::name).contains("idle", "busy", "fences");

        assertThat(idle.closeIfIdle()).isEqualTo(LoadedModule.Holdings.NONE);
        assertThat(idle.isClosed()).isTrue();
        assertThat(busy.closeIfIdle()).as("it holds an fd").isNull();
        assertThat(busy.isClosed()).isFalse();
        assertThat(fences.closeIfIdle()).as("it issued a fence context").isNull();
        assertThat(fences.isClosed()).isFalse();
        assertThat(f.core.openModules()).extracting(LoadedModule::name).doesNotContain("idle")
                .contains("busy", "fences");

        assertThat(f.core.closeWithin(busy).fds()).isEqualTo(1);
        assertThat(f.core.closeWithin(fences)).isEqualTo(LoadedModule.Holdings.NONE);
        assertThat(f.core.openModules()).extracting(LoadedModule::name).containsExactly("exporter", "importer");
        assertThat(f.core.bufferCount()).isZero();
    }
}
