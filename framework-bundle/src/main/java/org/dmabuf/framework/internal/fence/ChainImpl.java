// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import java.util.concurrent.atomic.AtomicReference;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceChain;

/**
 * {@code struct dma_fence_chain}, after {@code drivers/dma-buf/dma-fence-chain.c}:
 * signalled when its fence and every earlier one are; walking drops the
 * signalled nodes; a callback on the first unsignalled fence keeps it moving.
 */
public final class ChainImpl extends FenceImpl implements DmaFenceChain {
    private final AtomicReference<DmaFence> prev;
    private final DmaFence fence;
    private final long prevSeqno;
    private volatile boolean armed;
    private final Callback onPart = f -> rearm();

    private ChainImpl(DmaFence prev, DmaFence fence, long context, long seqno, long prevSeqno) {
        super(context, seqno, "dma_fence_chain", "unbound", null);
        this.prev = new AtomicReference<>(prev);
        this.fence = fence;
        this.prevSeqno = prevSeqno;
    }

    /** {@code dma_fence_chain_init}: reuses the previous node's context when the seqno is later. */
    public static ChainImpl create(DmaFence prev, DmaFence fence, long seqno) {
        if (fence == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_fence_chain_init: fence is null; expected the fence to chain");
        }
        if (prev instanceof ChainImpl pc && Long.compareUnsigned(seqno, pc.seqno()) > 0) {
            return new ChainImpl(prev, fence, pc.context(), seqno, pc.seqno());
        }
        long s = prev instanceof ChainImpl pc ? (Long.compareUnsigned(pc.seqno(), seqno) > 0 ? pc.seqno() : seqno) : seqno;
        return new ChainImpl(prev, fence, Fences.contextAlloc(1), s, 0);
    }

    @Override
    public DmaFence contained() {
        return fence;
    }

    @Override
    public DmaFence prev() {
        return prev.get();
    }

    @Override
    public long prevSeqno() {
        return prevSeqno;
    }

    @Override
    public DmaFence walk() {
        DmaFence p;
        while ((p = prev.get()) != null) {
            DmaFence replacement;
            if (p instanceof ChainImpl pc) {
                if (!pc.fence.isSignaled()) {
                    break;
                }
                replacement = pc.prev.get();
            } else {
                if (!p.isSignaled()) {
                    break;
                }
                replacement = null;
            }
            prev.compareAndSet(p, replacement);
        }
        return p;
    }

    @Override
    public DmaFence findSeqno(long seqno) {
        if (seqno == 0) {
            return this;
        }
        if (Long.compareUnsigned(seqno(), seqno) < 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_fence_chain_find_seqno: seqno " + seqno
                    + " lies beyond this node's " + seqno() + "; expected a point already on the chain");
        }
        DmaFence it = this;
        while (it != null) {
            if (it.context() != context() || !(it instanceof ChainImpl c) || Long.compareUnsigned(c.prevSeqno, seqno) < 0) {
                break;
            }
            it = c.walk();
        }
        return it;
    }

    // dma_fence_chain_signaled
    @Override
    protected boolean checkSignaled() {
        for (DmaFence it = this; it != null; it = it instanceof ChainImpl c ? c.walk() : null) {
            if (!Fences.contained(it).isSignaled()) {
                return false;
            }
        }
        return true;
    }

    // dma_fence_chain_enable_signaling, once
    @Override
    protected boolean enableSignaling() {
        if (armed) {
            return true;
        }
        synchronized (this) {
            if (armed) {
                return true;
            }
            armed = true;
        }
        return arm();
    }

    // a callback on the first part not signalled; false when there is none
    private boolean arm() {
        for (DmaFence it = this; it != null; it = it instanceof ChainImpl c ? c.walk() : null) {
            if (Fences.contained(it).addCallback(onPart)) {
                return true;
            }
        }
        return false;
    }

    // dma_fence_chain_cb and its irq_work: move on to the next part, or signal
    private void rearm() {
        if (!arm()) {
            signal();
        }
    }
}
