// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kernel's {@code kernel/locking/test-ww_mutex.c}, case by case, on the
 * reservation lock with an acquire context ({@code reservation_ww_class} is a
 * wound/wait class; the kernel's test module uses a wait/die class, and every
 * case asserts what both guarantee: no deadlock, and {@code -EDEADLK} to one
 * side when nobody resolves). Waits are bounded; nothing sleeps to order the
 * threads: each waits for the other's latch, or for the other to be parked
 * on the lock.
 *
 * <p>One difference, by design: the plain {@code dma_resv_lock} here is
 * reentrant (an importer holds it around map, which takes it again), so the
 * kernel's "trylocked itself without context" check of {@code test_aa} does
 * not apply; the lock with a context says {@code -EALREADY} as the kernel's.
 */
class TestWwMutexTest {
    private static final long TIMEOUT_S = 10;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(TIMEOUT_S, TimeUnit.SECONDS)).as("workers ended").isTrue();
    }

    private static int lock(ResvImpl r, WwCtx ctx) {
        try {
            r.lockWw(null, ctx, false);
            return 0;
        } catch (DmaBufException e) {
            return -e.errno().value();
        }
    }

    private static void awaitParked(Thread t) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertThat(System.nanoTime()).as(t.getName() + " parks on the lock").isLessThan(end);
            Thread.onSpinWait();
        }
    }

    /** __test_mutex: a second thread does not get the lock while it is held, and gets it once it is not. */
    @ParameterizedTest(name = "flags {0}")
    @ValueSource(ints = {0, 2, 4, 6}) // TEST_MTX_TRY, TEST_MTX_CTX (TEST_MTX_SPIN, optimistic spinning, is not ours)
    void test_mutex(int flags) throws Exception {
        boolean tryLock = (flags & 2) != 0;
        boolean ctxMain = (flags & 4) != 0;
        ResvImpl mutex = new ResvImpl();
        WwCtx ctx = ctxMain ? new WwCtx() : null;
        if (ctxMain) {
            mutex.lockWw(null, ctx, false);
        } else {
            mutex.lock();
        }
        CountDownLatch ready = new CountDownLatch(1);
        CompletableFuture<Thread> worker = new CompletableFuture<>();
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        pool.execute(() -> {
            worker.complete(Thread.currentThread());
            ready.countDown();
            if (tryLock) {
                while (!mutex.tryLock()) {
                    Thread.onSpinWait(); // the kernel's cond_resched loop
                }
            } else {
                mutex.lock();
            }
            done.complete(true);
            mutex.unlock();
        });
        assertThat(ready.await(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();
        if (!tryLock) {
            awaitParked(worker.get());
        }
        assertThat(done).as("mutual exclusion failure").isNotDone();
        mutex.unlock();
        if (ctxMain) {
            assertThat(ctx.acquired()).isZero();
            ctx.close();
        }
        assertThat(done.get(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();
        mutex.fini();
    }

    /** test_aa: the lock again in its own context says -EALREADY, and it stays held once. */
    @Test
    void test_aa() {
        ResvImpl mutex = new ResvImpl();
        WwCtx ctx = new WwCtx();
        mutex.lockWw(null, ctx, false);
        assertThat(lock(mutex, ctx)).as("lock the same lock in the same context").isEqualTo(-Errno.EALREADY.value());
        WwCtx other = new WwCtx();
        assertThat(lock(mutex, other)).as("lock it in another context of the same thread")
                .isEqualTo(-Errno.EALREADY.value());
        assertThat(ctx.acquired()).isEqualTo(1);
        assertThat(other.acquired()).isZero();
        mutex.unlock();
        assertThat(mutex.isLockedByCurrentThread()).isFalse();
        ctx.close();
        other.close();
        mutex.fini();
    }

    /**
     * test_abba: two threads take A and B in opposite orders. Resolving (unlock, lock_slow, lock again), both
     * succeed; not resolving, at least one of them gets -EDEADLK.
     */
    @ParameterizedTest(name = "resolve {0}")
    @ValueSource(booleans = {false, true}) // the kernel's trylock variants need ww_mutex_trylock(ctx): no dma_resv call
    void test_abba(boolean resolve) throws Exception {
        ResvImpl a = new ResvImpl();
        ResvImpl b = new ResvImpl();
        CountDownLatch aReady = new CountDownLatch(1);
        CountDownLatch bReady = new CountDownLatch(1);
        Future<Integer> worker = pool.submit(() -> abba(b, a, bReady, aReady, resolve));
        int err = abba(a, b, aReady, bReady, resolve);
        int result = worker.get(TIMEOUT_S, TimeUnit.SECONDS);
        if (resolve) {
            assertThat(err).as("resolved: the main thread's lock").isZero();
            assertThat(result).as("resolved: the worker's lock").isZero();
        } else {
            assertThat(err == -Errno.EDEADLK.value() || result == -Errno.EDEADLK.value())
                    .as("no -EDEADLK: main %d, worker %d", err, result).isTrue();
        }
        a.fini();
        b.fini();
    }

    private static int abba(ResvImpl first, ResvImpl second, CountDownLatch mine, CountDownLatch theirs,
            boolean resolve) throws InterruptedException {
        WwCtx ctx = new WwCtx();
        first.lockWw(null, ctx, false);
        mine.countDown();
        assertThat(theirs.await(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();
        int err = lock(second, ctx);
        if (resolve && err == -Errno.EDEADLK.value()) {
            first.unlock();
            second.lockWw(null, ctx, true);
            err = lock(first, ctx);
        }
        if (err == 0) {
            second.unlock();
        }
        first.unlock();
        ctx.close();
        return err;
    }

    /** test_cycle: n threads, each holding its lock and taking the next one's: all resolve. */
    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 3, 4, 8})
    void test_cycle(int n) throws Exception {
        List<ResvImpl> mutexes = new ArrayList<>();
        List<CountDownLatch> signals = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            mutexes.add(new ResvImpl());
            signals.add(new CountDownLatch(1));
        }
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int me = i;
            int next = (i + 1) % n;
            results.add(pool.submit(() -> {
                WwCtx ctx = new WwCtx();
                ResvImpl aMutex = mutexes.get(me);
                ResvImpl bMutex = mutexes.get(next);
                aMutex.lockWw(null, ctx, false);
                signals.get(me).countDown();
                assertThat(signals.get(next).await(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();
                int err = lock(bMutex, ctx);
                int erra = 0;
                if (err == -Errno.EDEADLK.value()) {
                    err = 0;
                    aMutex.unlock();
                    bMutex.lockWw(null, ctx, true);
                    erra = lock(aMutex, ctx);
                }
                if (err == 0) {
                    bMutex.unlock();
                }
                if (erra == 0) {
                    aMutex.unlock();
                }
                ctx.close();
                return err != 0 ? err : erra;
            }));
        }
        for (int i = 0; i < n; i++) {
            assertThat(results.get(i).get(TIMEOUT_S, TimeUnit.SECONDS)).as("cyclic deadlock not resolved, thread %d",
                    i).isZero();
        }
        mutexes.forEach(ResvImpl::fini);
    }

    /**
     * stress_inorder_work, stress_reorder_work and stress_one_work: threads take random sets of locks, in a
     * fixed random order (backing off in it), reordering the contended lock to the front, or one lock without a
     * context; each lock guards a counter written without atomics, which ends at exactly the count of holds.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"inorder", "reorder", "one"})
    void stress(String kind) throws Exception {
        int nlocks = 16;
        int nthreads = 6;
        int loops = 400;
        List<ResvImpl> locks = new ArrayList<>();
        long[] counters = new long[nlocks];
        for (int i = 0; i < nlocks; i++) {
            locks.add(new ResvImpl());
        }
        List<Future<Long>> workers = new ArrayList<>();
        for (int t = 0; t < nthreads; t++) {
            long seed = 42L * (t + 1);
            workers.add(pool.submit(() -> {
                Random random = new Random(seed);
                long holds = 0;
                for (int l = 0; l < loops; l++) {
                    if (kind.equals("one")) {
                        int i = random.nextInt(nlocks);
                        locks.get(i).lock();
                        counters[i]++;
                        locks.get(i).unlock();
                        holds++;
                        continue;
                    }
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < nlocks; i++) {
                        order.add(i);
                    }
                    Collections.shuffle(order, random);
                    order = new ArrayList<>(order.subList(0, 2 + random.nextInt(nlocks - 2)));
                    holds += lockAll(locks, order, counters, kind.equals("reorder"));
                }
                return holds;
            }));
        }
        long total = 0;
        for (Future<Long> w : workers) {
            total += w.get(60, TimeUnit.SECONDS);
        }
        long sum = 0;
        for (long c : counters) {
            sum += c;
        }
        assertThat(sum).as("every hold counted once: no two holders at a time").isEqualTo(total);
        locks.forEach(ResvImpl::fini);
    }

    // the ww-mutex-design.rst loop: on -EDEADLK unlock all, lock_slow the contended, retry the rest
    private static long lockAll(List<ResvImpl> locks, List<Integer> order, long[] counters, boolean reorder) {
        WwCtx ctx = new WwCtx();
        int contended = -1;
        List<Integer> held = new ArrayList<>();
        retry:
        while (true) {
            if (contended >= 0) {
                locks.get(contended).lockWw(null, ctx, true);
                held.add(contended);
            }
            for (int i : order) {
                if (i == contended) {
                    continue;
                }
                int err = lock(locks.get(i), ctx);
                if (err == -Errno.EDEADLK.value()) {
                    for (int h : held) {
                        locks.get(h).unlock();
                    }
                    held.clear();
                    assertThat(ctx.acquired()).isZero();
                    contended = i;
                    if (reorder) {
                        order.remove((Integer) i);
                        order.add(0, i);
                    }
                    continue retry;
                }
                assertThat(err).isZero();
                held.add(i);
            }
            break;
        }
        ctx.done();
        for (int h : held) {
            counters[h]++;
        }
        for (int h : held) {
            locks.get(h).unlock();
        }
        ctx.close();
        return held.size();
    }

    /** The API failures of lib/locking-selftest.c's ww tests that this implementation refuses with an error. */
    @Test
    void ww_api_failures() throws Exception {
        ResvImpl a = new ResvImpl();
        ResvImpl b = new ResvImpl();
        WwCtx ctx = new WwCtx();
        a.lockWw(null, ctx, false);
        // ww_test_unneeded_slow / edeadlk_no_unlock_slow: lock_slow with locks held
        assertThatThrownBy(() -> b.lockWw(null, ctx, true)).isInstanceOf(DmaBufException.class)
                .hasMessageContaining("dma_resv_lock_slow: 1 lock is still held in the acquire context");
        // ww_test_context_fini_early: fini with a lock held
        assertThatThrownBy(ctx::close).isInstanceOf(DmaBufException.class)
                .hasMessageContaining("ww_acquire_fini: 1 reservation lock is still held");
        // ww_test_context_lock_after_done
        ctx.done();
        assertThatThrownBy(() -> WwCtx.of(ctx, "dma_resv_lock")).isInstanceOf(DmaBufException.class)
                .hasMessageContaining("acquire context is done (ww_acquire_done)");
        // a context used by another thread
        Future<?> f = pool.submit(() -> WwCtx.of(new WwCtx(), "x") == null);
        f.get(TIMEOUT_S, TimeUnit.SECONDS);
        WwCtx mine = new WwCtx();
        assertThatThrownBy(() -> pool.submit(() -> WwCtx.of(mine, "dma_resv_lock")).get(TIMEOUT_S, TimeUnit.SECONDS))
                .hasCauseInstanceOf(DmaBufException.class)
                .hasMessageContaining("belongs to thread " + Thread.currentThread().getName());
        a.unlock();
        ctx.close();
        mine.close();
        assertThatThrownBy(() -> WwCtx.of(mine, "dma_resv_lock")).hasMessageContaining("was closed (ww_acquire_fini)");
        assertThatThrownBy(() -> WwCtx.of(null, "dma_resv_lock"))
                .hasMessage("dma_resv_lock: the acquire context is null; expected one from"
                        + " DmaFenceService.wwAcquireInit() (-EINVAL: Invalid argument)");
        a.fini();
        b.fini();
    }
}
