// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.osgi.annotation.versioning.ConsumerType;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A one-way signal on a timeline: {@code struct dma_fence}. Made by a
 * {@link FenceContext} (a timeline) with a sequence number; fences of one
 * context are ordered by it. Signalled once, with or without an error.
 *
 * <p>Fences are shared: any bundle that has one may query it, wait for it,
 * add callbacks and signal it, as any kernel code may. These methods are
 * {@code EXPORT_SYMBOL} or inline in Linux, open to every licence, and are
 * not checked per call. All methods are thread-safe.
 *
 * <p>A fence whose issuer stops, or whose device is unplugged, is signalled
 * with {@link Errno#ENODEV} ({@link #getStatus()} {@code -19}): no waiter
 * ever hangs on a driver that is gone, and the object stays safe to query.
 */
@ProviderType
public interface DmaFence {

    /**
     * A callback run once when the fence signals: {@code struct dma_fence_cb}.
     * Runs on the thread that signals, after the fence is marked signalled;
     * must not block. The object itself identifies the registration
     * ({@link #removeCallback}).
     */
    @ConsumerType
    @FunctionalInterface
    interface Callback {
        /** @param fence the fence that signalled */
        void onSignaled(DmaFence fence);
    }

    /** @return the fence context (timeline) number */
    long context();

    /** @return the sequence number on its context */
    long seqno();

    /** @return the issuing driver's name ({@code get_driver_name}) */
    String driverName();

    /** @return the timeline's name ({@code get_timeline_name}) */
    String timelineName();

    /** @return {@code dma_fence_is_signaled}: whether it has signalled (checking composite fences) */
    boolean isSignaled();

    /**
     * {@code dma_fence_signal}: signals the fence, runs its callbacks and wakes
     * its waiters.
     *
     * @return true when this call signalled it, false when it had signalled before
     *         (the kernel's 0 and -EINVAL)
     */
    boolean signal();

    /**
     * {@code dma_fence_set_error}: records an error to be reported once
     * signalled. Only before signalling.
     *
     * @param error a negative errno, for instance {@code Errno.EIO.code()}
     * @throws DmaBufException {@link Errno#EINVAL} when the fence has signalled or
     *         the error is not a negative errno
     */
    void setError(int error);

    /**
     * {@code dma_fence_get_status}.
     *
     * @return 0 while pending, 1 when signalled without error, the negative errno otherwise
     */
    int getStatus();

    /**
     * @return {@code fence->timestamp}: the {@link System#nanoTime()} at which
     *         it signalled, or {@code Long.MIN_VALUE} while pending
     */
    long timestamp();

    /**
     * {@code dma_fence_add_callback}.
     *
     * @param callback run once when the fence signals
     * @return true when registered; false (the kernel's -ENOENT) when the fence
     *         has already signalled: the callback is then never run
     * @throws DmaBufException {@link Errno#EINVAL} for a null callback or one
     *         already registered on this fence
     */
    boolean addCallback(Callback callback);

    /**
     * {@code dma_fence_remove_callback}.
     *
     * @param callback a callback given to {@link #addCallback}
     * @return true when it was removed before running; false when it has run
     *         (or was never registered)
     */
    boolean removeCallback(Callback callback);

    /**
     * {@code dma_fence_wait_timeout}: waits for the fence to signal.
     *
     * @param timeoutNanos how long to wait at most; 0 polls
     * @param interruptible whether a thread interrupt ends the wait
     * @return the time left, at least 1 when signalled (1 when {@code timeoutNanos}
     *         is 0), as the kernel's jiffies; 0 when the time ran out
     * @throws DmaBufException {@link Errno#EINVAL} for a negative timeout;
     *         {@link Errno#EINTR} when interrupted (the interrupt flag is kept)
     */
    long waitTimeout(long timeoutNanos, boolean interruptible);

    /**
     * {@code dma_fence_wait}: waits until the fence signals. Fences complete in
     * bounded time: the issuer signals them, or the framework does with
     * ENODEV when the issuer is gone.
     *
     * @param interruptible whether a thread interrupt ends the wait
     * @return {@link #getStatus()} once signalled
     * @throws DmaBufException {@link Errno#EINTR} when interrupted
     */
    int await(boolean interruptible);

    /**
     * {@code dma_fence_set_deadline}: a hint to whoever signals the fence
     * that a waiter needs it by {@code deadlineNanos} (on the
     * {@link System#nanoTime} clock), as a display engine says when its next
     * vblank is. The earliest deadline set is kept ({@link #deadline}); a
     * composite fence (an array, a chain) passes it on to its parts; a
     * signalled fence ignores it.
     *
     * <p>Called by any waiter, from any thread, without locks; never blocks
     * and never calls the issuer back.
     *
     * @param deadlineNanos when the fence is needed, on the {@link System#nanoTime} clock
     * @since 1.2
     */
    void setDeadline(long deadlineNanos);

    /**
     * The issuer's side of {@link #setDeadline}: when the fence is needed,
     * so a renderer can see that its frame is awaited by the next vblank
     * (the kernel's drivers boost their clocks on it).
     *
     * @return the earliest deadline a waiter set, on the {@link System#nanoTime} clock, or
     *         {@link Long#MAX_VALUE} when none was
     * @since 1.2
     */
    long deadline();

    /**
     * {@code dma_fence_is_later}: same context, later sequence number.
     *
     * @param other a fence of the same context
     * @return whether this fence comes after {@code other}
     */
    boolean isLater(DmaFence other);

    /** {@code dma_fence_get}: takes a reference. @return this fence */
    DmaFence get();

    /**
     * {@code dma_fence_put}: drops a reference. When the last one drops while
     * the fence is unsignalled with callbacks pending, it is signalled with
     * {@link Errno#EDEADLK} and a warning, as the kernel does.
     */
    void put();
}
