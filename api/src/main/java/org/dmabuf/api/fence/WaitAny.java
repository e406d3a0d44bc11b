// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

/**
 * What {@link DmaFenceService#waitAnyTimeout} found: {@code dma_fence_wait_any_timeout}'s
 * return value and its {@code idx}.
 *
 * @param remainingNanos the time left, at least 1, when a fence signalled; 0 when the time ran out
 * @param index the index of the first signalled fence (the lowest, when several are), or -1 when none did
 * @since 1.2
 */
public record WaitAny(long remainingNanos, int index) {
    /** @return whether a fence signalled */
    public boolean signaled() {
        return index >= 0;
    }
}
