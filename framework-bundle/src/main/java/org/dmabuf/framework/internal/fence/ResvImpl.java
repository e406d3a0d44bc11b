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

    /**
     * Who waits for a reservation lock: a module, whose wait ends with an
     * error once it has been revoked (its bundle stopped past its bound).
     */
    public interface Waiter {
        /** @return whether the module was revoked: its waits end with ENODEV */
        boolean revoked();

        /** @return its name, for the message */
        String name();
    }

    /** The lock itself: a re-entrant lock that can name its owner (for reports). */
    static final class Lock extends ReentrantLock {
        Thread owner() {
            return getOwner();
        }
    }

    private static final java.lang.invoke.VarHandle HOLDER;
    private static final java.lang.invoke.VarHandle OP;

    static {
        try {
            var l = java.lang.invoke.MethodHandles.lookup();
            HOLDER = l.findVarHandle(ResvImpl.class, "holder", Object.class);
            OP = l.findVarHandle(ResvImpl.class, "op", String.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** How often a waiter looks whether it was revoked or the lock was replaced: only when it has to wait. */
    private static final long SLICE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20);
    private static final Lock[] NONE = new Lock[0];

    private volatile Entry[] fences = EMPTY;
    private int maxFences; // guarded by lock

    // replaced, never freed by force, when the module holding it is revoked: its owner's thread may still run
    private volatile Lock lock = new Lock();
    // locks taken from their owners by revoke(): an owner that comes back lets go of its old lock quietly
    private volatile Lock[] revokedLocks = NONE;
    // who the hold is charged to, and doing what (a module in its callback, or one that called dma_resv_lock);
    // written by the holder under the lock, read by the watchdog and introspection (setRelease / getAcquire)
    @SuppressWarnings("unused") // through HOLDER
    private Object holder;
    @SuppressWarnings("unused") // through OP
    private String op;
    private int releases; // outermost releases, guarded by the lock: tells one hold from the next

    /**
     * One hold of the lock, as the watchdog sees it.
     *
     * @param owner the thread holding it
     * @param holder the module it is charged to
     * @param op what it is doing
     * @param releases the count of releases before it
     */
    public record Hold(Thread owner, Object holder, String op, int releases) {
    }

    /**
     * A hold and when the watchdog first saw it.
     *
     * @param hold the hold
     * @param since when it was first seen
     * @param reported whether it was reported
     */
    public record Seen(Hold hold, long since, boolean reported) {
    }

    /** What the watchdog saw last; written by the watchdog only. */
    public volatile Seen seen;

    /** @return the hold now, when it is charged to a module, else {@code null}; read without the lock */
    public Hold hold() {
        Object h = holder();
        Thread t = lock.owner();
        String o = op();
        return h == null || t == null || o == null ? null : new Hold(t, h, o, releases);
    }

    /** {@code dma_resv_lock}: takes the buffer's reservation lock (re-entrant), waiting as long as it takes. */
    public void lock() {
        lock(null);
    }

    /**
     * {@code dma_resv_lock}, for a module: as {@link #lock()}, but the wait
     * ends with ENODEV if that module is revoked meanwhile.
     *
     * @param w the module that waits, or {@code null} to wait as long as it takes
     */
    public void lock(Waiter w) {
        Lock l = lock;
        if (l.tryLock()) {
            if (l == lock) {
                return;
            }
            l.unlock(); // revoked meanwhile: take its successor
        }
        lockSlow(w);
    }

    private void lockSlow(Waiter w) {
        boolean interrupted = false;
        try {
            while (true) {
                Lock l = lock;
                try {
                    if (l.tryLock(SLICE_NANOS, java.util.concurrent.TimeUnit.NANOSECONDS)) {
                        if (l == lock) {
                            return;
                        }
                        l.unlock();
                        continue;
                    }
                } catch (InterruptedException e) {
                    interrupted = true; // dma_resv_lock is not interruptible: the flag is set again after
                }
                if (w != null && w.revoked()) {
                    Object h = holder();
                    throw new DmaBufException(Errno.ENODEV, "dma_resv_lock: " + w.name() + " was removed while"
                            + " it waited for a reservation lock" + (h == null ? "" : " held by " + h + " in "
                            + op()) + "; expected a module that is still loaded");
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Waits until the lock is free (takes it and gives it back at once), at most {@code nanos}.
     *
     * @return whether it was free in time
     */
    public boolean awaitFree(long nanos) {
        Lock l = lock;
        try {
            if (l.tryLock(Math.max(0, nanos), java.util.concurrent.TimeUnit.NANOSECONDS)) {
                l.unlock();
                return true;
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@code dma_resv_trylock}. @return whether the lock was free and is now held */
    public boolean tryLock() {
        Lock l = lock;
        if (l.tryLock()) {
            if (l == lock) {
                return true;
            }
            l.unlock();
        }
        return false;
    }

    /** @return whether the calling thread holds the lock ({@code dma_resv_assert_held}) */
    public boolean isLockedByCurrentThread() {
        return lock.isHeldByCurrentThread();
    }

    /** @return whether the calling thread held this lock until it was revoked, and has not let go of it yet */
    public boolean isRevokedFromCurrentThread() {
        for (Lock l : revokedLocks) {
            if (l.isHeldByCurrentThread()) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code dma_resv_unlock}: the other half of {@link #lock()}; slots reserved and not used are forgotten
     * (as {@code dma_resv_reset_max_fences}). A thread whose hold was revoked lets go of it here, changing
     * nothing.
     *
     * @throws IllegalMonitorStateException if the thread holds neither the lock nor a revoked one
     */
    public void unlock() {
        Lock l = lock;
        if (l.isHeldByCurrentThread()) {
            if (l.getHoldCount() == 1) {
                releases++;
                maxFences = fences.length;
                HOLDER.setRelease(this, (Object) null);
                OP.setRelease(this, (String) null);
            }
            l.unlock();
            return;
        }
        unlockRevoked();
    }

    private synchronized void unlockRevoked() {
        Lock[] rs = revokedLocks;
        for (int i = 0; i < rs.length; i++) {
            if (rs[i].isHeldByCurrentThread()) {
                rs[i].unlock();
                if (rs[i].getHoldCount() == 0) {
                    Lock[] next = new Lock[rs.length - 1];
                    System.arraycopy(rs, 0, next, 0, i);
                    System.arraycopy(rs, i + 1, next, i, rs.length - i - 1);
                    revokedLocks = next.length == 0 ? NONE : next;
                }
                return;
            }
        }
        throw new IllegalMonitorStateException("dma_resv_unlock: the reservation lock is not held by "
                + Thread.currentThread().getName());
    }

    /**
     * Charges the hold to a module, doing {@code what}; the caller holds the lock.
     *
     * @param who the module in whose code the lock is held (a callback's driver, or the caller of
     *        {@code dma_resv_lock}), or {@code null} for the framework
     * @param what the operation, such as {@code map_dma_buf}
     */
    public void busy(Object who, String what) {
        HOLDER.setRelease(this, who);
        OP.setRelease(this, what);
    }

    /** @return the module the current hold is charged to, or {@code null} (free, or the framework's) */
    public Object holder() {
        return HOLDER.getAcquire(this);
    }

    /** @return what the holder is doing, or {@code null} */
    public String op() {
        return (String) OP.getAcquire(this);
    }

    /** @return the thread that holds the lock now, or {@code null} */
    public Thread owner() {
        return lock.owner();
    }

    /**
     * Takes the lock from {@code who}, as hot-unplug takes a device from its
     * driver: if the current hold is charged to that module, the lock is
     * replaced by a new one (the old owner's thread may still run, and lets
     * go of the old one when it comes back), {@code underNewLock} runs holding
     * the new one, then it is free for the waiters.
     *
     * @param who the module being revoked
     * @param underNewLock what to do before anyone else gets the lock (orphan the buffer), or {@code null}
     * @return the thread that held the revoked lock, or {@code null} if the lock was not held for {@code who}
     */
    public synchronized Thread revoke(Object who, Runnable underNewLock) {
        Lock old = lock;
        Thread t = old.owner();
        if (t == null || holder() != who) {
            return null;
        }
        Lock fresh = new Lock();
        fresh.lock();
        Lock[] rs = java.util.Arrays.copyOf(revokedLocks, revokedLocks.length + 1);
        rs[rs.length - 1] = old;
        revokedLocks = rs;
        lock = fresh;
        try {
            maxFences = fences.length;
            busy(null, null);
            if (underNewLock != null) {
                underNewLock.run();
            }
        } finally {
            unlock();
        }
        return t;
    }

    private void requireLocked(String func) {
        if (!lock.isHeldByCurrentThread()) {
            if (isRevokedFromCurrentThread()) {
                throw new DmaBufException(Errno.ENODEV, func + ": this thread's hold on the reservation lock was"
                        + " revoked (its module stopped while holding it); expected dma_resv_unlock only");
            }
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
