// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.SwSyncTimeline;
import org.dmabuf.api.fence.SyncFileInfo;
import org.junit.jupiter.api.Test;

/**
 * The kernel's sync selftests ({@code tools/testing/selftests/sync}: sync_alloc,
 * sync_fence, sync_merge, sync_wait, sync_stress_parallelism,
 * sync_stress_consumer, sync_stress_merge), case by case, on {@code sw_sync}
 * timelines and sync files. The helpers are {@code sync.h}'s and
 * {@code synctest.h}'s; each test's name is the kernel's.
 */
class SyncSelftestsTest {
    static final int FENCE_STATUS_ERROR = -1;
    static final int FENCE_STATUS_ACTIVE = 0;
    static final int FENCE_STATUS_SIGNALED = 1;

    final Fixture f = new Fixture();
    final FenceView sync = new FenceView(f.exporter);

    // --- sync.h -----------------------------------------------------------------------------

    /** {@code sync_wait}: 1 signalled, 0 timed out ({@code timeout} ms; -1 waits for ever), -errno on error. */
    int syncWait(int fd, int timeoutMs) {
        DmaFence fence = sync.syncFileGetFence(fd);
        try {
            long r = fence.waitTimeout(timeoutMs < 0 ? Long.MAX_VALUE : TimeUnit.MILLISECONDS.toNanos(timeoutMs),
                    false);
            return r > 0 ? (fence.getStatus() < 0 ? fence.getStatus() : 1) : 0;
        } finally {
            fence.put();
        }
    }

    /** {@code sync_fence_count_with_status}: how many of the sync file's fences have that status. */
    int countWithStatus(int fd, int status) {
        return (int) sync.syncFileInfo(fd).fences().stream()
                .filter(x -> status == FENCE_STATUS_ERROR ? x.status() < 0 : x.status() == status).count();
    }

    /** {@code sync_fence_size}. */
    int size(int fd) {
        return sync.syncFileInfo(fd).fences().size();
    }

    int merge(String name, int a, int b) {
        return sync.syncFileMerge(name, a, b);
    }

    void destroy(int fd) {
        sync.close(fd);
    }

    // --- sync_alloc.c -------------------------------------------------------------------------

    @Test
    void test_alloc_timeline() {
        SwSyncTimeline timeline = sync.swSyncTimelineCreate("test_alloc_timeline");
        assertThat(timeline.value()).isZero();
        assertThat(f.exporter.contexts()).as("the timeline's fence context, listed while open").hasSize(1);
        timeline.close();
        assertThat(f.exporter.contexts()).as("a closed timeline leaves the module's list").isEmpty();
    }

    @Test
    void test_alloc_fence() {
        SwSyncTimeline timeline = sync.swSyncTimelineCreate("test_alloc_fence");
        int fence = timeline.createFence("allocFence", 1);
        assertThat(sync.syncFileInfo(fence).name()).isEqualTo("allocFence");
        destroy(fence);
        timeline.close();
    }

    @Test
    void test_alloc_fence_negative() {
        SwSyncTimeline timeline = sync.swSyncTimelineCreate("test_alloc_fence_negative");
        timeline.close();
        // sw_sync_fence_create(-1, ...): on a timeline that is not open
        assertThatThrownBy(() -> timeline.createFence("fence", 1)).isInstanceOf(DmaBufException.class)
                .satisfies(e -> assertThat(((DmaBufException) e).errno()).isEqualTo(Errno.EBADF))
                .hasMessageContaining("is closed; expected an open timeline");
        // and what the ioctl's types refuse: a value beyond __u32, a name beyond char[32], a negative count
        SwSyncTimeline open = sync.swSyncTimelineCreate("negative");
        assertThatThrownBy(() -> open.createFence("fence", 1L << 32)).hasMessageContaining("expected 0 to 4294967295");
        assertThatThrownBy(() -> open.createFence("f".repeat(33), 1)).hasMessageContaining("expected 1 to 32");
        assertThatThrownBy(() -> open.inc(-1)).hasMessageContaining("SW_SYNC_IOC_INC: -1");
        assertThatThrownBy(() -> open.inc(1L << 31)).hasMessageContaining("expected 0 to 2147483647");
        assertThatThrownBy(() -> sync.swSyncTimelineCreate("")).hasMessageContaining("expected 1 to 32 characters");
        assertThat(open.value()).as("nothing changed").isZero();
        assertThat(f.exporter.fds()).as("no fd was made").hasSize(3);
        open.close();
    }

    // --- sync_fence.c --------------------------------------------------------------------------

    @Test
    void test_fence_one_timeline_wait() {
        SwSyncTimeline timeline = sync.swSyncTimelineCreate("one_timeline_wait");
        int fence = timeline.createFence("allocFence", 5);
        assertThat(syncWait(fence, 0)).as("Failure waiting on fence until timeout").isZero();
        timeline.inc(1);
        assertThat(syncWait(fence, 0)).as("Failure waiting on fence until timeout").isZero();
        timeline.inc(4);
        assertThat(syncWait(fence, 0)).as("Failure waiting on fence").isPositive();
        timeline.inc(10);
        assertThat(syncWait(fence, 0)).as("Failure waiting ahead").isPositive();
        destroy(fence);
        timeline.close();
    }

    @Test
    void test_fence_one_timeline_merge() {
        SwSyncTimeline timeline = sync.swSyncTimelineCreate("one_timeline_merge");
        int a = timeline.createFence("allocFence", 1);
        int b = timeline.createFence("allocFence", 2);
        int c = timeline.createFence("allocFence", 3);
        int d1 = merge("mergeFence", b, a);
        int d = merge("mergeFence", c, d1);
        // the kernel's test checks a four times (a typo); each is checked here
        for (int x : new int[] {a, b, c, d}) {
            assertThat(countWithStatus(x, FENCE_STATUS_ACTIVE)).as("too many active fences").isEqualTo(1);
        }
        timeline.inc(1);
        assertThat(countWithStatus(a, FENCE_STATUS_SIGNALED)).as("a did not signal!").isEqualTo(1);
        assertThat(countWithStatus(d, FENCE_STATUS_ACTIVE)).as("d signaled too early!").isEqualTo(1);
        timeline.inc(1);
        assertThat(countWithStatus(b, FENCE_STATUS_SIGNALED)).as("b did not signal!").isEqualTo(1);
        assertThat(countWithStatus(d, FENCE_STATUS_ACTIVE)).as("d signaled too early!").isEqualTo(1);
        timeline.inc(1);
        assertThat(countWithStatus(c, FENCE_STATUS_SIGNALED)).as("c did not signal!").isEqualTo(1);
        assertThat(countWithStatus(d, FENCE_STATUS_ACTIVE)).as("d did not signal!").isZero();
        assertThat(countWithStatus(d, FENCE_STATUS_SIGNALED)).as("d did not signal!").isEqualTo(1);
        for (int x : new int[] {d, d1, c, b, a}) {
            destroy(x);
        }
        timeline.close();
    }

    // --- sync_merge.c --------------------------------------------------------------------------

    @Test
    void test_fence_merge_same_fence() {
        SwSyncTimeline timeline = sync.swSyncTimelineCreate("merge_same_fence");
        int fence = timeline.createFence("allocFence", 5);
        int merged = merge("mergeFence", fence, fence);
        assertThat(size(merged)).as("one fence, not two").isEqualTo(1);
        assertThat(countWithStatus(merged, FENCE_STATUS_SIGNALED)).as("fence signaled too early!").isZero();
        timeline.inc(5);
        assertThat(countWithStatus(merged, FENCE_STATUS_SIGNALED)).as("fence did not signal!").isEqualTo(1);
        destroy(merged);
        destroy(fence);
        timeline.close();
    }

    // --- sync_wait.c ---------------------------------------------------------------------------

    @Test
    void test_fence_multi_timeline_wait() {
        SwSyncTimeline ta = sync.swSyncTimelineCreate("timelineA");
        SwSyncTimeline tb = sync.swSyncTimelineCreate("timelineB");
        SwSyncTimeline tc = sync.swSyncTimelineCreate("timelineC");
        int fa = ta.createFence("fenceA", 5);
        int fb = tb.createFence("fenceB", 5);
        int fc = tc.createFence("fenceC", 5);
        int m1 = merge("mergeFence", fb, fa);
        int merged = merge("mergeFence", fc, m1);
        assertThat(countWithStatus(merged, FENCE_STATUS_ACTIVE)).as("Fence signaled too early!").isEqualTo(3);
        assertThat(syncWait(merged, 0)).as("Failure waiting on fence until timeout").isZero();
        ta.inc(5);
        assertThat(countWithStatus(merged, FENCE_STATUS_ACTIVE)).isEqualTo(2);
        assertThat(countWithStatus(merged, FENCE_STATUS_SIGNALED)).isEqualTo(1);
        tb.inc(5);
        assertThat(countWithStatus(merged, FENCE_STATUS_ACTIVE)).isEqualTo(1);
        assertThat(countWithStatus(merged, FENCE_STATUS_SIGNALED)).isEqualTo(2);
        tc.inc(5);
        assertThat(countWithStatus(merged, FENCE_STATUS_ACTIVE)).isZero();
        assertThat(countWithStatus(merged, FENCE_STATUS_SIGNALED)).isEqualTo(3);
        assertThat(syncWait(merged, 100)).as("Failure waiting on signaled fence").isPositive();
        SyncFileInfo info = sync.syncFileInfo(merged);
        assertThat(info.status()).isEqualTo(1);
        assertThat(info.fences()).extracting(SyncFileInfo.Fence::objName)
                .containsExactlyInAnyOrder("timelineA", "timelineB", "timelineC");
        assertThat(info.fences()).allSatisfy(x -> {
            assertThat(x.driverName()).isEqualTo("sw_sync");
            assertThat(x.timestampNanos()).isNotZero();
        });
        for (int x : new int[] {merged, m1, fc, fb, fa}) {
            destroy(x);
        }
        tc.close();
        tb.close();
        ta.close();
    }

    // --- sync_stress_parallelism.c ---------------------------------------------------------------

    @Test
    void test_stress_two_threads_shared_timeline() throws Exception {
        SwSyncTimeline timeline = sync.swSyncTimelineCreate("two_threads");
        int iterations = 1 << 16;
        int[] counter = {0}; // published by the fences: each thread reads it only after the other's inc
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int id = 0; id < 2; id++) {
            int threadId = id;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < iterations; i++) {
                        int fence = timeline.createFence("fence", i * 2L + threadId);
                        assertThat(syncWait(fence, -1)).as("Problem occurred on prior thread").isPositive();
                        assertThat(counter[0]).as("Counter got damaged!").isEqualTo(i * 2 + threadId);
                        counter[0]++;
                        timeline.inc(1);
                        destroy(fence);
                    }
                } catch (Throwable t) {
                    failures.add(t);
                    timeline.close(); // wakes the other thread: its fences signal with -ENOENT
                }
            }));
        }
        for (Thread t : threads) {
            t.join(TimeUnit.MINUTES.toMillis(2));
            assertThat(t.isAlive()).as("a thread did not finish within 2 minutes").isFalse();
        }
        assertThat(failures).isEmpty();
        assertThat(counter[0]).as("Counter has unexpected value").isEqualTo(iterations * 2);
        timeline.close();
    }

    // --- sync_stress_consumer.c ------------------------------------------------------------------

    @Test
    void test_consumer_stress_multi_producer_single_consumer() throws Exception {
        int iterations = 1 << 12;
        int n = 5;
        SwSyncTimeline consumer = sync.swSyncTimelineCreate("consumer");
        SwSyncTimeline[] producers = new SwSyncTimeline[n];
        for (int i = 0; i < n; i++) {
            producers[i] = sync.swSyncTimelineCreate("producer" + i);
        }
        AtomicInteger counter = new AtomicInteger(); // the kernel's test takes a mutex for it
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            int producerId = id;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < iterations; i++) {
                        int fence = consumer.createFence("fence", i);
                        // wait for the consumer to finish, by alternate means
                        if ((iterations + producerId) % 8 != 0) {
                            assertThat(syncWait(fence, -1)).as("Failure waiting on fence").isPositive();
                        } else {
                            busyWait(fence);
                        }
                        counter.incrementAndGet();
                        producers[producerId].inc(1);
                        destroy(fence);
                    }
                } catch (Throwable t) {
                    failures.add(t);
                    consumer.close();
                }
            }));
        }
        try {
            for (int it = 1; it <= iterations; it++) {
                int fence = producers[0].createFence("name", it);
                for (int i = 1; i < n; i++) {
                    int tmp = producers[i].createFence("name", it);
                    int merged = merge("name", tmp, fence);
                    destroy(tmp);
                    destroy(fence);
                    fence = merged;
                }
                // an increment from every producer; vary the means by which we wait
                if (iterations % 8 != 0) {
                    assertThat(syncWait(fence, -1)).as("Producers did not increment as expected").isPositive();
                } else {
                    busyWait(fence);
                }
                assertThat(counter.get()).as("Counter value mismatch!").isEqualTo(n * it);
                consumer.inc(1); // release the producers
                destroy(fence);
            }
        } finally {
            if (!failures.isEmpty()) {
                for (SwSyncTimeline p : producers) {
                    p.close();
                }
            }
            for (Thread t : threads) {
                t.join(TimeUnit.MINUTES.toMillis(2));
            }
        }
        assertThat(failures).isEmpty();
        assertThat(threads).noneMatch(Thread::isAlive);
        consumer.close();
        for (SwSyncTimeline p : producers) {
            p.close();
        }
    }

    /** {@code busy_wait_on_fence}: polls the status until no fence is active, failing on an error. */
    void busyWait(int fence) {
        int active;
        do {
            assertThat(countWithStatus(fence, FENCE_STATUS_ERROR)).as("Error occurred on fence").isZero();
            active = countWithStatus(fence, FENCE_STATUS_ACTIVE);
            Thread.onSpinWait();
        } while (active != 0);
    }

    // --- sync_stress_merge.c ---------------------------------------------------------------------

    @Test
    void test_merge_stress_random_merge() {
        int timelineCount = 32;
        int mergeCount = 1024 * 32;
        long seed = System.nanoTime();
        Random rand = new Random(seed);
        SwSyncTimeline[] timelines = new SwSyncTimeline[timelineCount];
        long[] fenceMap = new long[timelineCount];
        for (int i = 0; i < timelineCount; i++) {
            timelines[i] = sync.swSyncTimelineCreate("random" + i);
            fenceMap[i] = -1;
        }
        int fence = timelines[0].createFence("fence", 0);
        fenceMap[0] = 0;
        // sync points on random timelines, merged together
        for (int i = 0; i < mergeCount; i++) {
            int offset = rand.nextInt(timelineCount);
            long syncPoint = rand.nextInt(Integer.MAX_VALUE);
            fenceMap[offset] = Math.max(fenceMap[offset], syncPoint);
            int tmp = timelines[offset].createFence("fence", syncPoint);
            int merged = merge("merge", tmp, fence);
            destroy(tmp);
            destroy(fence);
            fence = merged;
        }
        int expected = 0;
        for (long m : fenceMap) {
            if (m > 0) { // a timeline whose only point is 0 signalled at once, and merging drops signalled fences
                expected++;
            }
        }
        assertThat(size(fence)).as("Quantity of elements not matching (seed %d)", seed).isEqualTo(expected);
        for (int i = 0; i < timelineCount; i++) {
            if (fenceMap[i] != -1) {
                assertThat(syncWait(fence, 0)).as("Failure waiting on fence until timeout (seed %d)", seed)
                        .isZero();
                timelines[i].inc(fenceMap[i]);
            }
        }
        assertThat(syncWait(fence, 0)).as("Failure triggering fence (seed %d)", seed).isPositive();
        destroy(fence);
        for (SwSyncTimeline t : timelines) {
            t.close();
        }
    }

    // --- beyond the selftests ------------------------------------------------------------------------

    @Test
    void a_fence_nobody_holds_leaves_the_timeline_as_timeline_fence_release_does() {
        SwSyncTimeline timeline = sync.swSyncTimelineCreate("released");
        int fence = timeline.createFence("dropped", 9);
        assertThat(f.exporter.contexts().getFirst().pending()).isEqualTo(1);
        destroy(fence); // its last reference: the sync file's
        assertThat(f.exporter.contexts().getFirst().pending()).isZero();
        timeline.close();
    }

    @Test
    void wait_any_takes_the_same_fence_twice() throws Exception {
        SwSyncTimeline timeline = sync.swSyncTimelineCreate("twice");
        int fd = timeline.createFence("f", 1);
        DmaFence fence = sync.syncFileGetFence(fd);
        Thread inc = Thread.ofPlatform().start(() -> {
            while (((org.dmabuf.framework.internal.fence.FenceImpl) fence).waiters() < 2) {
                Thread.onSpinWait();
            }
            timeline.inc(1);
        });
        assertThat(sync.waitAnyTimeout(List.of(fence, fence), false, TimeUnit.SECONDS.toNanos(30)).index()).isZero();
        fence.put();
        destroy(fd);
        timeline.close();
        inc.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(inc.isAlive()).isFalse();
    }

    // --- the owner's stop, and closing ------------------------------------------------------------------

    @Test
    void closing_a_timeline_signals_what_it_never_reached_with_enoent_and_its_owners_stop_with_enodev() {
        SwSyncTimeline timeline = sync.swSyncTimelineCreate("closed");
        int fence = timeline.createFence("never", 7);
        timeline.close();
        assertThat(syncWait(fence, 0)).isEqualTo(Errno.ENOENT.code());
        assertThat(sync.syncFileInfo(fence).status()).isEqualTo(Errno.ENOENT.code());
        destroy(fence);

        SwSyncTimeline other = sync.swSyncTimelineCreate("owner-stops");
        int pending = other.createFence("pending", 3);
        DmaFence held = sync.syncFileGetFence(pending);
        f.exporter.close();
        assertThat(held.getStatus()).isEqualTo(Errno.ENODEV.code());
        held.put();
    }
}
