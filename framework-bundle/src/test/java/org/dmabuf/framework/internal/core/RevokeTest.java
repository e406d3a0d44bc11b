// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.Mapping;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.framework.internal.memory.Pages;
import org.junit.jupiter.api.Test;

/**
 * A stop is bounded whatever the driver's callbacks do: a callback that never
 * returns, or a reservation lock never unlocked, is revoked as on hot-unplug,
 * and everybody else goes on.
 */
class RevokeTest {
    private static final long BOUND = TimeUnit.MILLISECONDS.toNanos(200);
    private final Fixture f = new Fixture();

    {
        f.core.stopTimeout(BOUND);
    }

    /** An exporter whose map blocks until its thread is interrupted; counts the entries. */
    private DmaBuf stuckInMap(CountDownLatch entered) {
        DmaBufOps<Pages> ops = DmaBufOps.<Pages>builder()
                .map((p, a, d) -> {
                    entered.countDown();
                    try {
                        new CountDownLatch(1).await(); // the GPU never answers
                    } catch (InterruptedException e) {
                        throw new IllegalStateException("map interrupted", e);
                    }
                    return p.segment();
                })
                .unmap((p, a, s, d) -> { })
                .release(Pages::free).build();
        return f.exporter.export(ExportInfo.builder(ops, f.systemPages.allocate(4096), 4096).build());
    }

    @Test
    void a_stop_with_a_callback_that_never_returns_completes_within_its_bound() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        DmaBuf exported = stuckInMap(entered);
        int fd = f.importer.receive(f.exporter.send(exported.fd(0)));
        DmaBuf buf = f.importer.get(fd);
        Attachment a = buf.attach(f.igpu);
        CompletableFuture<Mapping> map = CompletableFuture.supplyAsync(() -> a.mapAttachment(DmaDirection.BIDIRECTIONAL),
                r -> new Thread(r, "importer's render thread").start());
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(f.core.bufinfo()).contains("Busy (reservation lock held in a driver's code):\nino "
                + buf.inode() + ": locked by exporter in map_dma_buf (thread \"importer's render thread\")");

        long t0 = System.nanoTime();
        f.core.closeWithin(f.exporter);
        long took = System.nanoTime() - t0;

        assertThat(took).as("the stop took %d ms", took / 1_000_000).isLessThan(2 * BOUND + TimeUnit.SECONDS.toNanos(2));
        assertThat(f.exporter.isClosed()).isTrue();
        assertThat(f.core.bufinfo()).as("the lock is free").doesNotContain("Busy");
        assertThatThrownBy(() -> map.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(DmaBufException.class)
                .satisfies(e -> assertThat(((DmaBufException) e).errno()).isEqualTo(Errno.ENODEV))
                .hasMessageContaining("ino " + buf.inode() + ": exporter exporter was stopped while in map_dma_buf");

        // the buffer is whole for its importer, who lets go of it as usual
        assertThat(f.core.buffers()).singleElement().satisfies(b -> assertThat(b.exporter()).isEqualTo("exporter"));
        buf.detach(a);
        buf.put();
        f.importer.close(fd);
        assertThat(f.core.bufferCount()).isZero();
        assertThat(f.systemPages.usedBytes()).as("every page back").isZero();
    }

    @Test
    void a_lock_left_locked_by_a_stopped_module_is_revoked_and_its_waiters_go_on() throws Exception {
        DmaBuf buf = f.exporter.export(f.counting().info(4096));
        LoadedModule hoarder = f.core.openModule("hoarder", 12);
        int efd = buf.get().fd(0);
        int fd = hoarder.receive(f.exporter.send(efd));
        f.exporter.close(efd);
        DmaBuf held = hoarder.get(fd);
        Attachment a = buf.attach(f.igpu);
        DmaResv resv = held.resv();
        Thread t = new Thread(resv::lock, "hoarder's thread, gone without unlocking");
        t.start();
        t.join(10_000);
        assertThat(f.core.bufinfo()).contains("ino " + buf.inode() + ": locked by hoarder in dma_resv_lock");

        CompletableFuture<Mapping> waiter = CompletableFuture.supplyAsync(() -> a.mapAttachment(DmaDirection.TO_DEVICE),
                r -> new Thread(r, "a waiter").start());
        long t0 = System.nanoTime();
        hoarder.close(fd);
        held.put();
        f.core.closeWithin(hoarder);
        assertThat(System.nanoTime() - t0).isLessThan(2 * BOUND + TimeUnit.SECONDS.toNanos(2));

        Mapping mapped = waiter.get(10, TimeUnit.SECONDS);
        assertThat(mapped.segment().byteSize()).isEqualTo(4096);
        a.unmapAttachment(mapped);
        buf.detach(a);
        buf.put();
        assertThat(f.core.bufferCount()).isZero();
    }

    @Test
    void a_module_revoked_while_waiting_for_a_lock_is_told_why() throws Exception {
        DmaBuf buf = f.exporter.export(f.counting().info(4096));
        DmaResv mine = buf.resv();
        mine.lock(); // the exporter holds it, in its own code
        try {
            LoadedModule other = f.core.openModule("other", 13);
            int efd = buf.get().fd(0);
            int fd = other.receive(f.exporter.send(efd));
            f.exporter.close(efd);
            DmaBuf theirs = other.get(fd);
            CompletableFuture<Void> wait = CompletableFuture.runAsync(() -> theirs.resv().lock(),
                    r -> new Thread(r, "other's thread").start());
            f.core.revoke(other);
            // revoked while it waits, or before it asks: either way told why, ENODEV
            assertThatThrownBy(() -> wait.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(DmaBufException.class)
                    .hasMessageStartingWith("dma_resv_lock: other was removed ")
                    .hasMessageEndingWith("; expected a module that is still loaded (-ENODEV: No such device)")
                    .satisfies(e -> assertThat(e.getMessage()).matches(".*(while it waited for a reservation lock"
                            + " held by exporter in dma_resv_lock|\\(revoked: its stop ran past the bound\\)).*"));
            f.core.closeWithin(other);
        } finally {
            mine.unlock();
        }
        buf.put();
        assertThat(f.core.bufferCount()).isZero();
    }

    @Test
    void the_watchdog_reports_a_lock_held_past_the_callback_timeout_once_with_the_stack() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        DmaBuf buf = stuckInMap(entered);
        Attachment a = buf.attach(f.igpu);
        Thread t = new Thread(() -> {
            try {
                a.mapAttachment(DmaDirection.BIDIRECTIONAL);
            } catch (DmaBufException expected) {
                // revoked at the end of the test
            }
        }, "render");
        t.start();
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        Watchdog dog = new Watchdog(f.core, 0, TimeUnit.SECONDS.toNanos(5));
        long t0 = 1_000_000_000L;
        assertThat(dog.scan(t0)).isEmpty();
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(4))).isEmpty();
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(6))).singleElement().asString()
                .startsWith("dma-buf ino " + buf.inode() + " (exporter): exporter has held the reservation lock in"
                        + " map_dma_buf for 6 s (thread \"render\"; report at 5 s): every other user of the buffer"
                        + " waits. Call Trace:\n\t")
                .contains("RevokeTest.lambda$stuckInMap");
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(7))).as("once").isEmpty();

        assertThat(f.core.revoke(f.exporter)).isEqualTo(1);
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        buf.detach(a);
        f.core.closeWithin(f.exporter);
        assertThat(f.core.bufferCount()).isZero();
    }

    @Test
    void a_module_stopping_past_the_bound_is_revoked_by_the_watchdog() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        DmaBuf buf = stuckInMap(entered);
        Attachment a = buf.attach(f.igpu);
        CompletableFuture<Mapping> map = CompletableFuture.supplyAsync(() -> a.mapAttachment(DmaDirection.BIDIRECTIONAL),
                r -> new Thread(r, "render").start());
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        f.exporter.stoppingProbe(() -> true); // its bundle is in STOPPING, its stop code waiting on that lock
        Watchdog dog = new Watchdog(f.core, 0, 0);
        long t0 = 1_000_000_000L;
        dog.scan(t0);
        dog.scan(t0 + BOUND / 2);
        assertThat(f.exporter.revoked()).isFalse();
        dog.scan(t0 + BOUND);
        assertThat(f.exporter.revoked()).isTrue();
        assertThatThrownBy(() -> map.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(DmaBufException.class)
                .hasMessageContaining("was stopped while in map_dma_buf");
        buf.detach(a);
        f.core.closeWithin(f.exporter);
        assertThat(f.core.bufferCount()).isZero();
        assertThat(f.systemPages.usedBytes()).isZero();
    }

    @Test
    void a_cleanup_blocked_in_another_modules_callback_goes_on_in_the_background_and_the_stop_returns()
            throws Exception {
        CountDownLatch detaching = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        DmaBufOps<Pages> ops = DmaBufOps.<Pages>builder()
                .map((p, a, d) -> p.segment())
                .unmap((p, a, s, d) -> { })
                .detach((p, a) -> {
                    detaching.countDown();
                    try {
                        letGo.await(); // the exporter's detach hangs until the test lets it go
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                })
                .release(Pages::free).build();
        DmaBuf buf = f.exporter.export(ExportInfo.builder(ops, f.systemPages.allocate(4096), 4096).build());
        int efd = buf.get().fd(0);
        int fd = f.importer.receive(f.exporter.send(efd));
        f.exporter.close(efd);
        DmaBuf theirs = f.importer.get(fd);
        theirs.attach(f.igpu); // left attached: the importer's stop detaches it, in the exporter's code

        long t0 = System.nanoTime();
        assertThat(f.core.closeWithin(f.importer)).as("not done: it goes on").isNull();
        assertThat(System.nanoTime() - t0).isLessThan(2 * BOUND + TimeUnit.SECONDS.toNanos(2));
        assertThat(detaching.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(f.importer.isClosed()).isTrue();
        assertThat(f.core.bufferCount()).as("the detach has not finished").isEqualTo(1);

        letGo.countDown(); // the exporter answers at last: the cleanup finishes on its own
        buf.put();
        java.util.concurrent.CompletableFuture.runAsync(() -> {
            while (f.core.bufferCount() != 0) {
                Thread.onSpinWait();
            }
        }).get(10, TimeUnit.SECONDS);
        assertThat(f.systemPages.usedBytes()).isZero();
    }

    @Test
    void a_revocation_never_takes_a_hold_that_has_moved_on() throws Exception {
        DmaBuf buf = f.exporter.export(f.counting().info(4096));
        org.dmabuf.framework.internal.fence.ResvImpl resv = ((ResvView) buf.resv()).resv();
        DmaResv mine = buf.resv();
        mine.lock(); // charged to the exporter
        mine.unlock(); // and given back: the hold is over
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            resv.lock(); // the framework's own hold, on another thread
            try {
                locked.countDown();
                letGo.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                resv.unlock();
            }
        }, "the framework, later");
        other.start();
        try {
            assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(resv.revoke(f.exporter, null)).as("nothing of the exporter's to take").isNull();
            assertThat(f.core.revoke(f.exporter)).isZero();
            assertThat(resv.owner()).as("the other hold untouched").isSameAs(other);
        } finally {
            letGo.countDown();
            other.join(10_000);
        }
        buf.put();
    }

    @Test
    void buffers_sharing_a_reservation_object_are_all_served_by_the_framework_after_a_revocation()
            throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        DmaBuf first = stuckInMap(entered);
        DeviceMemoryHolder second = new DeviceMemoryHolder();
        DmaBuf other = f.exporter.export(ExportInfo.builder(second.ops, second.memory, 4096).resv(first.resv())
                .build());
        Attachment a = first.attach(f.igpu);
        Attachment b = other.attach(f.igpu);
        Thread render = new Thread(() -> {
            try {
                a.mapAttachment(DmaDirection.BIDIRECTIONAL);
            } catch (DmaBufException expected) {
                // revoked
            }
        }, "render");
        render.start();
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(f.core.revoke(f.exporter)).isEqualTo(1);
        // the second buffer is the framework's now: mapping it does not call the revoked exporter
        Mapping m = b.mapAttachment(DmaDirection.TO_DEVICE);
        assertThat(m.segment().byteSize()).isEqualTo(4096);
        assertThat(second.maps.get()).as("the exporter's map was not called").isZero();
        b.unmapAttachment(m);
        render.join(10_000);
        first.detach(a);
        other.detach(b);
        first.put();
        other.put();
        assertThat(f.core.bufferCount()).isZero();
    }

    /** Heap memory exported with callbacks that count their maps. */
    private final class DeviceMemoryHolder {
        final org.dmabuf.api.DeviceMemory memory = f.exporter.heap("system").allocateMemory(4096);
        final java.util.concurrent.atomic.AtomicInteger maps = new java.util.concurrent.atomic.AtomicInteger();
        final DmaBufOps<org.dmabuf.api.DeviceMemory> ops = DmaBufOps.<org.dmabuf.api.DeviceMemory>builder()
                .map((p, x, d) -> {
                    maps.incrementAndGet();
                    return p.segment();
                })
                .unmap((p, x, s, d) -> { })
                .release(org.dmabuf.api.DeviceMemory::free).build();
    }
}
