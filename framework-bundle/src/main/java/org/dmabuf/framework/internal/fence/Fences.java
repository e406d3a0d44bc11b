// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;

/** The fence functions that belong to no fence: contexts, the stub, unwrap and merge. */
public final class Fences {
    private static final AtomicLong CONTEXTS = new AtomicLong(1); // 0 is the stub's

    /** The shared, always signalled fence ({@code dma_fence_get_stub}). */
    public static final FenceImpl STUB = new FenceImpl(0, 0, "stub", "stub", null) {
        @Override
        public DmaFence get() {
            return this;
        }

        @Override
        public void put() {
        }
    };

    static {
        STUB.signal();
    }

    private Fences() {
    }

    /** {@code dma_fence_context_alloc}. @return the first of {@code num} new context numbers */
    public static long contextAlloc(int num) {
        if (num < 1) {
            throw new DmaBufException(Errno.EINVAL, "dma_fence_context_alloc: num " + num + "; expected at least 1");
        }
        return CONTEXTS.getAndAdd(num);
    }

    /** @return the fence as this framework's, or EINVAL naming what was wrong */
    public static FenceImpl ours(DmaFence f, String func) {
        if (f instanceof FenceImpl impl) {
            return impl;
        }
        throw new DmaBufException(Errno.EINVAL, func + ": " + (f == null ? "fence is null"
                : "not a fence made by this framework") + "; expected a DmaFence from a FenceContext or DmaFenceService");
    }

    /** {@code dma_fence_chain_contained}: the fence a chain node wraps, or the fence itself. */
    static DmaFence contained(DmaFence f) {
        return f instanceof ChainImpl c ? c.contained() : f;
    }

    /** {@code dma_fence_unwrap_for_each}: the leaves of chains and arrays, walking chains as the kernel does. */
    public static List<DmaFence> unwrap(DmaFence head) {
        List<DmaFence> out = new ArrayList<>();
        for (DmaFence it = head; it != null; it = it instanceof ChainImpl c ? c.walk() : null) {
            DmaFence f = contained(it);
            if (f instanceof ArrayImpl a) {
                out.addAll(a.fences());
            } else {
                out.add(f);
            }
        }
        return out;
    }

    /**
     * {@code __dma_fence_unwrap_merge}: the unsignalled leaves of all fences,
     * sorted by context, only the latest of each context; a private signalled
     * stub (with the latest timestamp) when none is left.
     */
    public static DmaFence merge(DmaFence... fences) {
        List<DmaFence> pending = new ArrayList<>();
        long timestamp = Long.MIN_VALUE;
        for (DmaFence f : fences) {
            if (f == null) {
                continue;
            }
            for (DmaFence leaf : unwrap(f)) {
                if (!leaf.isSignaled()) {
                    pending.add(leaf);
                } else if (leaf.timestamp() > timestamp) {
                    timestamp = leaf.timestamp();
                }
            }
        }
        if (pending.isEmpty()) {
            FenceImpl stub = new FenceImpl(contextAlloc(1), 0, "stub", "stub", null);
            stub.signal();
            stub.timestamp(timestamp == Long.MIN_VALUE ? System.nanoTime() : timestamp);
            return stub;
        }
        pending.sort(Comparator.comparingLong(DmaFence::context).thenComparing((a, b) ->
                a.isLater(b) ? -1 : b.isLater(a) ? 1 : 0));
        List<DmaFence> kept = new ArrayList<>();
        for (DmaFence f : pending) {
            if (kept.isEmpty() || kept.getLast().context() != f.context()) {
                kept.add(f);
            }
        }
        if (kept.size() == 1) {
            return kept.getFirst().get();
        }
        kept.forEach(DmaFence::get);
        return new ArrayImpl(kept, contextAlloc(1), 1, false);
    }

    /**
     * {@code dma_fence_wait_any_timeout}: parks the caller until one of the
     * fences signals, the time runs out, or (when interruptible) an interrupt.
     */
    public static org.dmabuf.api.fence.WaitAny waitAny(List<DmaFence> fences, boolean interruptible,
            long timeoutNanos) {
        if (fences == null || fences.isEmpty()) {
            throw new DmaBufException(Errno.EINVAL, "dma_fence_wait_any_timeout: no fences; expected at least one");
        }
        if (timeoutNanos < 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_fence_wait_any_timeout: timeout " + timeoutNanos
                    + "; expected 0 or more nanoseconds");
        }
        for (int i = 0; i < fences.size(); i++) {
            if (fences.get(i) == null) {
                throw new DmaBufException(Errno.EINVAL, "dma_fence_wait_any_timeout: fence " + i
                        + " is null; expected a fence at each index");
            }
        }
        if (Lockdep.enabled()) {
            Lockdep.mightWait("dma_fence_wait_any_timeout");
        }
        int first = firstSignaled(fences);
        if (first >= 0) {
            return new org.dmabuf.api.fence.WaitAny(Math.max(timeoutNanos, 1), first);
        }
        if (timeoutNanos == 0) {
            return new org.dmabuf.api.fence.WaitAny(0, -1);
        }
        long deadline = System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 4);
        Thread me = Thread.currentThread();
        // a callback of its own for each index: the same fence may be listed twice, as the kernel allows
        List<DmaFence.Callback> wakes = new ArrayList<>(fences.size());
        List<DmaFence> registered = new ArrayList<>(fences.size());
        boolean interrupted = false;
        try {
            for (DmaFence f : fences) {
                DmaFence.Callback wake = x -> java.util.concurrent.locks.LockSupport.unpark(me);
                if (!f.addCallback(wake)) {
                    break; // signalled already: found below
                }
                registered.add(f);
                wakes.add(wake);
            }
            while (true) {
                first = firstSignaled(fences);
                if (first >= 0) {
                    return new org.dmabuf.api.fence.WaitAny(Math.max(1, deadline - System.nanoTime()), first);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return new org.dmabuf.api.fence.WaitAny(0, -1);
                }
                java.util.concurrent.locks.LockSupport.parkNanos(fences, left);
                if (Thread.interrupted()) {
                    if (interruptible) {
                        me.interrupt();
                        throw new DmaBufException(Errno.EINTR, "dma_fence_wait_any_timeout: interrupted while"
                                + " waiting for " + fences.size() + " fences");
                    }
                    interrupted = true;
                }
            }
        } finally {
            for (int i = 0; i < registered.size(); i++) {
                registered.get(i).removeCallback(wakes.get(i));
            }
            if (interrupted) {
                me.interrupt();
            }
        }
    }

    private static int firstSignaled(List<DmaFence> fences) {
        for (int i = 0; i < fences.size(); i++) {
            if (fences.get(i).isSignaled()) {
                return i;
            }
        }
        return -1;
    }
}
