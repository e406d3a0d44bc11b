// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code struct dma_fence}: a flag set once, a list of callbacks run when it
 * is, and waiters parked on it. Each fence has its own lock (its monitor);
 * callbacks run outside it, on the signalling thread.
 */
public class FenceImpl implements DmaFence {
    static final Logger LOG = LoggerFactory.getLogger("dma-fence");
    private static final VarHandle REFS;
    /** The largest errno a fence error can carry ({@code MAX_ERRNO}). */
    static final int MAX_ERRNO = 4095;

    static {
        try {
            REFS = MethodHandles.lookup().findVarHandle(FenceImpl.class, "refs", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long context;
    private final long seqno;
    private final String driver;
    private final String timeline;
    final FenceContextImpl issuer;

    private volatile boolean signaled;
    private volatile int error;
    private volatile long timestamp = Long.MIN_VALUE;
    private volatile long deadlineHint = Long.MAX_VALUE; // dma_fence_set_deadline
    private volatile boolean callbacksRun;
    private Object callbacks; // null, one Callback, or a List of them; guarded by this
    @SuppressWarnings("unused") // through REFS
    private volatile int refs = 1;

    // the issuer's list of pending fences, guarded by the issuer
    FenceImpl prevPending;
    FenceImpl nextPending;

    protected FenceImpl(long context, long seqno, String driver, String timeline, FenceContextImpl issuer) {
        this.context = context;
        this.seqno = seqno;
        this.driver = driver;
        this.timeline = timeline;
        this.issuer = issuer;
        org.dmabuf.framework.internal.trace.Trace.fenceInit(context, seqno, driver, timeline);
    }

    @Override
    public long context() {
        return context;
    }

    @Override
    public long seqno() {
        return seqno;
    }

    @Override
    public String driverName() {
        return driver;
    }

    @Override
    public String timelineName() {
        return timeline;
    }

    /** {@code ops->signaled}: composite fences look at their parts. Must not block. */
    protected boolean checkSignaled() {
        return false;
    }

    /**
     * {@code ops->enable_signaling}: composite fences arrange to be signalled
     * when their parts are. Called before a callback or waiter is added.
     *
     * @return false when the fence can be signalled at once
     */
    protected boolean enableSignaling() {
        return true;
    }

    @Override
    public boolean isSignaled() {
        if (signaled) {
            return true;
        }
        if (checkSignaled()) {
            signal();
            return true;
        }
        return false;
    }

    /** @return whether signalled, without asking composite parts */
    final boolean signaledFlag() {
        return signaled;
    }

    @Override
    public boolean signal() {
        Object run;
        synchronized (this) {
            if (signaled) {
                return false;
            }
            timestamp = System.nanoTime();
            signaled = true;
            run = callbacks;
            callbacks = null;
        }
        if (issuer != null) {
            issuer.signalled(this);
        }
        org.dmabuf.framework.internal.trace.Trace.fenceSignaled(context, seqno, driver, timeline, error);
        if (run instanceof Callback cb) {
            invoke(cb);
        } else if (run != null) {
            @SuppressWarnings("unchecked")
            List<Callback> list = (List<Callback>) run;
            for (Callback cb : list) {
                invoke(cb);
            }
        }
        callbacksRun = true;
        return true;
    }

    /**
     * Waits until the callbacks of the signal have all run: the kernel runs them
     * under the fence's lock, so its {@code __wait_for_callbacks} takes and
     * drops the lock; here they run outside it, so this waits for them.
     * Only meaningful once signalled.
     */
    void waitForCallbacks() {
        while (signaled && !callbacksRun) {
            Thread.onSpinWait();
        }
    }

    private void invoke(Callback cb) {
        boolean cookie = Lockdep.enterAtomic("dma_fence_cb onSignaled", cb); // the kernel's runs under a spinlock
        try {
            cb.onSignaled(this);
        } catch (Throwable t) {
            LOG.error("dma-fence {}:{}:{}:{}: a callback failed", driver, timeline, context, seqno, t);
        } finally {
            Lockdep.exitAtomic(cookie);
        }
    }

    /** Signals with an error, unless signalled already. @return whether this call signalled */
    public boolean signalWithError(int err) {
        synchronized (this) {
            if (signaled) {
                return false;
            }
            if (error == 0) {
                error = err;
            }
        }
        return signal();
    }

    @Override
    public void setError(int err) {
        if (err >= 0 || err < -MAX_ERRNO) {
            throw new DmaBufException(Errno.EINVAL, "dma_fence_set_error: " + err
                    + " is not a negative errno; expected -1 to -" + MAX_ERRNO);
        }
        synchronized (this) {
            if (signaled) {
                throw new DmaBufException(Errno.EINVAL, "dma_fence_set_error: " + this
                        + " has signalled already; expected an error set before signalling");
            }
            error = err;
        }
    }

    @Override
    public int getStatus() {
        if (!isSignaled()) {
            return 0;
        }
        int e = error;
        return e != 0 ? e : 1;
    }

    /** @return the error recorded, or 0 */
    public int error() {
        return error;
    }

    @Override
    public long timestamp() {
        return timestamp;
    }

    /** Sets the timestamp of a fence made signalled (private stubs). */
    void timestamp(long t) {
        timestamp = t;
    }

    @Override
    public boolean addCallback(Callback callback) {
        if (callback == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_fence_add_callback: callback is null; expected a callback");
        }
        if (signaled) {
            return false;
        }
        if (!enableSignaling() || checkSignaled()) {
            signal();
            return false;
        }
        synchronized (this) {
            if (signaled) {
                return false;
            }
            if (callbacks == null) {
                callbacks = callback;
            } else if (callbacks instanceof Callback one) {
                if (one == callback) {
                    throw duplicate();
                }
                List<Callback> list = new ArrayList<>(4);
                list.add(one);
                list.add(callback);
                callbacks = list;
            } else {
                @SuppressWarnings("unchecked")
                List<Callback> list = (List<Callback>) callbacks;
                for (Callback c : list) {
                    if (c == callback) {
                        throw duplicate();
                    }
                }
                list.add(callback);
            }
        }
        return true;
    }

    private DmaBufException duplicate() {
        return new DmaBufException(Errno.EINVAL, "dma_fence_add_callback: this callback is already registered on "
                + this + "; expected one registration per callback object");
    }

    @Override
    public boolean removeCallback(Callback callback) {
        synchronized (this) {
            if (callbacks == callback && callback != null) {
                callbacks = null;
                return true;
            }
            if (callbacks instanceof List<?> list) {
                for (int i = 0; i < list.size(); i++) {
                    if (list.get(i) == callback) {
                        list.remove(i);
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /** @return the callbacks registered and not yet run: the waiters (a thread waiting is one) */
    public synchronized int waiters() {
        return callbacks == null ? 0 : callbacks instanceof List<?> l ? l.size() : 1;
    }

    /** @return the context that issued it, or {@code null} for one the framework made (stub, array, chain) */
    public FenceContextImpl issuer() {
        return issuer;
    }

    /** @return whether callbacks are registered and not yet run */
    synchronized boolean hasCallbacks() {
        return callbacks != null;
    }

    @Override
    public long waitTimeout(long timeoutNanos, boolean interruptible) {
        if (timeoutNanos < 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_fence_wait_timeout: timeout " + timeoutNanos
                    + "; expected 0 or more nanoseconds");
        }
        if (Lockdep.enabled()) {
            Lockdep.mightWait("dma_fence_wait_timeout"); // before the look, as the kernel's might_sleep()
        }
        if (isSignaled()) {
            return Math.max(timeoutNanos, 1);
        }
        if (timeoutNanos == 0) {
            return 0;
        }
        long deadline = System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 4);
        jdk.jfr.Event traced = org.dmabuf.framework.internal.trace.Trace.waitBegin();
        park(interruptible, deadline);
        org.dmabuf.framework.internal.trace.Trace.fenceWaited(traced, context, seqno, driver, timeline, signaled);
        if (!signaled) {
            return 0;
        }
        return Math.max(1, deadline - System.nanoTime());
    }

    @Override
    public int await(boolean interruptible) {
        if (Lockdep.enabled()) {
            Lockdep.mightWait("dma_fence_wait");
        }
        if (!isSignaled()) {
            jdk.jfr.Event traced = org.dmabuf.framework.internal.trace.Trace.waitBegin();
            park(interruptible, Long.MIN_VALUE);
            org.dmabuf.framework.internal.trace.Trace.fenceWaited(traced, context, seqno, driver, timeline, signaled);
        }
        return getStatus();
    }

    // parks the caller until signalled, the deadline (MIN_VALUE: none), or an interrupt
    private void park(boolean interruptible, long deadline) {
        Thread me = Thread.currentThread();
        Callback wake = f -> LockSupport.unpark(me);
        if (!addCallback(wake)) {
            return;
        }
        boolean interrupted = false;
        try {
            while (!signaled) {
                if (deadline == Long.MIN_VALUE) {
                    LockSupport.park(this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    LockSupport.parkNanos(this, left);
                }
                if (Thread.interrupted()) {
                    if (interruptible) {
                        me.interrupt();
                        throw new DmaBufException(Errno.EINTR, "dma_fence_wait: interrupted while waiting for " + this);
                    }
                    interrupted = true;
                }
            }
        } finally {
            removeCallback(wake);
            if (interrupted) {
                me.interrupt();
            }
        }
    }

    @Override
    public void setDeadline(long deadlineNanos) {
        if (isSignaled()) {
            return;
        }
        synchronized (this) {
            if (deadlineHint != Long.MAX_VALUE && deadlineNanos - deadlineHint >= 0) { // nanoTime may wrap: differences
                return;
            }
            deadlineHint = deadlineNanos;
        }
        // ops->set_deadline of an array or a chain: its parts
        for (DmaFence part : Fences.unwrap(this)) {
            if (part != this) {
                part.setDeadline(deadlineNanos);
            }
        }
    }

    @Override
    public long deadline() {
        return deadlineHint;
    }

    @Override
    public boolean isLater(DmaFence other) {
        return other.context() == context && Long.compareUnsigned(seqno, other.seqno()) > 0;
    }

    /** @return {@code dma_fence_is_later_or_same} */
    boolean isLaterOrSame(DmaFence other) {
        return this == other || isLater(other);
    }

    @Override
    public DmaFence get() {
        REFS.getAndAdd(this, 1);
        return this;
    }

    @Override
    public void put() {
        int now = (int) REFS.getAndAdd(this, -1) - 1;
        if (now == 0) {
            release();
        } else if (now < 0) {
            REFS.getAndAdd(this, 1);
            LOG.warn("dma-fence {}: dma_fence_put without a reference; ignored", this);
        }
    }

    // dma_fence_release: a fence dropped unsignalled with waiters would leave them hanging
    private void release() {
        org.dmabuf.framework.internal.trace.Trace.fenceDestroy(context, seqno, driver, timeline);
        if (issuer != null && !signaled && issuer.unlinksOnRelease()) {
            issuer.signalled(this); // off the pending list: nobody can wait on it any more
        }
        if (!signaled && hasCallbacks()) {
            LOG.warn("Fence {}:{}:{}:{} released with pending signals!", driver, timeline,
                    Long.toHexString(context), Long.toHexString(seqno));
            signalWithError(Errno.EDEADLK.code());
        }
    }

    @Override
    public String toString() {
        return driver + ":" + timeline + ":" + context + ":" + seqno + (signaled ? " (signalled)" : "");
    }
}
