// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import static org.assertj.core.api.Assertions.assertThat;

import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResvUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The kernel's {@code drivers/dma-buf/st-dma-resv.c}, case by case, each run
 * for every usage as the kernel runs the suite.
 *
 * <p>Names: the kernel still runs this suite as {@code selftest(dma_resv, dma_resv)} of
 * {@code drivers/dma-buf/selftests.h}, through {@code dmabuf_selftests} and igt's
 * {@code dmabuf_selftest}, not as KUnit: there is no KUnit name to give beside it (checked
 * 2026-12-04); each test keeps the kernel's function name.
 */
class StDmaResvTest {

    static FenceImpl allocFence() {
        return new FenceImpl(0, 0, "selftest", "selftest", null);
    }

    @Test
    void sanitycheck() {
        FenceImpl f = allocFence();
        f.signal();
        f.put();
        ResvImpl resv = new ResvImpl();
        assertThat(resv.tryLock()).as("Resv locking failed").isTrue();
        resv.unlock();
        resv.fini();
    }

    @ParameterizedTest
    @EnumSource(DmaResvUsage.class)
    void test_signaling(DmaResvUsage usage) {
        FenceImpl f = allocFence();
        ResvImpl resv = new ResvImpl();
        resv.lock();
        try {
            resv.reserve(1);
            resv.add(f, usage);
            assertThat(resv.testSignaled(usage)).as("Resv unexpectedly signaled").isFalse();
            f.signal();
            assertThat(resv.testSignaled(usage)).as("Resv not reporting signaled").isTrue();
        } finally {
            resv.unlock();
            resv.fini();
        }
    }

    @ParameterizedTest
    @EnumSource(DmaResvUsage.class)
    void test_for_each(DmaResvUsage usage) {
        FenceImpl f = allocFence();
        ResvImpl resv = new ResvImpl();
        resv.lock();
        try {
            resv.reserve(1);
            resv.add(f, usage);
            ResvIterImpl cursor = new ResvIterImpl(resv, usage, false);
            int found = 0;
            for (DmaFence fence = cursor.first(); fence != null; fence = cursor.next()) {
                assertThat(found).as("More than one fence found").isZero();
                assertThat(fence).as("Unexpected fence").isSameAs(f);
                assertThat(cursor.usage()).as("Unexpected fence usage").isEqualTo(usage);
                found++;
            }
            assertThat(found).as("No fence found").isEqualTo(1);
            f.signal();
        } finally {
            resv.unlock();
            resv.fini();
        }
    }

    // The kernel forces the restart by corrupting cursor.fences; here the list changes under the
    // cursor (the fence replaced by itself), which is what a restart is for.
    @ParameterizedTest
    @EnumSource(DmaResvUsage.class)
    void test_for_each_unlocked(DmaResvUsage usage) {
        FenceImpl f = allocFence();
        ResvImpl resv = new ResvImpl();
        resv.lock();
        resv.reserve(1);
        resv.add(f, usage);
        resv.unlock();
        ResvIterImpl cursor = new ResvIterImpl(resv, usage, true);
        String state = "ENOENT";
        for (DmaFence fence = cursor.first(); fence != null; fence = cursor.next()) {
            assertThat(state).as("More than one fence found").isNotEqualTo("done");
            assertThat(cursor.isRestarted()).as("No restart flag").isTrue();
            assertThat(fence).as("Unexpected fence").isSameAs(f);
            assertThat(cursor.usage()).as("Unexpected fence usage").isEqualTo(usage);
            if (state.equals("ENOENT")) {
                state = "EINVAL";
                resv.lock();
                resv.replace(f.context(), f, usage); // that should trigger a restart
                resv.unlock();
            } else {
                state = "done";
            }
        }
        assertThat(state).as("No fence found, or no restart").isEqualTo("done");
        f.signal();
        resv.fini();
    }

    @ParameterizedTest
    @EnumSource(DmaResvUsage.class)
    void test_get_fences(DmaResvUsage usage) {
        FenceImpl f = allocFence();
        ResvImpl resv = new ResvImpl();
        resv.lock();
        resv.reserve(1);
        resv.add(f, usage);
        resv.unlock();
        assertThat(resv.getFences(usage)).as("get_fences returned unexpected fence").containsExactly(f);
        f.signal();
        resv.fini();
    }
}
