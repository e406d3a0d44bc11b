// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.dmabuf.api.fence.DmaFence;
import org.junit.jupiter.api.Test;

/** The kernel's {@code drivers/dma-buf/st-dma-fence-unwrap.c}, case by case. *
 * <p>Names: the kernel still runs this suite as {@code selftest(dma_fence_unwrap, dma_fence_unwrap)} of
 * {@code drivers/dma-buf/selftests.h}, through {@code dmabuf_selftests} and igt's
 * {@code dmabuf_selftest}, not as KUnit: there is no KUnit name to give beside it (checked
 * 2026-12-04); each test keeps the kernel's function name.
 */
class StDmaFenceUnwrapTest {

    static FenceImpl mockFence(long context, long seqno) {
        return new FenceImpl(context, seqno, "mock", "mock", null);
    }

    static FenceImpl mockFence() {
        return mockFence(Fences.contextAlloc(1), 1);
    }

    static ArrayImpl mockArray(DmaFence... fences) {
        return new ArrayImpl(List.of(fences), Fences.contextAlloc(1), 1, false);
    }

    static ChainImpl mockChain(DmaFence prev, DmaFence fence) {
        return ChainImpl.create(prev, fence, 1);
    }

    @Test
    void sanitycheck() {
        FenceImpl f = mockFence();
        ChainImpl chain = mockChain(null, mockArray(f));
        assertThat(Fences.unwrap(chain)).containsExactly(f);
    }

    @Test
    void unwrap_array() {
        FenceImpl f1 = mockFence();
        FenceImpl f2 = mockFence();
        assertThat(Fences.unwrap(mockArray(f1, f2))).containsExactly(f1, f2);
    }

    @Test
    void unwrap_chain() {
        FenceImpl f1 = mockFence();
        FenceImpl f2 = mockFence();
        assertThat(Fences.unwrap(mockChain(f1, f2))).containsExactlyInAnyOrder(f1, f2);
    }

    @Test
    void unwrap_chain_array() {
        FenceImpl f1 = mockFence();
        FenceImpl f2 = mockFence();
        assertThat(Fences.unwrap(mockChain(null, mockArray(f1, f2)))).containsExactly(f1, f2);
    }

    @Test
    void unwrap_merge() {
        FenceImpl f1 = mockFence();
        FenceImpl f2 = mockFence();
        DmaFence f3 = Fences.merge(f1, f2);
        assertThat(Fences.unwrap(f3)).containsExactly(f1, f2);
    }

    @Test
    void unwrap_merge_duplicate() {
        FenceImpl f1 = mockFence();
        DmaFence f2 = Fences.merge(f1, f1);
        assertThat(Fences.unwrap(f2)).containsExactly(f1);
    }

    @Test
    void unwrap_merge_seqno() {
        long ctx0 = Fences.contextAlloc(1);
        long ctx1 = Fences.contextAlloc(1);
        FenceImpl f1 = mockFence(ctx1, 1);
        FenceImpl f2 = mockFence(ctx1, 2);
        FenceImpl f3 = mockFence(ctx0, 1);
        DmaFence f4 = Fences.merge(f1, f2, f3);
        assertThat(Fences.unwrap(f4)).as("the latest of each context, in context order").containsExactly(f3, f2);
    }

    @Test
    void unwrap_merge_order() {
        FenceImpl f1 = mockFence();
        FenceImpl f2 = mockFence();
        ArrayImpl a1 = mockArray(f1, f2);
        ChainImpl c1 = mockChain(null, f1);
        ChainImpl c2 = mockChain(c1, f2);
        // The fences in the chain are the same as in a1 but in opposite order.
        DmaFence a2 = Fences.merge(a1, c2);
        assertThat(Fences.unwrap(a2)).containsExactly(f1, f2);
    }

    @Test
    void unwrap_merge_complex() {
        FenceImpl f1 = mockFence();
        FenceImpl f2 = mockFence();
        DmaFence f3 = Fences.merge(f1, f2);
        // The resulting array has the fences in reverse
        ArrayImpl f4 = mockArray(f2, f1);
        // Signaled fences should be filtered, the two arrays merged.
        DmaFence f5 = Fences.merge(f3, f4, Fences.STUB);
        assertThat(Fences.unwrap(f5)).containsExactly(f1, f2);
    }

    @Test
    void unwrap_merge_complex_seqno() {
        long ctx0 = Fences.contextAlloc(1);
        long ctx1 = Fences.contextAlloc(1);
        FenceImpl f1 = mockFence(ctx0, 2);
        FenceImpl f2 = mockFence(ctx1, 1);
        FenceImpl f3 = mockFence(ctx0, 1);
        FenceImpl f4 = mockFence(ctx1, 2);
        DmaFence f7 = Fences.merge(mockArray(f1, f2), mockArray(f3, f4));
        assertThat(Fences.unwrap(f7)).containsExactly(f1, f4);
    }
}
