// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBuf;
import org.junit.jupiter.api.Test;

/** {@code dmabuf:holders}: who holds a buffer, and, in debug mode, the code that took each handle (ref_tracker). */
class HoldersTest {
    final Fixture f = new Fixture();

    @Test
    void in_debug_mode_each_handle_names_the_code_that_took_it() {
        f.core.debug(true);
        int fd = f.exporter.heap("system").allocate(4096);
        DmaBuf buf = f.exporter.get(fd);
        Attachment a = buf.attach(f.igpu);
        long ino = buf.inode();
        int received = f.importer.receive(f.exporter.send(fd));

        assertThat(f.core.holders(ino)).satisfiesExactlyInAnyOrder(
                l -> assertThat(l).startsWith("exporter: fd " + fd + " (taken at HoldersTest.in_debug_mode_"),
                l -> assertThat(l).startsWith("exporter: a reference (taken at HoldersTest.in_debug_mode_"),
                l -> assertThat(l).startsWith("exporter: an attachment of 0000:00:02.0 (taken at HoldersTest."),
                l -> assertThat(l).startsWith("importer: fd " + received + " (taken at HoldersTest."));
        assertThat(f.core.holders(ino)).allSatisfy(l -> assertThat(l).contains("(HoldersTest.java:"));

        buf.detach(a);
        buf.put();
        f.exporter.close(fd);
        assertThat(f.core.holders(ino)).singleElement().asString().startsWith("importer: fd " + received);
        f.importer.close(received);
        assertThat(f.core.holders(ino)).isEmpty();
    }

    @Test
    void without_debug_mode_the_holders_are_listed_without_origins() {
        int fd = f.exporter.heap("system").allocate(4096);
        DmaBuf buf = f.exporter.get(fd);
        assertThat(f.core.holders(buf.inode())).containsExactlyInAnyOrder("exporter: fd " + fd,
                "exporter: a reference");
        buf.put();
        f.exporter.close(fd);
    }
}
