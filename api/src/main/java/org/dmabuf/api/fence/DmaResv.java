// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

import java.util.List;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A reservation object: {@code struct dma_resv}, the fences of one buffer
 * with their usage, and the buffer's lock. Every buffer has one
 * ({@code DmaBuf.resv()}); drivers make their own for their objects with
 * {@link DmaFenceService#resvInit()} and may export a buffer with it.
 *
 * <p>Locking, as in the kernel: {@link #reserveFences}, {@link #addFence},
 * {@link #replaceFences} and locked iteration need the lock held; importers
 * hold it around map, unmap, pin and vmap if they want those to be atomic with
 * their fences (those calls take it themselves otherwise: it is reentrant).
 * Waits and unlocked iteration need no lock. A fence added replaces an older
 * fence of the same context and a higher or equal usage, and any fence that
 * has signalled.
 *
 * <p>{@code EXPORT_SYMBOL} except the helpers marked GPL-only, which a
 * bundle whose licence is not GPL-compatible cannot call.
 */
@ProviderType
public interface DmaResv {
    /**
     * {@code dma_resv_lock(obj, NULL)}: takes the lock, waiting for it.
     * Reentrant. To hold two or more reservation locks at once, use an
     * acquire context ({@link #lock(WwAcquireCtx)}): two taken this way, by
     * two threads in opposite orders, deadlock, and debug mode reports the
     * nesting as lockdep does ("possible recursive locking detected").
     */
    void lock();

    /**
     * {@code dma_resv_lock(obj, ctx)}: takes the lock as one of several held in
     * an acquire context, waiting for it unless the context must back off
     * (the wound/wait rules of {@link WwAcquireCtx}). Not reentrant: a lock
     * already held by this thread fails with {@link Errno#EALREADY}, as in
     * Linux, and is still held. Called by the thread of {@code ctx}, in
     * process context (never inside a signalling section or a callback that
     * must not block).
     *
     * @param ctx the acquire context
     * @throws DmaBufException {@link Errno#EDEADLK} when an older context
     *         waits for a lock this context holds: unlock every lock held in
     *         {@code ctx}, then {@link #lockSlow} this one, then take the rest
     *         again (nothing is held from this call); {@link Errno#EALREADY}
     *         when this thread holds the lock already; {@link Errno#EINVAL}
     *         when {@code ctx} is null, done, closed, another thread's, or not
     *         from {@link DmaFenceService#wwAcquireInit()}
     * @since 1.3
     */
    void lock(WwAcquireCtx ctx);

    /**
     * {@code dma_resv_lock_slow}: after {@link Errno#EDEADLK}, with every
     * lock of {@code ctx} released, takes the contended lock, waiting as long
     * as it takes; never fails with {@code EDEADLK}.
     *
     * @param ctx the acquire context, holding no lock
     * @throws DmaBufException {@link Errno#EINVAL} when {@code ctx} still holds
     *         locks (the kernel's {@code DEBUG_LOCKS_WARN_ON(ctx->acquired)}),
     *         or as {@link #lock(WwAcquireCtx)}
     * @since 1.3
     */
    void lockSlow(WwAcquireCtx ctx);

    /** @return {@code dma_resv_trylock}: whether the lock was taken without waiting */
    boolean tryLock();

    /** {@code dma_resv_unlock}; forgets slots reserved and not used. */
    void unlock();

    /** @return whether the calling thread holds the lock */
    boolean isLocked();

    /**
     * {@code dma_resv_reserve_fences}: makes room for {@code num} more fences
     * until the lock is released.
     *
     * @param num how many fences will be added
     * @throws DmaBufException {@link Errno#EINVAL} when the lock is not held or num is negative
     */
    void reserveFences(int num);

    /**
     * {@code dma_resv_add_fence}: adds a fence for a usage (taking a reference).
     *
     * @param fence the fence
     * @param usage how it uses the buffer
     * @throws DmaBufException {@link Errno#EINVAL} when the lock is not held, no
     *         slot was reserved (the kernel's BUG_ON), or an argument is null
     */
    void addFence(DmaFence fence, DmaResvUsage usage);

    /**
     * {@code dma_resv_replace_fences}: replaces every fence of a context.
     *
     * @param context the context to replace
     * @param replacement the fence to use instead
     * @param usage its usage
     * @throws DmaBufException {@link Errno#EINVAL} when the lock is not held
     */
    void replaceFences(long context, DmaFence replacement, DmaResvUsage usage);

    /**
     * {@code dma_resv_iter_begin}, locked: GPL-only ({@code dma_resv_iter_first}).
     *
     * @param usage the highest usage to see
     * @return a cursor; the lock must stay held while it is used
     * @throws DmaBufException {@link Errno#EINVAL} when the lock is not held
     */
    DmaResvIter iter(DmaResvUsage usage);

    /**
     * {@code dma_resv_iter_begin}, unlocked ({@code dma_resv_iter_first_unlocked}).
     *
     * @param usage the highest usage to see
     * @return a cursor over the fences not signalled yet
     */
    DmaResvIter iterUnlocked(DmaResvUsage usage);

    /**
     * {@code dma_resv_get_fences}: GPL-only.
     *
     * @param usage the highest usage to return
     * @return the fences not signalled yet, each with a reference for the caller
     */
    List<DmaFence> getFences(DmaResvUsage usage);

    /**
     * {@code dma_resv_test_signaled}: GPL-only.
     *
     * @param usage the highest usage to consider
     * @return whether every fence of that usage and below has signalled
     */
    boolean testSignaled(DmaResvUsage usage);

    /**
     * {@code dma_resv_wait_timeout}: GPL-only. Waits for every fence of that usage and below.
     *
     * @param usage the highest usage to wait for
     * @param interruptible whether a thread interrupt ends the wait
     * @param timeoutNanos how long at most; 0 polls
     * @return the time left, at least 1 when everything signalled; 0 when the time ran out
     * @throws DmaBufException {@link Errno#EINTR} when interrupted
     */
    long waitTimeout(DmaResvUsage usage, boolean interruptible, long timeoutNanos);

    /**
     * {@code dma_resv_set_deadline}: {@link DmaFence#setDeadline} on every
     * fence of {@code usage} and below. GPL-only, as in Linux.
     *
     * <p>Called without the lock or with it, from any thread; never blocks.
     *
     * @param usage the highest usage whose fences get the deadline
     * @param deadlineNanos when they are needed, on the {@link System#nanoTime} clock
     * @throws DmaBufException {@link Errno#EINVAL} when {@code usage} is null
     * @since 1.2
     */
    void setDeadline(DmaResvUsage usage, long deadlineNanos);
}
