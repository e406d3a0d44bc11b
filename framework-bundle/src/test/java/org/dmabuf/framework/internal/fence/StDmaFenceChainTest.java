// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.fence.DmaFence;
import org.junit.jupiter.api.Test;

/** The kernel's {@code drivers/dma-buf/st-dma-fence-chain.c}, case by case, with its 4096-link chains. *
 * <p>Names: the kernel still runs this suite as {@code selftest(dma_fence_chain, dma_fence_chain)} of
 * {@code drivers/dma-buf/selftests.h}, through {@code dmabuf_selftests} and igt's
 * {@code dmabuf_selftest}, not as KUnit: there is no KUnit name to give beside it (checked
 * 2026-12-04); each test keeps the kernel's function name.
 */
class StDmaFenceChainTest {
    static final int CHAIN_SZ = 4 << 10;

    static FenceImpl mockFence() {
        return new FenceImpl(0, 0, "mock", "mock", null);
    }

    /** {@code struct fence_chains}: fences[i] wrapped by chains[i], chained in order. */
    static final class FenceChains {
        final List<FenceImpl> fences = new ArrayList<>();
        final List<ChainImpl> chains = new ArrayList<>();
        ChainImpl tail;

        FenceChains(int count, LongUnaryOperator seqno) {
            for (int i = 0; i < count; i++) {
                FenceImpl f = mockFence();
                ChainImpl c = ChainImpl.create(tail, f, seqno.applyAsLong(i));
                fences.add(f);
                chains.add(c);
                tail = c;
                c.enableSignaling(); // dma_fence_enable_sw_signaling
            }
        }

        void fini() {
            fences.forEach(FenceImpl::signal);
        }
    }

    static long seqnoInc(long i) {
        return i + 1;
    }

    static long seqnoInc2(long i) {
        return 2 * i + 2;
    }

    @Test
    void sanitycheck() {
        FenceImpl f = mockFence();
        ChainImpl chain = ChainImpl.create(null, f, 1);
        chain.enableSignaling();
        f.signal();
        assertThat(chain.isSignaled()).isTrue();
    }

    @Test
    void find_seqno() {
        FenceChains fc = new FenceChains(64, StDmaFenceChainTest::seqnoInc);
        try {
            assertThat(fc.tail.findSeqno(0)).as("find_seqno(0)").isSameAs(fc.tail);
            for (int i = 0; i < fc.chains.size(); i++) {
                DmaFence fence = fc.tail.findSeqno(i + 1);
                assertThat(fence).as("find_seqno(%d)", i + 1).isSameAs(fc.chains.get(i));
                assertThat(((ChainImpl) fence).findSeqno(i + 1)).as("find self").isSameAs(fc.chains.get(i));
                long future = i + 2;
                assertThatThrownBy(() -> ((ChainImpl) fence).findSeqno(future)).as("Error not reported for future fence")
                        .isInstanceOf(DmaBufException.class).hasMessageContaining("lies beyond");
                DmaFence previous = ((ChainImpl) fence).findSeqno(i);
                if (i > 0) {
                    assertThat(previous).as("find_seqno(%d:%d)", i + 1, i).isSameAs(fc.chains.get(i - 1));
                }
            }
        } finally {
            fc.fini();
        }
    }

    @Test
    void find_signaled() {
        FenceChains fc = new FenceChains(2, StDmaFenceChainTest::seqnoInc);
        try {
            fc.fences.get(0).signal();
            DmaFence fence = fc.tail.findSeqno(1);
            assertThat(fence == null || fence == fc.chains.get(0))
                    .as("Incorrect chain-fence reported for completed seqno:1: %s", fence).isTrue();
        } finally {
            fc.fini();
        }
    }

    @Test
    void find_out_of_order() {
        FenceChains fc = new FenceChains(3, StDmaFenceChainTest::seqnoInc);
        try {
            fc.fences.get(1).signal();
            // The middle fence (2) of 1-2-3 signalled: a waiter for 2 must still wait for 1.
            assertThat(fc.tail.findSeqno(2)).isSameAs(fc.chains.get(0));
        } finally {
            fc.fini();
        }
    }

    @Test
    void find_gap() {
        FenceChains fc = new FenceChains(64, StDmaFenceChainTest::seqnoInc2);
        try {
            for (int i = 0; i < fc.chains.size(); i++) {
                DmaFence fence = fc.tail.findSeqno(2L * i + 1);
                assertThat(fence).as("find_seqno(%d)", 2 * i + 1).isSameAs(fc.chains.get(i));
                assertThat(((ChainImpl) fence).findSeqno(2L * i + 2)).as("find self").isSameAs(fc.chains.get(i));
            }
        } finally {
            fc.fini();
        }
    }

    // As the kernel: every CPU finds random points while signalling random fences, for five seconds (the
    // kernel's msleep(5000)); any exception of a worker fails the test, not only the errno ones
    @Test
    void find_race() throws Exception {
        FenceChains fc = new FenceChains(CHAIN_SZ, StDmaFenceChainTest::seqnoInc);
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < Math.max(2, Runtime.getRuntime().availableProcessors()); t++) {
            long seed = 42 + t;
            threads.add(Thread.ofPlatform().uncaughtExceptionHandler((th, e) -> errors.add("worker " + seed
                    + " died: " + e)).start(() -> {
                Random random = new Random(seed);
                while (System.nanoTime() < deadline && errors.isEmpty()) {
                    int seqno = 1 + random.nextInt(fc.chains.size());
                    try {
                        DmaFence fence = fc.tail.findSeqno(seqno);
                        if (fence != null && fence.seqno() == seqno) {
                            ((ChainImpl) fence).findSeqno(seqno); // can find ourselves
                        }
                    } catch (DmaBufException e) {
                        errors.add("Failed to find fence seqno:" + seqno + ": " + e.getMessage());
                    } catch (RuntimeException | Error e) {
                        errors.add("Failed to find fence seqno:" + seqno + ": " + e);
                    }
                    fc.fences.get(random.nextInt(fc.chains.size() - 1)).signal();
                }
            }));
        }
        for (Thread t : threads) {
            t.join(30_000);
            assertThat(t.isAlive()).as("a worker still runs").isFalse();
        }
        assertThat(errors).isEmpty();
        fc.fini();
    }

    @Test
    void signal_forward() {
        FenceChains fc = new FenceChains(64, StDmaFenceChainTest::seqnoInc);
        for (int i = 0; i < fc.chains.size(); i++) {
            fc.fences.get(i).signal();
            assertThat(fc.chains.get(i).isSignaled()).as("chain[%d] not signaled!", i).isTrue();
            if (i + 1 < fc.chains.size()) {
                assertThat(fc.chains.get(i + 1).isSignaled()).as("chain[%d] is signaled!", i + 1).isFalse();
            }
        }
    }

    @Test
    void signal_backward() {
        FenceChains fc = new FenceChains(64, StDmaFenceChainTest::seqnoInc);
        for (int i = fc.chains.size() - 1; i >= 0; i--) {
            fc.fences.get(i).signal();
            if (i > 0) {
                assertThat(fc.chains.get(i).isSignaled()).as("chain[%d] is signaled!", i).isFalse();
            }
        }
        for (int i = 0; i < fc.chains.size(); i++) {
            assertThat(fc.chains.get(i).isSignaled()).as("chain[%d] was not signaled!", i).isTrue();
        }
    }

    // __wait_fence_chains: a thread waits on the tail of 4096 links while they are signalled. As the kernel
    // yields to the waiter (yield_to) before it signals, this one starts signalling only once the waiter is
    // parked on the tail; and as the kernel checks kthread_stop's result, the waiter's status is checked
    private static void waitWhileSignalling(FenceChains fc, List<FenceImpl> order) throws Exception {
        java.util.concurrent.CompletableFuture<Integer> status = new java.util.concurrent.CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                status.complete(fc.tail.await(false));
            } catch (Throwable e) {
                status.completeExceptionally(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (waiter.getState() != Thread.State.WAITING && !status.isDone()) {
            assertThat(System.nanoTime()).as("the waiter parks on the tail").isLessThan(deadline);
            Thread.yield(); // yield_to(tsk, true)
        }
        assertThat(status).as("the tail is pending: the waiter must be waiting, not done").isNotDone();
        for (FenceImpl f : order) {
            f.signal();
        }
        assertThat(status.get(30, TimeUnit.SECONDS)).as("dma_fence_wait's result: signalled, no error")
                .isEqualTo(1);
        waiter.join(30_000);
        assertThat(fc.tail.isSignaled()).isTrue();
    }

    @Test
    void wait_forward() throws Exception {
        FenceChains fc = new FenceChains(CHAIN_SZ, StDmaFenceChainTest::seqnoInc);
        waitWhileSignalling(fc, fc.fences);
    }

    @Test
    void wait_backward() throws Exception {
        FenceChains fc = new FenceChains(CHAIN_SZ, StDmaFenceChainTest::seqnoInc);
        waitWhileSignalling(fc, fc.fences.reversed());
    }

    @Test
    void wait_random() throws Exception {
        FenceChains fc = new FenceChains(CHAIN_SZ, StDmaFenceChainTest::seqnoInc);
        List<FenceImpl> shuffled = new ArrayList<>(fc.fences);
        Collections.shuffle(shuffled, new Random(4096)); // the kernel's Fisher-Yates, seeded
        waitWhileSignalling(fc, shuffled);
    }
}
