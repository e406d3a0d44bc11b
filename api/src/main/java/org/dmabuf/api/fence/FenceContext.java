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

    /**
     * Sets this timeline's job timeout, as {@code drm_sched_init} takes one
     * per ring: a fence of this context pending longer is reported by the
     * platform's watchdog (with its issuer, its waiters and the buffers it
     * sits in) and, when {@code signalOnTimeout}, signalled with
     * {@code -ETIMEDOUT}, as the scheduler's {@code timedout_job} resets a
     * hung ring and fails its jobs, so that no waiter waits for a GPU that
     * will never answer.
     *
     * <p>Called by the issuer, any time, from any thread; takes effect at the
     * watchdog's next scan (about once a second). Optional: without it the
     * platform's {@code fence_timeout_s} applies, report only.
     *
     * @param timeoutNanos the timeout; 0 for the platform's default
     * @param signalOnTimeout whether a fence past it is signalled with {@code -ETIMEDOUT}
     * @throws org.dmabuf.api.DmaBufException EINVAL for a negative timeout, or {@code signalOnTimeout} without
     *         a timeout of its own
     * @since 1.1
     */
    void setTimeout(long timeoutNanos, boolean signalOnTimeout);

    /**
     * @return this timeline's job timeout in nanoseconds, 0 when the platform's default applies
     * @since 1.1
     */
    long timeoutNanos();
}
