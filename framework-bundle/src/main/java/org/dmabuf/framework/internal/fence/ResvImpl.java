// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResvUsage;

/**
 * {@code struct dma_resv}: the lock of a buffer and its fences with their
 * usage. Writers (under the lock) publish a new array each time, so unlocked
 * readers see a consistent list and notice a change by its identity, as the
 * kernel's RCU readers do, and restart.
 */
public final class ResvImpl {
    private static final Entry[] EMPTY = new Entry[0];

    /** A fence and its usage. */
    public record Entry(DmaFence fence, DmaResvUsage usage) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    private volatile Entry[] fences = EMPTY;
    private int maxFences; // guarded by lock

    /** {@code dma_resv_lock}: takes the buffer's reservation lock (re-entrant), waiting as long as it takes. */
    public void lock() {
        lock.lock();
    }

    /** {@code dma_resv_trylock}. @return whether the lock was free and is now held */
    public boolean tryLock() {
        return lock.tryLock();
    }

    /** @return whether the calling thread holds the lock ({@code dma_resv_assert_held}) */
    public boolean isLockedByCurrentThread() {
        return lock.isHeldByCurrentThread();
    }

    /**
     * {@code dma_resv_unlock}: the other half of {@link #lock()}; slots reserved and not used are forgotten
     * (as {@code dma_resv_reset_max_fences}).
     */
    public void unlock() {
        if (lock.getHoldCount() == 1) {
            maxFences = fences.length;
        }
        lock.unlock();
    }

    private void requireLocked(String func) {
        if (!lock.isHeldByCurrentThread()) {
            throw new DmaBufException(Errno.EINVAL, func + ": the reservation lock is not held; expected"
                    + " dma_resv_lock before (dma_resv_assert_held)");
        }
    }

    /** {@code dma_resv_reserve_fences}. */
    public void reserve(int num) {
        requireLocked("dma_resv_reserve_fences");
        if (num < 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_resv_reserve_fences: num " + num + "; expected 0 or more");
        }
        maxFences = Math.max(maxFences, fences.length + num);
    }

    /** {@code dma_resv_add_fence}: replaces a fence it supersedes, or takes a reserved slot. */
    public void add(DmaFence fence, DmaResvUsage usage) {
        requireLocked("dma_resv_add_fence");
        if (fence == null || usage == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_resv_add_fence: " + (fence == null ? "fence" : "usage")
                    + " is null; expected a fence and its usage");
        }
        FenceImpl f = Fences.ours(fence, "dma_resv_add_fence");
        Entry[] cur = fences;
        for (int i = 0; i < cur.length; i++) {
            Entry old = cur[i];
            if ((old.fence.context() == f.context() && old.usage.ordinal() >= usage.ordinal() && f.isLaterOrSame(old.fence))
                    || old.fence.isSignaled()) {
                Entry[] next = cur.clone();
                next[i] = new Entry(f.get(), usage);
                fences = next;
                old.fence.put();
                return;
            }
        }
        if (cur.length >= maxFences) {
            throw new DmaBufException(Errno.EINVAL, "dma_resv_add_fence: no slot reserved (" + cur.length
                    + " fences, room for " + maxFences + "); expected dma_resv_reserve_fences first");
        }
        Entry[] next = Arrays.copyOf(cur, cur.length + 1);
        next[cur.length] = new Entry(f.get(), usage);
        fences = next;
    }

    /** {@code dma_resv_replace_fences}. */
    public void replace(long context, DmaFence replacement, DmaResvUsage usage) {
        requireLocked("dma_resv_replace_fences");
        FenceImpl r = Fences.ours(replacement, "dma_resv_replace_fences");
        Entry[] next = fences.clone();
        List<DmaFence> dropped = new ArrayList<>();
        for (int i = 0; i < next.length; i++) {
            if (next[i].fence.context() == context) {
                dropped.add(next[i].fence);
                next[i] = new Entry(r.get(), usage);
            }
        }
        fences = next;
        dropped.forEach(DmaFence::put);
    }

    /** @return the fences now, every usage, signalled or not; for locked iteration and bufinfo */
    public Entry[] snapshot() {
        return fences;
    }

    /** @return whether {@code snapshot} is still the current list (an unlocked reader's restart test) */
    boolean current(Entry[] snapshot) {
        return fences == snapshot;
    }

    /** @return the unsignalled fences of that usage and below, each with a new reference */
    public List<DmaFence> getFences(DmaResvUsage usage) {
        List<DmaFence> out = new ArrayList<>();
        for (Entry e : fences) {
            if (e.usage.ordinal() <= usage.ordinal() && !e.fence.isSignaled()) {
                out.add(e.fence.get());
            }
        }
        return out;
    }

    /** {@code dma_resv_test_signaled}. */
    public boolean testSignaled(DmaResvUsage usage) {
        for (Entry e : fences) {
            if (e.usage.ordinal() <= usage.ordinal() && !e.fence.isSignaled()) {
                return false;
            }
        }
        return true;
    }

    /** {@code dma_resv_wait_timeout}: 0 when the time ran out, the time left (at least 1) otherwise. */
    public long waitTimeout(DmaResvUsage usage, boolean interruptible, long timeoutNanos) {
        if (timeoutNanos < 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_resv_wait_timeout: timeout " + timeoutNanos
                    + "; expected 0 or more nanoseconds");
        }
        long left = timeoutNanos;
        for (Entry e : fences) {
            if (e.usage.ordinal() > usage.ordinal()) {
                continue;
            }
            left = e.fence.waitTimeout(left, interruptible);
            if (left == 0) {
                return 0;
            }
        }
        return Math.max(left, 1);
    }

    /** Waits, with no bound of its own, for every fence of that usage and below (they complete in bounded time). */
    public void await(DmaResvUsage usage, boolean interruptible) {
        for (Entry e : fences) {
            if (e.usage.ordinal() <= usage.ordinal()) {
                e.fence.await(interruptible);
            }
        }
    }

    /** @return {@code dma_resv_describe}: one line per fence of usage READ and below */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        for (Entry e : fences) {
            if (e.usage.ordinal() <= DmaResvUsage.READ.ordinal()) {
                DmaFence f = e.fence;
                out.add("\t" + e.usage.label() + " fence:" + f.driverName() + " " + f.timelineName() + " seq "
                        + Long.toUnsignedString(f.seqno()) + " " + (f.isSignaled() ? "" : "un") + "signalled");
            }
        }
        return out;
    }

    /** Drops every fence (the buffer is released). */
    public void fini() {
        Entry[] cur = fences;
        fences = EMPTY;
        for (Entry e : cur) {
            e.fence.put();
        }
    }
}
