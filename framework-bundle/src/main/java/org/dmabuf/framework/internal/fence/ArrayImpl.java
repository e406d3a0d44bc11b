// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceArray;

/** {@code struct dma_fence_array}: signalled with all its fences (or any), carrying the first error. */
public final class ArrayImpl extends FenceImpl implements DmaFenceArray {
    private final List<DmaFence> fences;
    private final boolean signalOnAny;
    private final AtomicInteger numPending;
    private volatile boolean armed;

    /** {@code dma_fence_array_create}: takes over the callers' references to the fences. */
    public ArrayImpl(List<DmaFence> fences, long context, long seqno, boolean signalOnAny) {
        super(context, seqno, "dma_fence_array", "unbound", null);
        if (fences == null || fences.isEmpty()) {
            throw new DmaBufException(Errno.EINVAL, "dma_fence_array_create: no fences; expected at least one");
        }
        this.fences = List.copyOf(fences);
        this.signalOnAny = signalOnAny;
        this.numPending = new AtomicInteger(signalOnAny ? 1 : fences.size());
    }

    @Override
    public List<DmaFence> fences() {
        return fences;
    }

    @Override
    public boolean signalOnAny() {
        return signalOnAny;
    }

    // dma_fence_array_signaled
    @Override
    protected boolean checkSignaled() {
        int done = 0;
        for (DmaFence f : fences) {
            if (f.isSignaled()) {
                carryError(f);
                done++;
                if (signalOnAny) {
                    return true;
                }
            }
        }
        return done == fences.size();
    }

    private void carryError(DmaFence f) {
        int s = f.getStatus();
        if (s < 0 && error() == 0 && !signaledFlag()) {
            try {
                setError(s);
            } catch (DmaBufException signalledMeanwhile) {
                // the array signalled meanwhile: its error is settled
            }
        }
    }

    // dma_fence_array_enable_signaling and dma_fence_array_cb_func
    @Override
    protected boolean enableSignaling() {
        synchronized (this) {
            if (armed) {
                return true;
            }
            armed = true;
        }
        for (DmaFence f : fences) {
            Callback cb = part -> partDone(part);
            if (!f.addCallback(cb)) {
                partDone(f);
            }
        }
        return !signaledFlag();
    }

    private void partDone(DmaFence f) {
        carryError(f);
        if (numPending.decrementAndGet() == 0) {
            signal();
        }
    }
}
