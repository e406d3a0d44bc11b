// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;
import org.junit.jupiter.api.Test;

/**
 * The kernel's {@code drivers/dma-buf/st-dma-fence.c}, case by case. A
 * {@code mock_fence()} is a plain fence on context 0, seqno 0.
 *
 * <p>Names: the kernel still runs this suite as {@code selftest(dma_fence, dma_fence)} of
 * {@code drivers/dma-buf/selftests.h}, through {@code dmabuf_selftests} and igt's
 * {@code dmabuf_selftest}, not as KUnit: there is no KUnit name to give beside it (checked
 * 2026-12-04); each test keeps the kernel's function name.
 */
class StDmaFenceTest {

    static FenceImpl mockFence() {
        return new FenceImpl(0, 0, "mock", "mock", null);
    }

    /** {@code struct simple_cb}: remembers that it ran. */
    static final class SimpleCb implements DmaFence.Callback {
        volatile boolean seen;

        @Override
        public void onSignaled(DmaFence fence) {
            seen = true;
        }
    }

    @Test
    void sanitycheck() {
        FenceImpl f = mockFence();
        f.signal();
        f.put();
    }

    @Test
    void test_signaling() {
        FenceImpl f = mockFence();
        assertThat(f.isSignaled()).as("Fence unexpectedly signaled on creation").isFalse();
        assertThat(f.signal()).as("Fence reported being already signaled").isTrue();
        assertThat(f.isSignaled()).as("Fence not reporting signaled").isTrue();
        assertThat(f.signal()).as("Fence reported not being already signaled").isFalse();
    }

    @Test
    void test_add_callback() {
        SimpleCb cb = new SimpleCb();
        FenceImpl f = mockFence();
        assertThat(f.addCallback(cb)).as("Failed to add callback, fence already signaled!").isTrue();
        f.signal();
        assertThat(cb.seen).as("Callback failed!").isTrue();
    }

    @Test
    void test_late_add_callback() {
        SimpleCb cb = new SimpleCb();
        FenceImpl f = mockFence();
        f.signal();
        assertThat(f.addCallback(cb)).as("Added callback, but fence was already signaled!").isFalse();
        f.signal();
        assertThat(cb.seen).as("Callback called after failed attachment!").isFalse();
    }

    @Test
    void test_rm_callback() {
        SimpleCb cb = new SimpleCb();
        FenceImpl f = mockFence();
        assertThat(f.addCallback(cb)).isTrue();
        assertThat(f.removeCallback(cb)).as("Failed to remove callback!").isTrue();
        f.signal();
        assertThat(cb.seen).as("Callback still signaled after removal!").isFalse();
    }

    @Test
    void test_late_rm_callback() {
        SimpleCb cb = new SimpleCb();
        FenceImpl f = mockFence();
        assertThat(f.addCallback(cb)).isTrue();
        f.signal();
        assertThat(cb.seen).as("Callback failed!").isTrue();
        assertThat(f.removeCallback(cb)).as("Callback removal succeed after being executed!").isFalse();
    }

    @Test
    void test_status() {
        FenceImpl f = mockFence();
        assertThat(f.getStatus()).as("Fence unexpectedly has signaled status on creation").isZero();
        f.signal();
        assertThat(f.getStatus()).as("Fence not reporting signaled status").isNotZero();
    }

    @Test
    void test_error() {
        FenceImpl f = mockFence();
        f.setError(Errno.EIO.code());
        assertThat(f.getStatus()).as("Fence unexpectedly has error status before signal").isZero();
        f.signal();
        assertThat(f.getStatus()).as("Fence not reporting error status").isEqualTo(-5);
    }

    // The kernel's mock_wait returns -ETIME and 0; ours is dma_fence_default_wait's contract: 0 and 1.
    @Test
    void test_wait() {
        FenceImpl f = mockFence();
        assertThat(f.waitTimeout(0, false)).as("Wait reported complete before being signaled").isZero();
        f.signal();
        assertThat(f.waitTimeout(0, false)).as("Wait reported incomplete after being signaled").isEqualTo(1);
    }

    // Jiffies become milliseconds, and the second wait a second: a loaded CI machine is not a kernel timer.
    @Test
    void test_wait_timeout() throws Exception {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            FenceImpl f = mockFence();
            assertThat(f.waitTimeout(TimeUnit.MILLISECONDS.toNanos(1), false))
                    .as("Wait reported complete before being signaled").isZero();
            timer.schedule(() -> f.signal(), 1, TimeUnit.MILLISECONDS);
            assertThat(f.waitTimeout(TimeUnit.SECONDS.toNanos(1), false))
                    .as("Wait reported incomplete after timeout").isPositive();
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void test_stub() {
        for (int i = 0; i < 64; i++) {
            DmaFence f = Fences.STUB.get();
            assertThat(f.isSignaled()).as("Obtained unsignaled stub fence!").isTrue();
        }
    }

    // Two threads each publish a fence, add a callback to the other's, and signal their own before
    // or after: the callback must run, or the add must fail because the other had signalled.
    // 50 ms per pass, as the kernel's msleep(50).
    @Test
    void race_signal_callback() throws Exception {
        for (int pass = 0; pass <= 1; pass++) {
            boolean before = pass == 1;
            AtomicReferenceArray<DmaFence> fences = new AtomicReferenceArray<>(2);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
            java.util.function.BooleanSupplier stop = () -> System.nanoTime() > deadline;
            List<Thread> threads = new ArrayList<>();
            List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            long[] passes = new long[2];
            for (int id = 0; id < 2; id++) {
                int me = id;
                threads.add(Thread.ofPlatform().uncaughtExceptionHandler((t, e) -> errors.add("thread " + me
                        + " died: " + e)).start(() -> {
                    while (!stop.getAsBoolean() && errors.isEmpty()) {
                        FenceImpl f1 = mockFence();
                        fences.set(me, f1);
                        DmaFence f2;
                        do {
                            f2 = fences.get(1 - me);
                        } while (f2 == null && !stop.getAsBoolean());
                        if (before) {
                            f1.signal();
                        }
                        SimpleCb cb = new SimpleCb();
                        if (f2 == null || !f2.addCallback(cb)) {
                            cb.seen = true;
                        }
                        if (!before) {
                            f1.signal();
                        }
                        if (!cb.seen) {
                            f2.await(false);
                            ((FenceImpl) f2).waitForCallbacks(); // __wait_for_callbacks(f2)
                        }
                        if (!cb.seen) {
                            errors.add("Callback not seen on thread " + me + ", pass " + passes[me] + ", signaling "
                                    + (before ? "before" : "after") + " add_callback");
                        }
                        fences.set(me, null);
                        passes[me]++;
                    }
                }));
            }
            for (Thread t : threads) {
                t.join(10_000);
                assertThat(t.isAlive()).isFalse();
            }
            assertThat(errors).isEmpty();
            assertThat(passes[0] + passes[1]).isPositive();
        }
    }
}
