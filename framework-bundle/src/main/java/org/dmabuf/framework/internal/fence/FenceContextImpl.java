// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.Symbol;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.FenceContext;

/**
 * A timeline and its issuer's bookkeeping: the fences it made and has not
 * signalled, so that they can be signalled with ENODEV when the issuer goes.
 */
public final class FenceContextImpl implements FenceContext {
    private final long context;
    private final String driver;
    private final String timeline;
    private final String owner;
    private final Consumer<Symbol> require;
    private final AtomicLong lastSeqno = new AtomicLong();
    private FenceImpl head; // pending fences, guarded by this
    private int pending;    // guarded by this
    private volatile boolean abandoned;
    private volatile long timeoutNanos;
    private volatile boolean signalOnTimeout;
    private volatile java.util.function.LongSupplier value; // a sw_sync timeline's value, else null

    /**
     * @param context the context number
     * @param driver the driver's name
     * @param timeline the timeline's name
     * @param owner the issuing module's name, for messages
     * @param require the issuing module's grant check
     */
    public FenceContextImpl(long context, String driver, String timeline, String owner, Consumer<Symbol> require) {
        this.context = context;
        this.driver = driver;
        this.timeline = timeline;
        this.owner = owner;
        this.require = require;
    }

    @Override
    public long context() {
        return context;
    }

    @Override
    public String driverName() {
        return driver;
    }

    @Override
    public String timelineName() {
        return timeline;
    }

    @Override
    public DmaFence create(long seqno) {
        require.accept(Symbol.DMA_FENCE_INIT);
        FenceImpl f = new FenceImpl(context, seqno, driver, timeline, this);
        lastSeqno.accumulateAndGet(seqno, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
        synchronized (this) {
            if (abandoned) {
                throw new DmaBufException(Errno.ENODEV, "dma_fence_init: the issuer " + owner + " of " + driver + ":"
                        + timeline + " has stopped; expected a running issuer");
            }
            f.nextPending = head;
            if (head != null) {
                head.prevPending = f;
            }
            head = f;
            pending++;
        }
        return f;
    }

    @Override
    public DmaFence next() {
        return create(lastSeqno.get() + 1);
    }

    @Override
    public synchronized int pending() {
        return pending;
    }

    @Override
    public void setTimeout(long timeout, boolean signal) {
        if (timeout < 0 || (signal && timeout == 0)) {
            throw new DmaBufException(Errno.EINVAL, "drm_sched_init: timeout " + timeout + " ns"
                    + (signal ? " with signalOnTimeout" : "") + " for " + driver + ":" + timeline + "; expected "
                    + (signal ? "more than 0 nanoseconds to signal fences past it" : "0 (the platform's) or more"));
        }
        timeoutNanos = timeout;
        signalOnTimeout = signal;
    }

    @Override
    public long timeoutNanos() {
        return timeoutNanos;
    }

    /** @return whether a fence past the timeout is signalled with -ETIMEDOUT */
    public boolean signalOnTimeout() {
        return signalOnTimeout;
    }

    private volatile boolean unlinkOnRelease;

    /** A {@code sw_sync} timeline: a pending fence whose last reference goes leaves the pending list. */
    public void unlinkOnRelease() {
        unlinkOnRelease = true;
    }

    /** @return whether a released pending fence leaves the pending list */
    boolean unlinksOnRelease() {
        return unlinkOnRelease;
    }

    /** @param v the timeline's value, for a {@code sw_sync} timeline: what {@code dmabuf:fences} shows */
    public void valueSource(java.util.function.LongSupplier v) {
        value = v;
    }

    /** @return the timeline's value when it is a {@code sw_sync} timeline, else -1 */
    public long value() {
        java.util.function.LongSupplier v = value;
        return v == null ? -1 : v.getAsLong();
    }

    /** @return the issuing module's name */
    public String owner() {
        return owner;
    }

    /** @return the fences pending now, each without a new reference (the watchdog's look) */
    public synchronized List<FenceImpl> pendingFences() {
        List<FenceImpl> out = new ArrayList<>(pending);
        for (FenceImpl f = head; f != null; f = f.nextPending) {
            out.add(f);
        }
        return out;
    }

    synchronized void signalled(FenceImpl f) {
        if (f.prevPending == null && head != f) {
            return; // not in the list
        }
        if (f.prevPending != null) {
            f.prevPending.nextPending = f.nextPending;
        } else {
            head = f.nextPending;
        }
        if (f.nextPending != null) {
            f.nextPending.prevPending = f.prevPending;
        }
        f.prevPending = f.nextPending = null;
        pending--;
    }

    /**
     * The issuer is gone: every pending fence is signalled with {@code error},
     * so no waiter hangs; no new fence can be made.
     *
     * @return how many fences were signalled
     */
    public int abandon(int error) {
        List<FenceImpl> left = new ArrayList<>();
        synchronized (this) {
            abandoned = true;
            for (FenceImpl f = head; f != null; f = f.nextPending) {
                left.add(f);
            }
        }
        int n = 0;
        for (FenceImpl f : left) {
            if (f.signalWithError(error)) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return driver + ":" + timeline + " (context " + context + ", issued by " + owner + ")";
    }
}
