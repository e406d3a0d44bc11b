// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.api.fence.WaitAny;
import org.junit.jupiter.api.Test;

/**
 * {@code dma_fence_wait_any_timeout} and the deadline hints
 * ({@code dma_fence_set_deadline}, {@code dma_resv_set_deadline}).
 */
class WaitAnyAndDeadlineTest {
    static FenceImpl fence() {
        return new FenceImpl(Fences.contextAlloc(1), 1, "test", "test", null);
    }

    @Test
    void wait_any_returns_the_lowest_signalled_index_at_once() {
        FenceImpl a = fence();
        FenceImpl b = fence();
        FenceImpl c = fence();
        b.signal();
        c.signal();
        WaitAny r = Fences.waitAny(List.of(a, b, c), false, TimeUnit.SECONDS.toNanos(1));
        assertThat(r.index()).isEqualTo(1);
        assertThat(r.remainingNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(1));
        assertThat(a.waiters()).as("no callback left behind").isZero();
    }

    @Test
    void wait_any_with_no_time_only_looks() {
        WaitAny r = Fences.waitAny(List.of(fence(), fence()), false, 0);
        assertThat(r).isEqualTo(new WaitAny(0, -1));
        assertThat(r.signaled()).isFalse();
    }

    @Test
    void wait_any_wakes_when_one_signals_on_another_thread_and_takes_its_callbacks_back() throws Exception {
        FenceImpl a = fence();
        FenceImpl b = fence();
        FenceImpl c = fence();
        List<WaitAny> got = new ArrayList<>();
        Thread waiter = Thread.ofPlatform().start(() -> got.add(Fences.waitAny(List.of(a, b, c), true,
                TimeUnit.SECONDS.toNanos(30))));
        // the waiter is parked once every fence has its callback
        while (c.waiters() == 0 && waiter.isAlive()) {
            Thread.onSpinWait();
        }
        c.signal();
        waiter.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(waiter.isAlive()).isFalse();
        assertThat(got).singleElement().satisfies(r -> {
            assertThat(r.index()).isEqualTo(2);
            assertThat(r.remainingNanos()).isPositive();
        });
        assertThat(a.waiters()).isZero();
        assertThat(b.waiters()).isZero();
    }

    @Test
    void wait_any_times_out_with_index_minus_one() {
        FenceImpl a = fence();
        long t0 = System.nanoTime();
        WaitAny r = Fences.waitAny(List.of(a), false, TimeUnit.MILLISECONDS.toNanos(20));
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
        assertThat(r).isEqualTo(new WaitAny(0, -1));
        assertThat(a.waiters()).isZero();
    }

    @Test
    void wait_any_interrupted_says_eintr_and_leaves_no_callback() {
        FenceImpl a = fence();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> Fences.waitAny(List.of(a), true, TimeUnit.SECONDS.toNanos(5)))
                .isInstanceOf(DmaBufException.class).hasMessageContaining("interrupted")
                .satisfies(e -> assertThat(((DmaBufException) e).errno()).isEqualTo(Errno.EINTR));
        assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
        assertThat(a.waiters()).isZero();
    }

    @Test
    void wait_any_refuses_bad_input_and_registers_nothing() {
        FenceImpl a = fence();
        assertThatThrownBy(() -> Fences.waitAny(List.of(), false, 1)).hasMessageContaining("expected at least one");
        assertThatThrownBy(() -> Fences.waitAny(null, false, 1)).hasMessageContaining("expected at least one");
        assertThatThrownBy(() -> Fences.waitAny(List.of(a), false, -1)).hasMessageContaining("expected 0 or more");
        List<DmaFence> withNull = new ArrayList<>();
        withNull.add(a);
        withNull.add(null);
        assertThatThrownBy(() -> Fences.waitAny(withNull, false, 1)).hasMessageContaining("fence 1 is null");
        assertThat(a.waiters()).isZero();
    }

    @Test
    void a_deadline_keeps_the_earliest_and_a_signalled_fence_ignores_it() {
        FenceImpl f = fence();
        assertThat(f.deadline()).isEqualTo(Long.MAX_VALUE);
        long now = System.nanoTime();
        f.setDeadline(now + 1000);
        f.setDeadline(now + 5000);
        assertThat(f.deadline()).isEqualTo(now + 1000);
        f.setDeadline(now + 10);
        assertThat(f.deadline()).isEqualTo(now + 10);
        FenceImpl done = fence();
        done.signal();
        done.setDeadline(now);
        assertThat(done.deadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void an_arrays_deadline_reaches_its_parts() {
        FenceImpl a = fence();
        FenceImpl b = fence();
        ArrayImpl array = new ArrayImpl(List.of(a, b), Fences.contextAlloc(1), 1, false);
        long when = System.nanoTime() + 16_000_000;
        array.setDeadline(when);
        assertThat(a.deadline()).isEqualTo(when);
        assertThat(b.deadline()).isEqualTo(when);
    }

    @Test
    void a_reservation_objects_deadline_reaches_the_fences_of_its_usage_and_below() {
        ResvImpl resv = new ResvImpl();
        FenceImpl write = fence();
        FenceImpl read = fence();
        resv.lock();
        resv.reserve(2);
        resv.add(write, DmaResvUsage.WRITE);
        resv.add(read, DmaResvUsage.READ);
        resv.unlock();
        long when = System.nanoTime() + 8_000_000;
        resv.setDeadline(DmaResvUsage.WRITE, when);
        assertThat(write.deadline()).isEqualTo(when);
        assertThat(read.deadline()).as("READ is above WRITE: not asked for").isEqualTo(Long.MAX_VALUE);
        resv.setDeadline(DmaResvUsage.READ, when);
        assertThat(read.deadline()).isEqualTo(when);
    }
}
