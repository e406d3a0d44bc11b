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

    @Test
    void in_debug_mode_a_reference_dropped_without_put_is_reported_and_put() {
        f.core.debug(true);
        org.dmabuf.framework.internal.fence.Lockdep.clear();
        try {
            int fd = f.exporter.heap("system").allocate(4096);
            long ino = leak(fd);
            f.exporter.close(fd);
            long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (f.core.bufferCount() != 0) { // the leaked reference is the last: put by the cleaner, released
                assertThat(System.nanoTime()).as("the leak found and put").isLessThan(end);
                System.gc();
                Thread.onSpinWait();
            }
            assertThat(f.core.holders(ino)).isEmpty();
            assertThat(org.dmabuf.framework.internal.fence.Lockdep.reports()).singleElement().satisfies(r -> {
                assertThat(r.title()).isEqualTo("ref_tracker: reference leaked");
                assertThat(r.text()).startsWith("ref_tracker: exporter: a reference to ino " + ino
                        + " (system) became unreachable without dma_buf_put; putting it (taken at HoldersTest.leak(");
                assertThat(r.bundles()).containsExactly("exporter");
            });
        } finally {
            org.dmabuf.framework.internal.fence.Lockdep.clear();
            f.core.debug(false);
        }
    }

    private void putTwice(int fd) {
        DmaBuf buf = f.exporter.get(fd);
        buf.put();
        assertThat(buf.isHeld()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(buf::put)
                .hasMessageContaining("was already put or moved into an fd");
    }

    // takes a reference and drops the handle without dma_buf_put
    private long leak(int fd) {
        DmaBuf buf = f.exporter.get(fd);
        assertThat(buf.isHeld()).isTrue();
        return buf.inode();
    }

    @Test
    void in_debug_mode_a_reference_put_is_not_a_leak_and_a_second_put_still_fails() {
        f.core.debug(true);
        org.dmabuf.framework.internal.fence.Lockdep.clear();
        try {
            int fd = f.exporter.heap("system").allocate(4096);
            putTwice(fd);
            // a leak beside it: once the cleaner has reported that one, the put one, unreachable as long, would
            // have been reported too (a put deregisters its cleaning at once: it never can be)
            int other = f.exporter.heap("system").allocate(4096);
            long leakedIno = leak(other);
            f.exporter.close(fd);
            f.exporter.close(other);
            long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (f.core.bufferCount() != 0) {
                assertThat(System.nanoTime()).as("the leak found and put").isLessThan(end);
                System.gc();
                Thread.onSpinWait();
            }
            assertThat(org.dmabuf.framework.internal.fence.Lockdep.reports()).singleElement()
                    .satisfies(r -> assertThat(r.text()).contains("a reference to ino " + leakedIno + " "));
        } finally {
            f.core.debug(false);
        }
    }
}
