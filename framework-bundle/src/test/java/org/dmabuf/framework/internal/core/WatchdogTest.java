// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.api.fence.FenceContext;
import org.junit.jupiter.api.Test;

/** The job timeout as a report: a fence pending past it is named once, with its buffer and issuer. */
class WatchdogTest {
    private final Fixture f = new Fixture();

    @Test
    void a_fence_pending_past_the_timeout_is_reported_once_and_forgotten_when_signalled() {
        DmaBuf buf = f.exporter.export(f.counting().info(4096));
        buf.setName("fb0");
        DmaFence job = new FenceView(f.exporter).contextAlloc("nvidia", "gfx").next();
        DmaResv resv = buf.resv();
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(job, DmaResvUsage.WRITE);
        } finally {
            resv.unlock();
        }
        Watchdog dog = new Watchdog(f.core, TimeUnit.SECONDS.toNanos(10));
        long t0 = 1_000_000_000L;
        assertThat(dog.scan(t0)).as("first seen").isEmpty();
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(9))).as("within the timeout").isEmpty();
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(12))).singleElement().satisfies(l -> assertThat(l)
                .isEqualTo("dma-buf ino " + buf.inode() + " (exporter, fb0): write fence nvidia gfx seq "
                        + job.seqno() + " pending for 12 s (timeout 10 s, 0 waiters): its GPU may be hung, or nvidia forgot"
                        + " to signal it"));
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(13))).as("once").isEmpty();

        job.signal();
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(30))).as("signalled: nothing to say").isEmpty();
        buf.put();
    }

    @Test
    void a_context_with_a_job_timeout_has_its_late_fences_signalled_with_ETIMEDOUT_waking_the_waiters()
            throws Exception {
        DmaBuf buf = f.exporter.export(f.counting().info(4096));
        FenceContext ring = new FenceView(f.exporter).contextAlloc("acme", "gfx");
        ring.setTimeout(TimeUnit.SECONDS.toNanos(2), true);
        DmaFence hung = ring.next();
        DmaFence free = ring.next(); // in no buffer
        DmaResv resv = buf.resv();
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(hung, DmaResvUsage.WRITE);
        } finally {
            resv.unlock();
        }
        java.util.concurrent.CompletableFuture<Integer> waiter = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> hung.await(false));
        Watchdog dog = new Watchdog(f.core, TimeUnit.SECONDS.toNanos(10));
        long t0 = 1_000_000_000L;
        assertThat(dog.scan(t0)).isEmpty();
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(1))).isEmpty();
        assertThat(hung.isSignaled()).isFalse();
        java.util.List<String> lines = dog.scan(t0 + TimeUnit.SECONDS.toNanos(2));
        // the waiter may or may not be parked yet: 0 or 1 waiter
        assertThat(lines).anySatisfy(l -> assertThat(l).matches(java.util.regex.Pattern.quote("dma-buf ino "
                + buf.inode() + " (exporter): write fence acme gfx seq " + hung.seqno() + " pending for 2 s (timeout"
                + " 2 s, ") + "(0 waiters|1 waiter)" + java.util.regex.Pattern.quote("): its GPU may be hung, or acme"
                + " forgot to signal it")));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("dma_fence acme:gfx seq " + hung.seqno()
                + " (issued by exporter) timed out after 2 s (its context's job timeout 2 s): signalled with"
                + " -ETIMEDOUT, waking ").endsWith(" on ino " + buf.inode()));
        assertThat(lines).anySatisfy(l -> assertThat(l).isEqualTo("dma_fence acme:gfx seq " + free.seqno()
                + " (issued by exporter) timed out after 2 s (its context's job timeout 2 s): signalled with"
                + " -ETIMEDOUT, waking 0 waiters"));
        assertThat(waiter.get(10, TimeUnit.SECONDS)).isEqualTo(Errno.ETIMEDOUT.code());
        assertThat(free.waitTimeout(TimeUnit.SECONDS.toNanos(10), false)).as("signalled").isPositive();
        assertThat(free.getStatus()).isEqualTo(Errno.ETIMEDOUT.code());
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(3))).as("once").isEmpty();
        assertThatThrownBy(() -> ring.setTimeout(0, true)).isInstanceOf(DmaBufException.class)
                .hasMessageStartingWith("drm_sched_init: timeout 0 ns with signalOnTimeout for acme:gfx; expected more"
                        + " than 0 nanoseconds");
        hung.put();
        free.put();
        buf.put();
    }

    @Test
    void a_callback_without_the_lock_running_past_the_timeout_is_reported_once_with_its_stack() throws Exception {
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch letGo = new java.util.concurrent.CountDownLatch(1);
        org.dmabuf.api.DmaBufOps<org.dmabuf.framework.internal.memory.Pages> ops = f.counting().ops()
                .attach((p, a) -> {
                    entered.countDown();
                    try {
                        letGo.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }).build();
        DmaBuf buf = f.exporter.export(f.counting().info(ops, 4096));
        java.util.concurrent.CompletableFuture<org.dmabuf.api.Attachment> attach =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> buf.attach(f.igpu));
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        Watchdog dog = new Watchdog(f.core, 0, TimeUnit.SECONDS.toNanos(5));
        long t0 = 1_000_000_000L;
        assertThat(dog.scan(t0)).isEmpty();
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(6))).singleElement().asString()
                .startsWith("dma-buf ino " + buf.inode() + " (exporter): exporter has been in attach for 6 s (thread \"")
                .contains("; report at 5 s), without the reservation lock: its caller waits. Call Trace:\n\t")
                .contains("WatchdogTest");
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(7))).as("once").isEmpty();
        letGo.countDown();
        org.dmabuf.api.Attachment a = attach.get(10, TimeUnit.SECONDS);
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(8))).as("returned").isEmpty();
        buf.detach(a);
        buf.put();
    }
}
