// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.Fcntl;
import org.dmabuf.api.FdTransfer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The fd table, references and transfers: dma_buf_fd, dma_buf_get, dma_buf_put, get_dma_buf. */
class HandleTest {
    final Fixture f = new Fixture();
    final Fixture.CountingExporter x = f.counting();

    static void assertErrno(Runnable call, Errno errno, String... parts) {
        assertThatThrownBy(call::run).isInstanceOf(DmaBufException.class)
                .satisfies(e -> assertThat(((DmaBufException) e).errno()).isEqualTo(errno))
                .hasMessageContainingAll(parts);
    }

    int exportFd() {
        return f.exporter.export(x.info(4096)).fd(Fcntl.O_CLOEXEC);
    }

    long count(long ino) {
        return f.core.buffers().stream().filter(b -> b.ino() == ino).findFirst().orElseThrow().count();
    }

    @Nested
    @DisplayName("fds")
    class Fds {
        @Test
        void the_first_fd_is_3_as_in_a_process_with_stdio() {
            assertThat(exportFd()).isEqualTo(3);
            assertThat(f.exporter.fds()).containsExactly(0, 1, 2, 3);
        }

        @Test
        void dma_buf_fd_moves_the_reference_into_the_table() {
            DmaBuf buf = f.exporter.export(x.info(4096));
            int fd = buf.fd(0);
            assertThat(buf.isHeld()).isFalse();
            assertThat(count(buf.inode())).isEqualTo(1);
            assertThat(f.exporter.holdings().references()).isZero();
            assertErrno(() -> buf.put(), Errno.EINVAL, "already put or moved into an fd");
            assertThat(fd).isEqualTo(3);
        }

        @Test
        void dma_buf_fd_rejects_unknown_flags_and_keeps_the_reference() {
            DmaBuf buf = f.exporter.export(x.info(4096));
            assertErrno(() -> buf.fd(Fcntl.O_RDWR), Errno.EINVAL, "dma_buf_fd", "expected 0 or O_CLOEXEC");
            assertThat(buf.isHeld()).isTrue();
            assertThat(f.exporter.fds()).containsExactly(0, 1, 2);
        }

        @Test
        void get_of_a_closed_fd_is_EBADF() {
            int fd = exportFd();
            f.exporter.close(fd);
            assertErrno(() -> f.exporter.get(fd), Errno.EBADF, "dma_buf_get", "fd 3 is not open");
        }

        @Test
        void get_of_a_never_opened_or_negative_fd_is_EBADF() {
            assertErrno(() -> f.exporter.get(42), Errno.EBADF, "fd 42");
            assertErrno(() -> f.exporter.get(-1), Errno.EBADF, "fd -1");
        }

        @Test
        void get_of_a_non_dma_buf_fd_is_EINVAL() {
            assertErrno(() -> f.exporter.get(0), Errno.EINVAL, "fd 0 is stdin, not a dma-buf");
            assertThat(f.exporter.holdings().references()).isZero();
        }

        @Test
        void fds_are_per_bundle() {
            int fd = exportFd();
            assertErrno(() -> f.importer.get(fd), Errno.EBADF, "not open in this bundle's fd table");
        }

        @Test
        void get_counts_and_put_uncounts() {
            int fd = exportFd();
            DmaBuf a = f.exporter.get(fd);
            DmaBuf b = a.get();
            assertThat(count(a.inode())).isEqualTo(3);
            a.put();
            b.put();
            assertThat(count(a.inode())).isEqualTo(1);
            assertThat(x.release.get()).isZero();
        }

        @Test
        void double_put_is_EINVAL_and_changes_nothing() {
            int fd = exportFd();
            DmaBuf a = f.exporter.get(fd);
            a.put();
            assertErrno(a::put, Errno.EINVAL, "dma_buf_put", "already put");
            assertThat(count(a.inode())).isEqualTo(1);
        }

        @Test
        void a_put_reference_is_dead() {
            DmaBuf a = f.exporter.get(exportFd());
            a.put();
            assertErrno(() -> a.attach(f.igpu), Errno.EBADF, "dma_buf_attach", "already put");
            assertErrno(a::get, Errno.EBADF, "get_dma_buf");
            assertErrno(a::vmap, Errno.EBADF, "dma_buf_vmap");
        }

        @Test
        void dup_and_close() {
            int fd = exportFd();
            int fd2 = f.exporter.dup(fd);
            assertThat(fd2).isEqualTo(4);
            DmaBuf buf = f.exporter.get(fd2);
            assertThat(count(buf.inode())).isEqualTo(3);
            buf.put();
            f.exporter.close(fd);
            assertThat(f.exporter.fds()).containsExactly(0, 1, 2, 4);
            assertThat(exportFd()).as("the lowest free fd is reused").isEqualTo(3);
        }

        @Test
        void close_of_a_closed_fd_is_EBADF() {
            int fd = exportFd();
            f.exporter.close(fd);
            assertErrno(() -> f.exporter.close(fd), Errno.EBADF, "close");
            assertErrno(() -> f.exporter.dup(fd), Errno.EBADF, "dup");
            assertThat(f.exporter.fds()).containsExactly(0, 1, 2);
        }

        @Test
        void a_full_table_is_EMFILE_and_changes_nothing() {
            FdTable small = new FdTable("small", 4);
            assertThat(small.reserve()).isEqualTo(3);
            assertErrno(small::reserve, Errno.EMFILE, "fd table is full");
        }
    }

    @Nested
    @DisplayName("release")
    class Release {
        @Test
        void runs_once_when_the_last_reference_of_any_kind_drops() {
            DmaBuf buf = f.exporter.export(x.info(4096));
            int fd = buf.get().fd(0);
            FdTransfer t = f.exporter.send(fd);
            var att = buf.attach(f.igpu);
            buf.put();
            f.exporter.close(fd);
            assertThat(x.release.get()).as("the transfer and the attachment still hold it").isZero();
            int ifd = f.importer.receive(t);
            DmaBuf imp = f.importer.get(ifd);
            f.importer.close(ifd);
            assertThat(x.release.get()).isZero();
            imp.detach(att); // not the importer's attachment: warned, ignored
            assertThat(att.isAttached()).isTrue();
            DmaBuf exp2 = f.exporter.export(x.info(4096)); // unrelated
            exp2.put();
            imp.put();
            assertThat(x.release.get()).as("the other buffer only").isEqualTo(1);
            f.exporter.close(); // the exporter's attachment goes with the exporter
            assertThat(x.release.get()).isEqualTo(2);
            assertThat(f.core.bufferCount()).isZero();
        }
    }

    @Nested
    @DisplayName("transfers (SCM_RIGHTS)")
    class Transfers {
        @Test
        void send_and_receive_move_a_buffer_to_another_bundle() {
            int fd = exportFd();
            FdTransfer t = f.exporter.send(fd);
            assertThat(t.isConsumed()).isFalse();
            int ifd = f.importer.receive(t);
            assertThat(t.isConsumed()).isTrue();
            DmaBuf imp = f.importer.get(ifd);
            DmaBuf exp = f.exporter.get(fd);
            assertThat(imp.inode()).isEqualTo(exp.inode());
            assertThat(count(imp.inode())).isEqualTo(4);
            imp.put();
            exp.put();
        }

        @Test
        void a_transfer_is_received_once() {
            FdTransfer t = f.exporter.send(exportFd());
            f.importer.receive(t);
            assertErrno(() -> f.importer.receive(t), Errno.EBADF, "already received");
            assertThat(f.importer.fds()).containsExactly(0, 1, 2, 3);
        }

        @Test
        void a_cancelled_transfer_cannot_be_received_and_drops_its_reference() {
            int fd = exportFd();
            FdTransfer t = f.exporter.send(fd);
            t.cancel();
            assertErrno(() -> f.importer.receive(t), Errno.EBADF, "cancelled");
            assertThat(count(t.inode())).isEqualTo(1);
        }

        @Test
        void a_transfer_in_flight_keeps_the_buffer_alive() {
            int fd = exportFd();
            FdTransfer t = f.exporter.send(fd);
            f.exporter.close(fd);
            assertThat(x.release.get()).isZero();
            int ifd = f.importer.receive(t);
            f.importer.close(ifd);
            assertThat(x.release.get()).isEqualTo(1);
        }

        @Test
        void the_sender_stopping_cancels_what_it_did_not_deliver() {
            FdTransfer t = f.exporter.send(exportFd());
            f.exporter.close();
            assertThat(t.isConsumed()).isTrue();
            assertThat(x.release.get()).isEqualTo(1);
            assertErrno(() -> f.importer.receive(t), Errno.EBADF, "cancelled");
        }

        @Test
        void send_of_stdout_is_EINVAL() {
            assertErrno(() -> f.exporter.send(1), Errno.EINVAL, "fd 1 is stdout");
        }

        @Test
        void receive_of_null_is_EINVAL() {
            assertErrno(() -> f.importer.receive(null), Errno.EINVAL, "transfer is null");
        }
    }
}
