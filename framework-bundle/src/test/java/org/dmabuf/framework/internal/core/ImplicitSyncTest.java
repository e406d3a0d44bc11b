// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.dmabuf.framework.internal.core.HandleTest.assertErrno;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.api.fence.FenceContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Fences on buffers: implicit sync, sync files, and fences outliving their driver. */
class ImplicitSyncTest {
    final Fixture f = new Fixture();
    final FenceView gpu = new FenceView(f.exporter);
    final FenceView display = new FenceView(f.importer);
    final FenceContext render = gpu.contextAlloc("nvidia", "gfx");

    DmaBuf buffer() {
        return f.exporter.get(f.exporter.heap("system").allocate(4096));
    }

    static void addFence(DmaBuf buf, DmaFence fence, DmaResvUsage usage) {
        DmaResv resv = buf.resv();
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(fence, usage);
        } finally {
            resv.unlock();
        }
    }

    /** Runs {@code action} on another thread and says whether it is still blocked after a fence-free wait. */
    static CompletableFuture<Void> async(Runnable action) {
        return CompletableFuture.runAsync(action);
    }

    @Nested
    @DisplayName("poll(): readiness without blocking, as dma_buf_poll")
    class Poll {
        @Test
        void pollin_is_ready_when_the_writers_are_done_and_pollout_when_everybody_is() throws Exception {
            DmaBuf buf = buffer();
            DmaFence write = render.next();
            DmaFence read = render.next();
            addFence(buf, write, DmaResvUsage.WRITE);
            addFence(buf, read, DmaResvUsage.READ);
            CompletableFuture<Integer> in = buf.poll(DmaBuf.POLLIN).toCompletableFuture();
            CompletableFuture<Integer> out = buf.poll(DmaBuf.POLLOUT).toCompletableFuture();
            CompletableFuture<Integer> both = buf.poll(DmaBuf.POLLIN | DmaBuf.POLLOUT).toCompletableFuture();
            assertThat(in).isNotDone();
            assertThat(both).isNotDone();
            write.signal();
            assertThat(in).as("the writer is done: readable").isCompletedWithValue(DmaBuf.POLLIN);
            assertThat(out).as("a reader is still at work").isNotDone();
            assertThat(both).as("poll() returns at the first ready event, with those ready")
                    .isCompletedWithValue(DmaBuf.POLLIN);
            read.signal();
            assertThat(out).isCompletedWithValue(DmaBuf.POLLOUT);
            assertThat(buf.poll(DmaBuf.POLLIN | DmaBuf.POLLOUT).toCompletableFuture())
                    .isCompletedWithValue(DmaBuf.POLLIN | DmaBuf.POLLOUT);
            assertThat(write.waitTimeout(0, false)).isPositive();
        }

        @Test
        void a_buffer_without_fences_is_ready_at_once_and_an_error_still_makes_it_ready() {
            DmaBuf buf = buffer();
            assertThat(buf.poll(DmaBuf.POLLOUT).toCompletableFuture()).isCompletedWithValue(DmaBuf.POLLOUT);
            DmaFence failed = render.next();
            addFence(buf, failed, DmaResvUsage.WRITE);
            CompletableFuture<Integer> in = buf.poll(DmaBuf.POLLIN).toCompletableFuture();
            failed.setError(Errno.EIO.code());
            failed.signal();
            assertThat(in).isCompletedWithValue(DmaBuf.POLLIN);
        }

        @Test
        void a_poll_given_up_leaves_no_callback_behind() {
            DmaBuf buf = buffer();
            DmaFence write = render.next();
            addFence(buf, write, DmaResvUsage.WRITE);
            CompletableFuture<Integer> in = buf.poll(DmaBuf.POLLIN).toCompletableFuture();
            org.dmabuf.framework.internal.fence.FenceImpl impl = (org.dmabuf.framework.internal.fence.FenceImpl) write;
            assertThat(impl.waiters()).isEqualTo(1);
            in.cancel(false);
            assertThat(impl.waiters()).as("the cancelled poll's callback is gone").isZero();
            write.signal();
        }

        @Test
        void bad_events_and_a_dropped_reference_are_refused() {
            DmaBuf buf = buffer();
            assertThatThrownBy(() -> buf.poll(0)).hasMessageContaining("expected POLLIN (1), POLLOUT (4) or both");
            assertThatThrownBy(() -> buf.poll(2)).hasMessageContaining("dma_buf_poll: events 2");
            buf.put();
            assertThatThrownBy(() -> buf.poll(DmaBuf.POLLIN)).isInstanceOf(DmaBufException.class)
                    .satisfies(e -> assertThat(((DmaBufException) e).errno()).isEqualTo(Errno.EBADF));
        }
    }

    @Nested
    @DisplayName("CPU access waits for the fences it conflicts with")
    class CpuAccess {
        @Test
        void a_reader_waits_for_the_writer() throws Exception {
            DmaBuf buf = buffer();
            DmaFence write = render.next();
            addFence(buf, write, DmaResvUsage.WRITE);
            CompletableFuture<Void> read = async(() -> buf.beginCpuAccess(DmaDirection.FROM_DEVICE));
            assertThat(read).as("blocked on the write fence").isNotDone();
            assertThat(write.waitTimeout(TimeUnit.MILLISECONDS.toNanos(20), false)).isZero();
            assertThat(read).isNotDone();
            write.signal();
            read.get(10, TimeUnit.SECONDS);
        }

        @Test
        void a_reader_does_not_wait_for_other_readers_but_a_writer_does() throws Exception {
            DmaBuf buf = buffer();
            DmaFence read = render.next();
            addFence(buf, read, DmaResvUsage.READ);
            buf.beginCpuAccess(DmaDirection.FROM_DEVICE); // returns at once
            buf.endCpuAccess(DmaDirection.FROM_DEVICE);
            CompletableFuture<Void> write = async(() -> buf.beginCpuAccess(DmaDirection.TO_DEVICE));
            assertThat(read.waitTimeout(TimeUnit.MILLISECONDS.toNanos(20), false)).isZero();
            assertThat(write).as("a writer waits for the reader").isNotDone();
            read.signal();
            write.get(10, TimeUnit.SECONDS);
        }

        @Test
        void bookkeeping_fences_are_never_waited_for() {
            DmaBuf buf = buffer();
            addFence(buf, render.next(), DmaResvUsage.BOOKKEEP);
            buf.beginCpuAccess(DmaDirection.BIDIRECTIONAL);
        }

        @Test
        void an_interrupted_wait_is_EINTR_and_changes_nothing() throws Exception {
            DmaBuf buf = buffer();
            addFence(buf, render.next(), DmaResvUsage.WRITE);
            CompletableFuture<Throwable> failure = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    buf.beginCpuAccess(DmaDirection.FROM_DEVICE);
                    failure.complete(null);
                } catch (Throwable e) {
                    failure.complete(e);
                }
            });
            while (t.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
            t.interrupt();
            assertThat(failure.get(10, TimeUnit.SECONDS)).hasMessageContaining("-EINTR")
                    .hasMessageContaining("dma_buf_begin_cpu_access: interrupted while waiting for the write fences");
        }
    }

    @Test
    void a_static_importer_waits_for_kernel_fences_before_mapping() throws Exception {
        DmaBuf buf = buffer();
        DmaFence move = render.next();
        addFence(buf, move, DmaResvUsage.KERNEL);
        var a = buf.attach(f.igpu);
        CompletableFuture<Void> map = async(() -> a.mapAttachment(DmaDirection.TO_DEVICE).close());
        assertThat(move.waitTimeout(TimeUnit.MILLISECONDS.toNanos(20), false)).isZero();
        assertThat(map).isNotDone();
        move.signal();
        map.get(10, TimeUnit.SECONDS);
    }

    @Nested
    @DisplayName("sync files")
    class SyncFiles {
        @Test
        void export_for_a_reader_gives_the_writers_and_for_a_writer_everybody() {
            DmaBuf buf = buffer();
            DmaFence w = render.next();
            FenceContext other = gpu.contextAlloc("i915", "blt");
            DmaFence r = other.next();
            addFence(buf, w, DmaResvUsage.WRITE);
            addFence(buf, r, DmaResvUsage.READ);
            DmaFence forReader = gpu.syncFileGetFence(buf.exportSyncFile(DmaBuf.SYNC_READ));
            assertThat(gpu.unwrap(forReader)).containsExactly(w);
            DmaFence forWriter = gpu.syncFileGetFence(buf.exportSyncFile(DmaBuf.SYNC_WRITE));
            assertThat(gpu.unwrap(forWriter)).containsExactly(w, r);
        }

        @Test
        void export_without_fences_gives_the_stub() {
            DmaFence none = gpu.syncFileGetFence(buffer().exportSyncFile(DmaBuf.SYNC_WRITE));
            assertThat(none.isSignaled()).isTrue();
        }

        @Test
        void a_sync_file_travels_to_another_bundle_and_is_imported_as_a_write_fence() {
            DmaBuf buf = buffer();
            DmaFence done = render.next();
            int sf = gpu.syncFileCreate(done);
            int theirs = display.receive(gpu.send(sf));
            int buffd = f.importer.receive(f.exporter.send(buf.fd(0)));
            DmaBuf imported = f.importer.get(buffd);
            imported.importSyncFile(theirs, DmaBuf.SYNC_WRITE);
            assertThat(imported.resv().testSignaled(DmaResvUsage.WRITE)).isFalse();
            assertThat(f.core.buffers().getFirst().fences()).singleElement().satisfies(fi -> {
                assertThat(fi.usage()).isEqualTo("write");
                assertThat(fi.driver()).isEqualTo("nvidia");
                assertThat(fi.signaled()).isFalse();
            });
            done.signal();
            assertThat(imported.resv().testSignaled(DmaResvUsage.WRITE)).isTrue();
        }

        @Test
        void merge_keeps_the_latest_per_context() {
            DmaFence a = render.next();
            DmaFence b = render.next();
            FenceContext other = gpu.contextAlloc("i915", "blt");
            DmaFence c = other.next();
            int merged = gpu.syncFileMerge("both", gpu.syncFileCreate(a), gpu.syncFileMerge("bc",
                    gpu.syncFileCreate(b), gpu.syncFileCreate(c)));
            assertThat(gpu.unwrap(gpu.syncFileGetFence(merged))).containsExactly(b, c);
        }

        @Test
        void the_wrong_kind_of_fd_is_EINVAL() {
            int bufFd = f.exporter.heap("system").allocate(4096);
            assertErrno(() -> gpu.syncFileGetFence(bufFd), Errno.EINVAL, "fd 3 is a dma-buf, not a sync file");
            int sf = gpu.syncFileCreate(render.next());
            assertErrno(() -> f.exporter.get(sf), Errno.EINVAL, "dma_buf_get: fd 4 is a sync file, not a dma-buf");
            assertErrno(() -> gpu.syncFileGetFence(0), Errno.EINVAL, "fd 0 is stdin");
            DmaBuf buf = f.exporter.get(bufFd);
            assertErrno(() -> buf.exportSyncFile(4), Errno.EINVAL, "flags 4");
            assertErrno(() -> buf.importSyncFile(bufFd, DmaBuf.SYNC_READ), Errno.EINVAL, "not a sync file");
            assertThat(buf.resv().testSignaled(DmaResvUsage.BOOKKEEP)).as("nothing was added").isTrue();
        }
    }

    @Nested
    @DisplayName("fences outliving their driver")
    class Outliving {
        @Test
        void a_stopping_issuer_signals_its_pending_fences_with_ENODEV() throws Exception {
            DmaFence pending = render.next();
            DmaFence done = render.next();
            done.signal();
            CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(() -> pending.await(false));
            f.exporter.close();
            assertThat(waiter.get(10, TimeUnit.SECONDS)).isEqualTo(Errno.ENODEV.code());
            assertThat(pending.getStatus()).isEqualTo(-19);
            assertThat(done.getStatus()).as("signalled before: untouched").isEqualTo(1);
            assertThat(render.pending()).isZero();
            assertErrno(render::next, Errno.ENODEV, "has stopped");
        }

        @Test
        void an_unplugged_device_signals_the_pending_fences_of_its_engines_with_ENODEV() throws Exception {
            FenceContext engine = gpu.contextAlloc("nvidia", "gfx0", f.dgpu);
            DmaFence job = engine.next();
            DmaFence other = render.next();
            CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(() -> job.await(false));
            f.unplug(f.dgpu);
            assertThat(waiter.get(10, TimeUnit.SECONDS)).isEqualTo(Errno.ENODEV.code());
            assertThat(other.isSignaled()).as("another timeline of the same driver").isFalse();
            assertErrno(() -> gpu.contextAlloc("nvidia", "gfx1", f.dgpu), Errno.ENODEV, "is unplugged");
        }

        @Test
        void a_fence_dropped_unsignalled_with_callbacks_pending_is_signalled_EDEADLK() {
            DmaFence f1 = render.next();
            boolean[] ran = new boolean[1];
            f1.addCallback(x -> ran[0] = true);
            f1.put();
            assertThat(ran[0]).isTrue();
            assertThat(f1.getStatus()).isEqualTo(Errno.EDEADLK.code());
        }

        @Test
        void a_fence_dropped_without_waiters_stays_as_it_was() {
            DmaFence f1 = render.next();
            f1.put();
            assertThat(f1.isSignaled()).isFalse();
        }
    }

    @Test
    void set_error_after_signal_and_positive_errors_are_EINVAL() {
        DmaFence x = render.next();
        assertErrno(() -> x.setError(5), Errno.EINVAL, "not a negative errno");
        x.signal();
        assertErrno(() -> x.setError(-5), Errno.EINVAL, "has signalled already");
        assertThat(x.getStatus()).isEqualTo(1);
    }

    @Test
    void bufinfo_prints_each_buffers_fences_as_the_kernel() {
        DmaBuf buf = buffer();
        DmaFence w = render.create(12);
        addFence(buf, w, DmaResvUsage.WRITE);
        addFence(buf, gpu.contextAlloc("i915", "display").create(3), DmaResvUsage.BOOKKEEP);
        String text = f.core.bufinfo();
        assertThat(text).contains("\twrite fence:nvidia gfx seq 12 unsignalled\n\tAttached Devices:");
        assertThat(text).doesNotContain("display");
        w.signal();
        assertThat(f.core.bufinfo()).contains("\twrite fence:nvidia gfx seq 12 signalled\n");
    }

    @Test
    void resv_needs_its_lock_and_reserved_slots() {
        DmaResv resv = buffer().resv();
        assertErrno(() -> resv.reserveFences(1), Errno.EINVAL, "the reservation lock is not held");
        resv.lock();
        try {
            assertErrno(() -> resv.addFence(render.next(), DmaResvUsage.WRITE), Errno.EINVAL, "no slot reserved");
            resv.reserveFences(1);
            resv.addFence(render.next(), DmaResvUsage.WRITE);
        } finally {
            resv.unlock();
        }
        resv.lock();
        try {
            FenceContext other = gpu.contextAlloc("x", "y");
            assertErrno(() -> resv.addFence(other.next(), DmaResvUsage.READ), Errno.EINVAL,
                    "no slot reserved"); // slots are forgotten at unlock
        } finally {
            resv.unlock();
        }
    }

    @Test
    void a_later_fence_of_the_same_context_replaces_the_older_one() {
        DmaBuf buf = buffer();
        DmaFence first = render.next();
        DmaFence second = render.next();
        addFence(buf, first, DmaResvUsage.WRITE);
        addFence(buf, second, DmaResvUsage.WRITE);
        assertThat(buf.resv().getFences(DmaResvUsage.BOOKKEEP)).containsExactly(second);
    }
}
