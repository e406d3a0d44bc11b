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

    /** The holder of a hold that was revoked: never a module, never restored. */
    public static final Object REVOKED = new Object() {
        @Override
        public String toString() {
            return "(revoked)";
        }
    };

    /**
     * The lock itself, with the state of its current hold: whom the hold is
     * charged to ({@code null} while the framework's own code runs under it,
     * a module while its callback or its {@code dma_resv_lock} section runs,
     * {@link #REVOKED} once taken from it), what it is doing, and the fence
     * slots reserved. A revoked lock is replaced, never freed by force: its
     * owner's thread may still run, and whatever it writes into its old lock
     * is lost with it.
     */
    static final class Lock extends ReentrantLock {
        private static final java.lang.invoke.VarHandle HOLDER;
        private static final java.lang.invoke.VarHandle OP;

        static {
            try {
                HOLDER = java.lang.invoke.MethodHandles.lookup().findVarHandle(Lock.class, "holder", Object.class);
                OP = java.lang.invoke.MethodHandles.lookup().findVarHandle(Lock.class, "op", String.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused") // through HOLDER
        private volatile Object holder;
        // diagnostics for the watchdog and bufinfo: written by the holder without a fence (opaque), read racily
        @SuppressWarnings("unused") // through OP
        private String op;
        private int maxFences; // guarded by this lock
        // the acquire context of the hold, if taken with one: written by the owner, read by contending contexts
        volatile WwCtx ctx;
        private int releases; // outermost releases, guarded by this lock: tells one hold from the next
        private Object[] saved; // holders of outer holds while an inner one runs, by hold count; guarded

        Lock(int maxFences) {
            this.maxFences = maxFences;
        }

        Thread owner() {
            return getOwner();
        }

        boolean cas(Object expect, Object to) {
            return HOLDER.compareAndSet(this, expect, to);
        }

        // from the framework's (null) to a module's: only the owner makes this change (a revocation needs a
        // module), so a release store does, without the cost of a compare-and-set on every callback
        boolean charge(Object to) {
            if (holder != null) {
                return false;
            }
            HOLDER.setRelease(this, to);
            return true;
        }

        Object holder() {
            return holder;
        }

        String op() {
            return (String) OP.getOpaque(this);
        }

        void op(String what) {
            OP.setOpaque(this, what);
        }
    }

    /** How often a waiter looks whether it was revoked or the lock was replaced: only when it has to wait. */
    private static final long SLICE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20);
    /** How often a waiter with an acquire context looks whether an older one wounded it. */
    private static final long WW_SLICE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(1);
    private static final Lock[] NONE = new Lock[0];
    private static final java.lang.invoke.VarHandle FENCES;

    static {
        try {
            FENCES = java.lang.invoke.MethodHandles.lookup().findVarHandle(ResvImpl.class, "fences", Entry[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile Entry[] fences = EMPTY;
    // replaced when the module holding it is revoked (see revoke)
    private volatile Lock lock = new Lock(0);
    // locks taken from their owners: an owner that comes back lets go of its old lock quietly; guarded by this
    private volatile Lock[] revokedLocks = NONE;
    /** @return what lockdep's reports call this lock ({@link Lockdep#name}) */
    public String name() {
        return Lockdep.nameOf(this);
    }

    /** {@code dma_resv_lock}: takes the buffer's reservation lock (re-entrant), waiting as long as it takes. */
    public void lock() {
        lock(null);
    }

    /**
     * {@code dma_resv_lock}, for a module: as {@link #lock()}, but the wait
     * ends with ENODEV if that module is revoked meanwhile. The hold runs as
     * the framework's (not revocable) until {@link #busy} charges it.
     *
     * @param w the module that waits, or {@code null} to wait as long as it takes
     */
    public void lock(Waiter w) {
        if (Lockdep.enabled()) {
            Lockdep.acquire(this, name(), "dma_resv_lock", true, false);
            lock0(w);
            Lockdep.acquired(this, name(), false);
            return;
        }
        lock0(w);
    }

    private void lock0(Waiter w) {
        Lock l = lock;
        if (l.tryLock()) {
            if (l == lock) {
                entered(l);
                return;
            }
            l.unlock(); // revoked meanwhile: take its successor
        }
        lockSlow(w);
    }

    // a new hold: re-entered inside a module's section, the outer holder is kept aside and the framework runs
    private static void entered(Lock l) {
        int depth = l.getHoldCount();
        if (depth == 1) {
            return; // the last unlock left the holder null
        }
        Object outer = l.holder();
        if (outer == null) {
            if (l.saved != null && l.saved.length >= depth) {
                l.saved[depth - 1] = null;
            }
        } else {
            if (l.saved == null || l.saved.length < depth) {
                l.saved = java.util.Arrays.copyOf(l.saved == null ? new Object[0] : l.saved, depth + 2);
            }
            l.saved[depth - 1] = outer;
            if (!l.cas(outer, null)) {
                l.saved[depth - 1] = null; // revoked: whoever holds it now, it is not this hold
            }
        }
    }

    private void lockSlow(Waiter w) {
        boolean interrupted = false;
        try {
            while (true) {
                Lock l = lock;
                try {
                    if (l.tryLock(SLICE_NANOS, java.util.concurrent.TimeUnit.NANOSECONDS)) {
                        if (l == lock) {
                            entered(l);
                            return;
                        }
                        l.unlock();
                        continue;
                    }
                } catch (InterruptedException e) {
                    interrupted = true; // dma_resv_lock is not interruptible: the flag is set again after
                }
                if (w != null && w.revoked()) {
                    Object h = l.holder();
                    throw new DmaBufException(Errno.ENODEV, "dma_resv_lock: " + w.name() + " was removed while"
                            + " it waited for a reservation lock" + (h == null ? "" : " held by " + h + " in "
                            + l.op()) + "; expected a module that is still loaded");
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * {@code dma_resv_lock(obj, ctx)} and {@code dma_resv_lock_slow}: the lock
     * taken with an acquire context, by the wound/wait rules: an older context
     * that has to wait for a younger one wounds it; a wounded context holding
     * other locks that has to wait gets EDEADLK (the slow lock holds none, so
     * never does). A waiter looks for its wound every millisecond.
     *
     * @param w the module that waits, or {@code null}
     * @param ctx the context, checked by the caller
     * @param slow whether this is {@code dma_resv_lock_slow}
     * @throws DmaBufException EDEADLK, EALREADY, EINVAL (slow with locks held), ENODEV (the module revoked)
     */
    public void lockWw(Waiter w, WwCtx ctx, boolean slow) {
        String func = slow ? "dma_resv_lock_slow" : "dma_resv_lock";
        if (heldLock() != null) {
            throw new DmaBufException(Errno.EALREADY, func + ": " + name() + " is held by this thread already"
                    + (lock.ctx == ctx ? " in this acquire context" : "") + "; expected a lock not held yet");
        }
        if (slow && ctx.acquired > 0) {
            throw new DmaBufException(Errno.EINVAL, func + ": " + ctx.acquired + " lock" + (ctx.acquired == 1
                    ? " is" : "s are") + " still held in the acquire context; expected every lock unlocked"
                    + " after -EDEADLK (DEBUG_LOCKS_WARN_ON(ctx->acquired))");
        }
        if (ctx.acquired == 0) {
            ctx.wounded = false; // a context holding nothing starts afresh (__ww_mutex_lock)
        }
        boolean dep = Lockdep.enabled();
        if (dep) {
            Lockdep.acquire(this, name(), func, true, true);
        }
        boolean interrupted = false;
        try {
            while (true) {
                Lock l = lock;
                boolean got = l.tryLock();
                if (!got) {
                    WwCtx holder = l.ctx;
                    if (holder != null && holder != ctx && ctx.stamp < holder.stamp) {
                        holder.wounded = true; // __ww_mutex_wound: the younger backs off at its next wait
                    }
                    if (ctx.wounded && ctx.acquired > 0) {
                        throw new DmaBufException(Errno.EDEADLK, func + ": " + name() + " is held by " + who(l)
                                + ", and an older acquire context waits for a lock this one holds; expected"
                                + " dma_resv_unlock of the " + ctx.acquired + " held, then dma_resv_lock_slow"
                                + " of this one");
                    }
                    try {
                        got = l.tryLock(WW_SLICE_NANOS, java.util.concurrent.TimeUnit.NANOSECONDS);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (got) {
                    if (l == lock) {
                        l.ctx = ctx;
                        ctx.acquired++;
                        break;
                    }
                    l.unlock();
                    continue;
                }
                if (w != null && w.revoked()) {
                    throw new DmaBufException(Errno.ENODEV, func + ": " + w.name() + " was removed while it"
                            + " waited for a reservation lock held by " + who(l) + "; expected a module that is"
                            + " still loaded");
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (dep) {
            Lockdep.acquired(this, name(), true);
        }
    }

    private static String who(Lock l) {
        Object h = l.holder();
        Thread t = l.owner();
        WwCtx c = l.ctx;
        return (h == null ? "" : h + " ") + (t == null ? "(nobody now)" : "thread " + t.getName())
                + (c == null ? "" : " (" + c + ")");
    }

    /** {@code dma_resv_trylock}. @return whether the lock was free and is now held */
    public boolean tryLock() {
        if (Lockdep.enabled()) {
            Lockdep.acquire(this, name(), "dma_resv_trylock", false, false);
            if (tryLock0()) {
                Lockdep.acquired(this, name(), false);
                return true;
            }
            return false;
        }
        return tryLock0();
    }

    private boolean tryLock0() {
        Lock l = lock;
        if (l.tryLock()) {
            if (l == lock) {
                entered(l);
                return true;
            }
            l.unlock();
        }
        return false;
    }

    /**
     * Waits until the lock is free (takes it and gives it back at once), at most {@code nanos}.
     *
     * @return whether it was free in time
     */
    public boolean awaitFree(long nanos) {
        long deadline = System.nanoTime() + Math.max(0, nanos);
        try {
            while (true) {
                Lock l = lock;
                if (!l.tryLock(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS)) {
                    return false;
                }
                l.unlock();
                if (l == lock) {
                    return true;
                }
                // a lock replaced meanwhile (a revocation undone, or done): look at the current one
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * @return the current lock if the calling thread holds it, else {@code null}; settled against a
     *         revocation in progress (which publishes the new lock, marks the old hold and undoes itself if
     *         the hold has moved on, all under this object's monitor)
     */
    private Lock heldLock() {
        Lock l = lock;
        if (l.isHeldByCurrentThread()) {
            return l;
        }
        synchronized (this) {
            l = lock;
            return l.isHeldByCurrentThread() ? l : null;
        }
    }

    /** @return whether the calling thread holds the lock ({@code dma_resv_assert_held}) */
    public boolean isLockedByCurrentThread() {
        return heldLock() != null;
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
     * (as {@code dma_resv_reset_max_fences}); an inner hold gives the outer one back to its holder. A thread
     * whose hold was revoked lets go of its old lock here, changing nothing.
     *
     * @throws IllegalMonitorStateException if the thread holds neither the lock nor a revoked one
     */
    public void unlock() {
        Lock l = heldLock();
        if (l != null) {
            int depth = l.getHoldCount();
            if (depth == 1) {
                WwCtx c = l.ctx;
                if (c != null) {
                    l.ctx = null;
                    c.acquired--;
                }
                l.releases++;
                l.maxFences = fences.length;
                Object h = l.holder();
                if (h != null && h != REVOKED) { // a revoked mark stays: the lock is no longer this resv's
                    l.cas(h, null);
                    l.op(null);
                }
            } else if (l.saved != null && l.saved[depth - 1] != null) {
                Object outer = l.saved[depth - 1];
                l.saved[depth - 1] = null;
                Object now = l.holder();
                if (now != REVOKED) {
                    l.cas(now, outer);
                }
            }
            l.unlock();
            if (!l.isHeldByCurrentThread()) {
                if (l != lock) {
                    forget(l); // revoked between our look and our unlock
                }
                if (Lockdep.enabled()) {
                    Lockdep.released(this);
                }
            }
            return;
        }
        unlockRevoked();
    }

    private synchronized void forget(Lock l) {
        Lock[] rs = revokedLocks;
        for (int i = 0; i < rs.length; i++) {
            if (rs[i] == l) {
                Lock[] next = new Lock[rs.length - 1];
                System.arraycopy(rs, 0, next, 0, i);
                System.arraycopy(rs, i + 1, next, i, rs.length - i - 1);
                revokedLocks = next.length == 0 ? NONE : next;
                return;
            }
        }
    }

    private void unlockRevoked() {
        for (Lock l : revokedLocks) {
            if (l.isHeldByCurrentThread()) {
                WwCtx c = l.ctx;
                if (c != null && l.getHoldCount() == 1) {
                    l.ctx = null;
                    c.acquired--;
                }
                l.unlock();
                if (!l.isHeldByCurrentThread()) {
                    forget(l);
                    if (Lockdep.enabled()) {
                        Lockdep.released(this);
                    }
                }
                return;
            }
        }
        throw new IllegalMonitorStateException("dma_resv_unlock: the reservation lock is not held by "
                + Thread.currentThread().getName());
    }

    /**
     * Charges the calling thread's hold to a module, doing {@code what}: from
     * now on its stop can revoke it, and the watchdog and bufinfo name it.
     *
     * @param from whom the hold is charged to now ({@code null}: the framework)
     * @param who the module in whose code the lock is held from now on, or {@code null} for the framework
     * @param what the operation, such as {@code map_dma_buf}
     * @return false if the hold was revoked (or is not this thread's): the caller no longer holds the lock
     */
    public boolean busy(Object from, Object who, String what) {
        Lock l = heldLock();
        if (l == null || !(from == null ? l.charge(who) : l.cas(from, who))) {
            return false;
        }
        l.op(what);
        return true;
    }

    /**
     * Gives the calling thread's hold back to the framework after a cleanup
     * callback, without learning whether it was revoked meanwhile (a cleanup
     * changes nothing after its callback): a plain store, no compare-and-set.
     *
     * @param who the module the hold was charged to
     */
    public void idle(Object who) {
        Lock l = heldLock();
        if (l != null && l.holder() == who) { // a revocation between the look and the store marks a retired lock
            Lock.HOLDER.setRelease(l, (Object) null);
            l.op(null);
        }
    }

    /** @return the module the current hold is charged to, or {@code null} (free, or the framework's) */
    public Object holder() {
        Object h = lock.holder();
        return h == REVOKED ? null : h;
    }

    /** @return what the holder is doing, or {@code null} */
    public String op() {
        return lock.op();
    }

    /** @return the thread that holds the lock now, or {@code null} */
    public Thread owner() {
        return lock.owner();
    }

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

    /** @return the hold now, when it is charged to a module, else {@code null}; read without the lock */
    public Hold hold() {
        Lock l = lock;
        Object h = l.holder();
        Thread t = l.owner();
        String o = l.op();
        return h == null || h == REVOKED || t == null || o == null ? null : new Hold(t, h, o, l.releases);
    }

    /**
     * Takes the lock from {@code who}, as hot-unplug takes a device from its
     * driver: if the current hold is charged to that module, it is marked
     * revoked (the mark is atomic with the holder: a hold that has moved on
     * is never taken), the lock is replaced by a new one, {@code underNewLock}
     * runs holding the new one (it must not call drivers), then it is free
     * for the waiters. The old owner's thread learns of it when it next looks
     * ({@link #busy} fails) and lets go of the old lock in {@link #unlock}.
     *
     * @param who the module being revoked
     * @param underNewLock what to do before anyone else gets the lock (switch the buffer's ops), or {@code null}
     * @return the thread that held the revoked lock, or {@code null} if the lock was not held for {@code who}
     */
    public Thread revoke(Object who, Runnable underNewLock) {
        Lock fresh;
        Thread t;
        synchronized (this) {
            Lock old = lock;
            if (who == null || old.holder() != who) {
                return null;
            }
            // the new lock first, held: from now on whoever takes the old one sees it is no longer current
            // and moves on; then the mark, atomic with the holder; if the hold has moved on, undone
            fresh = new Lock(fences.length);
            fresh.lock();
            lock = fresh;
            if (!old.cas(who, REVOKED)) {
                lock = old;
                fresh.unlock(); // its waiters find it is not current and go back to the old one
                return null;
            }
            t = old.owner();
            if (t != null) {
                t.interrupt(); // it was in the module's code at the mark: wake it if it waits
            }
            // a new array, so that a write the old owner prepared before the mark fails its compare-and-set
            Entry[] f;
            do {
                f = fences;
            } while (!FENCES.compareAndSet(this, f, f.clone()));
            Lock[] rs = java.util.Arrays.copyOf(revokedLocks, revokedLocks.length + 1);
            rs[rs.length - 1] = old;
            revokedLocks = rs;
        }
        boolean dep = Lockdep.enabled();
        if (dep) {
            Lockdep.acquired(this, name(), false); // the new lock is this thread's hold, as if by lock()
        }
        try {
            if (underNewLock != null) {
                underNewLock.run();
            }
        } finally {
            fresh.unlock();
            if (dep) {
                Lockdep.released(this);
            }
        }
        return t;
    }

    /**
     * Appends or replaces a fence; the caller held the lock when it looked.
     * A compare-and-set, so that a hold revoked between the caller's look and
     * its write loses the write (the caller is told) instead of overwriting
     * the new holder's.
     */
    private void publish(Lock l, Entry[] cur, Entry[] next, String func) {
        if (lock != l || !FENCES.compareAndSet(this, cur, next)) {
            requireLocked(func); // throws: the fences changed under a lock this thread no longer holds
            throw new IllegalStateException(func + ": the fences changed under the lock");
        }
    }

    private Lock requireLocked(String func) {
        Lock l = heldLock();
        if (l == null) {
            if (isRevokedFromCurrentThread()) {
                throw new DmaBufException(Errno.ENODEV, func + ": this thread's hold on the reservation lock was"
                        + " revoked (its module stopped while holding it); expected dma_resv_unlock only");
            }
            throw new DmaBufException(Errno.EINVAL, func + ": the reservation lock is not held; expected"
                    + " dma_resv_lock before (dma_resv_assert_held)");
        }
        return l;
    }

    /** {@code dma_resv_reserve_fences}. */
    public void reserve(int num) {
        Lock l = requireLocked("dma_resv_reserve_fences");
        if (num < 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_resv_reserve_fences: num " + num + "; expected 0 or more");
        }
        l.maxFences = Math.max(l.maxFences, fences.length + num);
    }

    /** {@code dma_resv_add_fence}: replaces a fence it supersedes, or takes a reserved slot. */
    public void add(DmaFence fence, DmaResvUsage usage) {
        Lock l = requireLocked("dma_resv_add_fence");
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
                try {
                    publish(l, cur, next, "dma_resv_add_fence");
                } catch (RuntimeException e) {
                    f.put();
                    throw e;
                }
                old.fence.put();
                return;
            }
        }
        int room = l.maxFences;
        if (cur.length >= room) {
            throw new DmaBufException(Errno.EINVAL, "dma_resv_add_fence: no slot reserved (" + cur.length
                    + " fences, room for " + room + "); expected dma_resv_reserve_fences first");
        }
        Entry[] next = Arrays.copyOf(cur, cur.length + 1);
        next[cur.length] = new Entry(f.get(), usage);
        try {
            publish(l, cur, next, "dma_resv_add_fence");
        } catch (RuntimeException e) {
            f.put();
            throw e;
        }
    }

    /** {@code dma_resv_replace_fences}. */
    public void replace(long context, DmaFence replacement, DmaResvUsage usage) {
        Lock l = requireLocked("dma_resv_replace_fences");
        FenceImpl r = Fences.ours(replacement, "dma_resv_replace_fences");
        Entry[] cur = fences;
        Entry[] next = cur.clone();
        List<DmaFence> dropped = new ArrayList<>();
        for (int i = 0; i < next.length; i++) {
            if (next[i].fence.context() == context) {
                dropped.add(next[i].fence);
                next[i] = new Entry(r.get(), usage);
            }
        }
        try {
            publish(l, cur, next, "dma_resv_replace_fences");
        } catch (RuntimeException e) {
            dropped.forEach(x -> r.put()); // the references taken for the slots that were not written
            throw e;
        }
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

    /** {@code dma_resv_set_deadline}: the deadline on every fence of {@code usage} and below. */
    public void setDeadline(DmaResvUsage usage, long deadlineNanos) {
        for (Entry e : fences) {
            if (e.usage.ordinal() <= usage.ordinal()) {
                e.fence.setDeadline(deadlineNanos);
            }
        }
    }

    /** {@code dma_resv_wait_timeout}: 0 when the time ran out, the time left (at least 1) otherwise. */
    public long waitTimeout(DmaResvUsage usage, boolean interruptible, long timeoutNanos) {
        if (Lockdep.enabled()) {
            Lockdep.mightWait("dma_resv_wait_timeout");
        }
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
        if (Lockdep.enabled()) {
            Lockdep.forget(this);
        }
        Entry[] cur = (Entry[]) FENCES.getAndSet(this, EMPTY);
        for (Entry e : cur) {
            e.fence.put();
        }
    }
}
