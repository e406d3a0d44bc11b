// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import java.util.concurrent.atomic.AtomicLong;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.WwAcquireCtx;

/**
 * {@code struct ww_acquire_ctx} of {@code reservation_ww_class}, a wound/wait
 * class: a stamp (lower is older), the locks held with it, and whether an
 * older context wounded it. Used by the thread that made it; {@code wounded}
 * is the only field another thread writes.
 */
public final class WwCtx implements WwAcquireCtx {
    private static final AtomicLong STAMPS = new AtomicLong();

    final long stamp = STAMPS.incrementAndGet();
    private final Thread thread = Thread.currentThread();
    int acquired; // the owner's only
    volatile boolean wounded;
    private boolean done;
    private boolean closed;

    /**
     * @param ctx what a caller passed
     * @param func the call, for the message
     * @return it as ours, checked: usable by the calling thread
     */
    public static WwCtx of(WwAcquireCtx ctx, String func) {
        if (!(ctx instanceof WwCtx c)) {
            throw new DmaBufException(Errno.EINVAL, func + ": " + (ctx == null ? "the acquire context is null"
                    : "the acquire context is a " + ctx.getClass().getName())
                    + "; expected one from DmaFenceService.wwAcquireInit()");
        }
        c.mine(func);
        if (c.closed) {
            throw new DmaBufException(Errno.EINVAL, func + ": the acquire context was closed (ww_acquire_fini);"
                    + " expected a context in use");
        }
        if (c.done) {
            throw new DmaBufException(Errno.EINVAL, func + ": the acquire context is done (ww_acquire_done);"
                    + " expected every lock taken before ww_acquire_done");
        }
        return c;
    }

    private void mine(String func) {
        if (Thread.currentThread() != thread) {
            throw new DmaBufException(Errno.EINVAL, func + ": the acquire context belongs to thread "
                    + thread.getName() + "; expected it used by the thread that made it");
        }
    }

    @Override
    public void done() {
        mine("ww_acquire_done");
        done = true;
    }

    @Override
    public int acquired() {
        return acquired;
    }

    @Override
    public boolean wounded() {
        return wounded;
    }

    @Override
    public void close() {
        mine("ww_acquire_fini");
        if (acquired > 0) {
            throw new DmaBufException(Errno.EINVAL, "ww_acquire_fini: " + acquired + " reservation lock"
                    + (acquired == 1 ? " is" : "s are") + " still held in this acquire context; expected"
                    + " dma_resv_unlock of each first");
        }
        closed = true;
    }

    @Override
    public String toString() {
        return "ww_acquire_ctx stamp " + stamp + " of " + thread.getName() + ", " + acquired + " held"
                + (wounded ? ", wounded" : "");
    }
}
