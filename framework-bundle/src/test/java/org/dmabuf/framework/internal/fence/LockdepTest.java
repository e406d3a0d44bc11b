// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Lockdep's rules, one planted bug each, outside OSGi (the bundles of the
 * reports are then "the framework's own code"; the integration test
 * {@code LockdepIT} plants them in a bundle and checks the names).
 */
class LockdepTest {

    @BeforeEach
    void on() {
        Lockdep.enable(true);
        Lockdep.clear();
    }

    @AfterEach
    void off() {
        Lockdep.clear();
        Lockdep.enable(false);
    }

    private static FenceImpl fence() {
        return new FenceImpl(7, 1, "lockdep", "test", null);
    }

    @Test
    void aFenceWaitedInsideASignallingSectionIsReportedOnceWithBothStacks() {
        FenceImpl f = fence();
        f.signal(); // signalled: the kernel's annotation fires before it looks, and so does this one
        for (int i = 0; i < 3; i++) {
            boolean cookie = Lockdep.beginSignalling();
            assertThat(f.waitTimeout(1, false)).isPositive();
            Lockdep.endSignalling(cookie);
        }
        assertThat(Lockdep.reports()).hasSize(1);
        String text = Lockdep.reports().get(0).text();
        assertThat(text).startsWith("============================================\n"
                + "WARNING: possible recursive locking detected\n")
                .contains("is trying to acquire lock:\n (dma_fence_map), at: dma_fence_wait_timeout")
                .contains("but task is already holding lock:\n (dma_fence_map), at: dma_fence_begin_signalling")
                .contains("*** DEADLOCK ***")
                .contains("LockdepTest.aFenceWaitedInsideASignallingSectionIsReportedOnceWithBothStacks(LockdepTest.java:");
        assertThat(Lockdep.inSignalling()).isFalse();
    }

    @Test
    void waitsOutsideASectionAndNestedSectionsAreFine() {
        FenceImpl f = fence();
        f.signal();
        boolean outer = Lockdep.beginSignalling();
        boolean inner = Lockdep.beginSignalling();
        assertThat(outer).isFalse();
        assertThat(inner).as("nested: nothing to end").isTrue();
        Lockdep.endSignalling(inner);
        assertThat(Lockdep.inSignalling()).isTrue();
        Lockdep.endSignalling(outer);
        assertThat(Lockdep.inSignalling()).isFalse();
        f.waitTimeout(1, false);
        assertThat(Lockdep.reports()).isEmpty();
    }

    @Test
    void aReservationLockInsideASignallingSectionIsACircularDependency() {
        ResvImpl resv = new ResvImpl();
        boolean cookie = Lockdep.beginSignalling();
        assertThat(resv.tryLock()).as("a trylock never waits: not reported").isTrue();
        resv.unlock();
        assertThat(Lockdep.reports()).isEmpty();
        resv.lock();
        resv.unlock();
        Lockdep.endSignalling(cookie);
        assertThat(Lockdep.reports()).singleElement().satisfies(r -> {
            assertThat(r.title()).isEqualTo("WARNING: possible circular locking dependency detected");
            assertThat(r.text()).contains("(reservation_ww_class_mutex) dma_resv@", ", at: dma_resv_lock",
                    "(dma_fence_map), at: dma_fence_begin_signalling", "lock(dma_fence_map);",
                    "lock(reservation_ww_class_mutex);");
        });
        resv.fini();
    }

    @Test
    void sleepingInAFenceCallbackIsABug() {
        FenceImpl f = fence();
        FenceImpl other = fence();
        other.signal();
        ResvImpl resv = new ResvImpl();
        f.addCallback(x -> {
            other.waitTimeout(1, false); // sleeps: a fence wait
            resv.lock(); // and a lock that waits
            resv.unlock();
        });
        f.signal();
        f.signal(); // signalled already: nothing runs again
        assertThat(Lockdep.reports()).hasSize(2).allSatisfy(r -> {
            assertThat(r.title()).isEqualTo("BUG: sleeping function called from invalid context");
            assertThat(r.text()).contains("in_atomic(): 1", "(in dma_fence_cb onSignaled, a callback that must not"
                    + " block)", "LockdepTest.lambda$sleepingInAFenceCallbackIsABug");
        });
        assertThat(Lockdep.reports().get(0).text()).startsWith("BUG: sleeping function called from invalid context"
                + " at dma_fence_wait_timeout\n");
        assertThat(Lockdep.reports().get(1).text()).startsWith("BUG: sleeping function called from invalid context"
                + " at dma_resv_lock\n");
        resv.fini();
    }

    @Test
    void twoReservationLocksNestedWithoutAContextAreRecursiveAndInBothOrdersCircular() throws Exception {
        ResvImpl a = new ResvImpl();
        ResvImpl b = new ResvImpl();
        a.lock();
        b.lock();
        b.unlock();
        a.unlock();
        assertThat(Lockdep.reports()).singleElement().satisfies(r -> {
            assertThat(r.title()).isEqualTo("WARNING: possible recursive locking detected");
            assertThat(r.text()).contains("May be due to missing lock nesting notation");
        });
        // the other order, on another thread: the cycle, with the stack that took a then b
        CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
            b.lock();
            a.lock();
            a.unlock();
            b.unlock();
        });
        other.get(10, TimeUnit.SECONDS);
        assertThat(Lockdep.reports()).extracting(Lockdep.Report::title)
                .contains("WARNING: possible circular locking dependency detected");
        String cycle = Lockdep.reports().stream()
                .filter(r -> r.title().equals("WARNING: possible circular locking dependency detected"))
                .findFirst().orElseThrow().text();
        assertThat(cycle).contains("which lock already depends on the new lock.",
                "the existing dependency chain (in reverse order) is:", "-> #1", "-> #0",
                "taken by " + Thread.currentThread().getName() + " while it held",
                "twoReservationLocksNestedWithoutAContextAreRecursiveAndInBothOrdersCircular(LockdepTest.java:");
        a.fini();
        b.fini();
    }

    @Test
    void locksTakenInOneAcquireContextAreNotReported() {
        ResvImpl a = new ResvImpl();
        ResvImpl b = new ResvImpl();
        for (ResvImpl[] order : new ResvImpl[][] {{a, b}, {b, a}}) {
            WwCtx ctx = new WwCtx();
            order[0].lockWw(null, ctx, false);
            order[1].lockWw(null, ctx, false);
            order[1].unlock();
            order[0].unlock();
            ctx.close();
        }
        assertThat(Lockdep.reports()).isEmpty();
        a.fini();
        b.fini();
    }

    @Test
    void offEverythingIsFreeAndNothingIsReported() {
        Lockdep.enable(false);
        FenceImpl f = fence();
        f.signal();
        boolean cookie = Lockdep.beginSignalling();
        f.waitTimeout(1, false);
        Lockdep.endSignalling(cookie);
        ResvImpl a = new ResvImpl();
        ResvImpl b = new ResvImpl();
        a.lock();
        b.lock();
        b.unlock();
        a.unlock();
        assertThat(Lockdep.reports()).isEmpty();
    }

    @Test
    void aCallbackFoundWaitingByTheWatchdogIsReported() throws Exception {
        FenceImpl f = fence();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        f.addCallback(x -> {
            try {
                release.await(10, TimeUnit.SECONDS); // blocks, outside the platform's calls
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread signaller = new Thread(f::signal, "signaller");
        signaller.start();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Lockdep.reports().isEmpty()) {
                assertThat(System.nanoTime()).as("reported").isLessThan(end);
                Lockdep.sample(); // the watchdog's scan, once a second in the platform
                Thread.onSpinWait();
            }
        } finally {
            release.countDown();
            signaller.join(10_000);
        }
        assertThat(Lockdep.reports()).singleElement().satisfies(r -> assertThat(r.text())
                .startsWith("BUG: sleeping function called from invalid context in dma_fence_cb onSignaled")
                .contains("name: signaller").contains("CountDownLatch.await"));
    }

    @Test
    void theNewLockOfARevocationIsHeldAndReleasedInLockdepsBooks() throws Exception {
        ResvImpl a = new ResvImpl();
        ResvImpl b = new ResvImpl();
        Object module = new Object();
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        Thread stuck = new Thread(() -> {
            a.lock();
            a.busy(null, module, "dma_resv_lock");
            held.countDown();
            try {
                new java.util.concurrent.CountDownLatch(1).await(); // stuck in the module's code, until revoked
            } catch (InterruptedException revoked) {
                // the revocation wakes it
            }
            a.unlock();
        }, "stuck driver");
        stuck.start();
        assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(a.revoke(module, () -> {
            a.lock(); // the framework's work under the new lock takes it again, re-entrant
            a.unlock();
        })).isSameAs(stuck);
        b.lock(); // a was let go of: nothing is nested here
        b.unlock();
        stuck.join(10_000);
        assertThat(Lockdep.reports()).isEmpty();
        a.fini();
        b.fini();
    }

    @Test
    void trylocks_in_both_orders_are_no_dependency_but_a_plain_lock_nested_in_a_contexts_lock_is_reported() {
        ResvImpl a = new ResvImpl();
        ResvImpl b = new ResvImpl();
        a.lock();
        assertThat(b.tryLock()).isTrue(); // eviction's pattern: never waits
        b.unlock();
        a.unlock();
        b.lock();
        assertThat(a.tryLock()).isTrue();
        a.unlock();
        b.unlock();
        assertThat(Lockdep.reports()).as("a trylock records no dependency").isEmpty();

        WwCtx ctx = new WwCtx();
        a.lockWw(null, ctx, false);
        b.lock(); // a plain lock inside a context's: wound/wait cannot resolve that one
        b.unlock();
        a.unlock();
        ctx.close();
        assertThat(Lockdep.reports()).singleElement().satisfies(r -> assertThat(r.title())
                .isEqualTo("WARNING: possible recursive locking detected"));
        a.fini();
        b.fini();
    }
}
