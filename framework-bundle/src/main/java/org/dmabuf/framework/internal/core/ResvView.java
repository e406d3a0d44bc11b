// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.util.List;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.Symbol;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.api.fence.DmaResvIter;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.framework.internal.fence.ResvImpl;
import org.dmabuf.framework.internal.fence.ResvIterImpl;

/** A reservation object as one bundle sees it: each entry point checks that bundle's grant. */
final class ResvView implements DmaResv {
    private final ResvImpl resv;
    private final LoadedModule owner;

    ResvView(ResvImpl resv, LoadedModule owner) {
        this.resv = resv;
        this.owner = owner;
    }

    ResvImpl resv() {
        return resv;
    }

    @Override
    public void lock() {
        owner.require(Symbol.WW_MUTEX_LOCK);
        if (owner.revoked()) {
            throw revoked("dma_resv_lock");
        }
        if (owner.isClosed()) {
            throw owner.gone("dma_resv_lock");
        }
        resv.lock(owner); // ENODEV if this module is revoked while it waits
        if (!resv.busy(null, owner, "dma_resv_lock")) { // held in this module's code: its stop can revoke it
            resv.unlock();
            throw revoked("dma_resv_lock");
        }
        owner.resvHeld(1);
    }

    @Override
    public void lock(org.dmabuf.api.fence.WwAcquireCtx ctx) {
        lockWw(ctx, false);
    }

    @Override
    public void lockSlow(org.dmabuf.api.fence.WwAcquireCtx ctx) {
        lockWw(ctx, true);
    }

    private void lockWw(org.dmabuf.api.fence.WwAcquireCtx ctx, boolean slow) {
        String func = slow ? "dma_resv_lock_slow" : "dma_resv_lock";
        owner.require(Symbol.WW_MUTEX_LOCK);
        org.dmabuf.framework.internal.fence.WwCtx c = org.dmabuf.framework.internal.fence.WwCtx.of(ctx, func);
        if (owner.revoked()) {
            throw revoked(func);
        }
        if (owner.isClosed()) {
            throw owner.gone(func);
        }
        resv.lockWw(owner, c, slow); // EDEADLK, EALREADY; ENODEV if this module is revoked while it waits
        if (!resv.busy(null, owner, "dma_resv_lock")) {
            resv.unlock();
            throw revoked(func);
        }
        owner.resvHeld(1);
    }

    @Override
    public boolean tryLock() {
        owner.require(Symbol.WW_MUTEX_LOCK);
        if (owner.revoked()) {
            throw revoked("dma_resv_trylock");
        }
        if (owner.isClosed()) {
            throw owner.gone("dma_resv_trylock");
        }
        if (resv.tryLock()) {
            if (!resv.busy(null, owner, "dma_resv_lock")) {
                resv.unlock();
                throw revoked("dma_resv_trylock");
            }
            owner.resvHeld(1);
            return true;
        }
        return false;
    }

    @Override
    public void unlock() {
        owner.require(Symbol.WW_MUTEX_UNLOCK);
        if (!resv.isLockedByCurrentThread() && !resv.isRevokedFromCurrentThread()) {
            throw new DmaBufException(Errno.EINVAL, "dma_resv_unlock: the reservation lock is not held by this"
                    + " thread; expected one unlock per lock");
        }
        resv.unlock();
        owner.resvHeld(-1);
    }

    @Override
    public boolean isLocked() {
        return resv.isLockedByCurrentThread();
    }

    @Override
    public void reserveFences(int num) {
        owner.require(Symbol.DMA_RESV_RESERVE_FENCES);
        resv.reserve(num);
    }

    @Override
    public void addFence(DmaFence fence, DmaResvUsage usage) {
        owner.require(Symbol.DMA_RESV_ADD_FENCE);
        resv.add(fence, usage);
    }

    @Override
    public void replaceFences(long context, DmaFence replacement, DmaResvUsage usage) {
        owner.require(Symbol.DMA_RESV_REPLACE_FENCES);
        resv.replace(context, replacement, usage);
    }

    @Override
    public DmaResvIter iter(DmaResvUsage usage) {
        owner.require(Symbol.DMA_RESV_ITER_FIRST);
        if (!resv.isLockedByCurrentThread()) {
            throw new DmaBufException(Errno.EINVAL, "dma_resv_iter_first: the reservation lock is not held;"
                    + " expected dma_resv_lock before a locked iteration (or iterUnlocked)");
        }
        return new ResvIterImpl(resv, usage(usage, "dma_resv_iter_first"), false);
    }

    @Override
    public DmaResvIter iterUnlocked(DmaResvUsage usage) {
        owner.require(Symbol.DMA_RESV_ITER_FIRST_UNLOCKED);
        return new ResvIterImpl(resv, usage(usage, "dma_resv_iter_first_unlocked"), true);
    }

    @Override
    public List<DmaFence> getFences(DmaResvUsage usage) {
        owner.require(Symbol.DMA_RESV_GET_FENCES);
        return resv.getFences(usage(usage, "dma_resv_get_fences"));
    }

    @Override
    public boolean testSignaled(DmaResvUsage usage) {
        owner.require(Symbol.DMA_RESV_TEST_SIGNALED);
        return resv.testSignaled(usage(usage, "dma_resv_test_signaled"));
    }

    @Override
    public void setDeadline(DmaResvUsage usage, long deadlineNanos) {
        owner.require(Symbol.DMA_RESV_SET_DEADLINE);
        resv.setDeadline(usage(usage, "dma_resv_set_deadline"), deadlineNanos);
    }

    @Override
    public long waitTimeout(DmaResvUsage usage, boolean interruptible, long timeoutNanos) {
        owner.require(Symbol.DMA_RESV_WAIT_TIMEOUT);
        return resv.waitTimeout(usage(usage, "dma_resv_wait_timeout"), interruptible, timeoutNanos);
    }

    private static DmaResvUsage usage(DmaResvUsage u, String func) {
        if (u == null) {
            throw new DmaBufException(Errno.EINVAL, func + ": usage is null; expected KERNEL, WRITE, READ or BOOKKEEP");
        }
        return u;
    }

    private DmaBufException revoked(String func) {
        return new DmaBufException(Errno.ENODEV, func + ": " + owner.name() + " was removed (revoked: its stop ran"
                + " past the bound); expected a module that is still loaded");
    }

    @Override
    public String toString() {
        return "dma_resv seen by " + owner.name();
    }
}
