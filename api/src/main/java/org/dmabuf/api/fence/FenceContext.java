// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A timeline of fences: a context number from {@code dma_fence_context_alloc},
 * with the driver's and the timeline's names. It belongs to the bundle that
 * allocated it, the fences' issuer: when that bundle stops, every fence of
 * the context still pending is signalled with ENODEV.
 */
@ProviderType
public interface FenceContext {
    /** @return the context number */
    long context();

    /** @return the driver's name */
    String driverName();

    /** @return the timeline's name */
    String timelineName();

    /**
     * {@code dma_fence_init}: a new pending fence on this timeline.
     *
     * @param seqno its sequence number
     * @return the fence, with one reference for the caller
     */
    DmaFence create(long seqno);

    /** @return a new pending fence with the next sequence number (the last given plus one) */
    DmaFence next();

    /** @return the fences of this context not signalled yet */
    int pending();
}
