// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.util.ArrayList;
import java.util.List;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.Symbol;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceArray;
import org.dmabuf.api.fence.DmaFenceChain;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.api.fence.FenceContext;
import org.dmabuf.framework.internal.fence.ArrayImpl;
import org.dmabuf.framework.internal.device.DeviceTable;
import org.dmabuf.framework.internal.device.KernelDevice;
import org.dmabuf.framework.internal.fence.ChainImpl;
import org.dmabuf.framework.internal.fence.FenceContextImpl;
import org.dmabuf.framework.internal.fence.Fences;
import org.dmabuf.framework.internal.fence.ResvImpl;
import org.dmabuf.framework.internal.fence.SyncFile;
import org.dmabuf.api.fence.SwSyncTimeline;
import org.dmabuf.api.fence.SyncFileInfo;
import org.dmabuf.api.fence.WaitAny;

/**
 * One bundle's {@link DmaFenceService}: the same module, hence the same fd
 * table, as its {@code DmaBufService}.
 */
public final class FenceView extends FdTableView implements DmaFenceService {

    /** @param module the bundle's module */
    public FenceView(LoadedModule module) {
        super(module);
    }

    @Override
    public FenceContext contextAlloc(String driverName, String timelineName) {
        module.require(Symbol.DMA_FENCE_CONTEXT_ALLOC);
        if (driverName == null || timelineName == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_fence_context_alloc: " + (driverName == null ? "driver"
                    : "timeline") + " name is null; expected the names bufinfo shows");
        }
        return module.newContext(driverName, timelineName);
    }

    @Override
    public FenceContext contextAlloc(String driverName, String timelineName, Device device) {
        if (device == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_fence_context_alloc: device is null; expected the device"
                    + " whose engine runs the jobs");
        }
        KernelDevice kd = DeviceTable.ours(device, "dma_fence_context_alloc");
        if (!device.isPresent()) {
            throw new DmaBufException(Errno.ENODEV, "dma_fence_context_alloc: device " + device.name()
                    + " is unplugged; expected a present device");
        }
        FenceContextImpl c = (FenceContextImpl) contextAlloc(driverName, timelineName);
        DeviceTable.whenUnplugged(kd, () -> {
            int n = c.abandon(Errno.ENODEV.code());
            if (n > 0) {
                LoadedModule.LOG.warn("{}: {} unplugged with {} fences pending on {}:{}; signalled them with -ENODEV",
                        device.name(), device.model(), n, driverName, timelineName);
            }
        });
        return c;
    }

    @Override
    public long contextNumbers(int num) {
        module.require(Symbol.DMA_FENCE_CONTEXT_ALLOC);
        return Fences.contextAlloc(num);
    }

    @Override
    public DmaFence stub() {
        module.require(Symbol.DMA_FENCE_GET_STUB);
        return Fences.STUB;
    }

    @Override
    public DmaFenceChain chain(DmaFence prev, DmaFence fence, long seqno) {
        module.require(Symbol.DMA_FENCE_CHAIN_INIT);
        if (prev != null) {
            Fences.ours(prev, "dma_fence_chain_init");
        }
        return ChainImpl.create(prev, Fences.ours(fence, "dma_fence_chain_init"), seqno);
    }

    @Override
    public DmaFenceArray array(List<DmaFence> fences, long context, long seqno, boolean signalOnAny) {
        module.require(Symbol.DMA_FENCE_ARRAY_CREATE);
        List<DmaFence> ours = new ArrayList<>();
        if (fences != null) {
            for (DmaFence f : fences) {
                ours.add(Fences.ours(f, "dma_fence_array_create"));
            }
        }
        return new ArrayImpl(ours, context, seqno, signalOnAny);
    }

    @Override
    public List<DmaFence> unwrap(DmaFence fence) {
        module.require(Symbol.DMA_FENCE_UNWRAP_FIRST);
        return Fences.unwrap(Fences.ours(fence, "dma_fence_unwrap_first"));
    }

    @Override
    public DmaFence merge(DmaFence... fences) {
        module.require(Symbol.DMA_FENCE_UNWRAP_MERGE);
        for (DmaFence f : fences) {
            Fences.ours(f, "dma_fence_unwrap_merge");
        }
        return Fences.merge(fences);
    }

    @Override
    public DmaResv resvInit() {
        module.require(Symbol.DMA_RESV_INIT);
        return new ResvView(new ResvImpl(), module);
    }

    @Override
    public int syncFileCreate(DmaFence fence) {
        FdCallers.unwoven(module, "syncFileCreate", -1);
        return syncFileCreateChecked(fence);
    }

    int syncFileCreateChecked(DmaFence fence) {
        module.require(Symbol.SYNC_FILE_CREATE);
        return createSyncFile(module, Fences.ours(fence, "sync_file_create").get(), "sync_file_create");
    }

    static int createSyncFile(LoadedModule m, DmaFence fenceRef, String name) {
        return m.install(new SyncFile(fenceRef, name, m.core().nextIno()), name);
    }

    @Override
    public DmaFence syncFileGetFence(int fd) {
        FdCallers.unwoven(module, "syncFileGetFence", fd);
        return syncFileGetFenceChecked(fd);
    }

    DmaFence syncFileGetFenceChecked(int fd) {
        module.require(Symbol.SYNC_FILE_GET_FENCE);
        return module.syncFileFence(fd, "sync_file_get_fence");
    }

    // SYNC_IOC_MERGE: an ioctl, open to every bundle
    @Override
    public int syncFileMerge(String name, int fd1, int fd2) {
        FdCallers.unwoven(module, "syncFileMerge", fd1);
        return syncFileMergeChecked(name, fd1, fd2);
    }

    int syncFileMergeChecked(String name, int fd1, int fd2) {
        DmaFence a = module.syncFileFence(fd1, "SYNC_IOC_MERGE");
        DmaFence b;
        try {
            b = module.syncFileFence(fd2, "SYNC_IOC_MERGE");
        } catch (RuntimeException e) {
            a.put();
            throw e;
        }
        try {
            return createSyncFile(module, Fences.merge(a, b), name == null ? "merged" : name);
        } finally {
            a.put();
            b.put();
        }
    }

    // SYNC_IOC_FILE_INFO: an ioctl, open to every bundle
    @Override
    public SyncFileInfo syncFileInfo(int fd) {
        FdCallers.unwoven(module, "syncFileInfo", fd);
        return syncFileInfoChecked(fd);
    }

    SyncFileInfo syncFileInfoChecked(int fd) {
        SyncFile sf = module.syncFile(fd, "SYNC_IOC_FILE_INFO");
        List<SyncFileInfo.Fence> fences = new ArrayList<>();
        int status;
        try {
            status = sf.fence().getStatus(); // the sync file's own fence: 0 until all signalled, as the kernel
            for (DmaFence f : Fences.unwrap(sf.fence())) {
                fences.add(new SyncFileInfo.Fence(f.timelineName(), f.driverName(), f.getStatus(),
                        f.isSignaled() ? f.timestamp() : 0));
            }
        } finally {
            sf.fence().put();
        }
        return new SyncFileInfo(sf.name(), status, fences);
    }

    // /sys/kernel/debug/sync/sw_sync: an ioctl interface, open to every bundle
    @Override
    public SwSyncTimeline swSyncTimelineCreate(String name) {
        return SwSync.open(module, name);
    }

    @Override
    public WaitAny waitAnyTimeout(List<DmaFence> fences, boolean interruptible, long timeoutNanos) {
        module.require(Symbol.DMA_FENCE_WAIT_ANY_TIMEOUT);
        if (fences != null) {
            for (DmaFence f : fences) {
                if (f != null) {
                    Fences.ours(f, "dma_fence_wait_any_timeout");
                }
            }
        }
        return Fences.waitAny(fences, interruptible, timeoutNanos);
    }

    // SYNC_IOC_SET_DEADLINE: an ioctl, open to every bundle
    @Override
    public void syncFileSetDeadline(int fd, long deadlineNanos) {
        FdCallers.unwoven(module, "syncFileSetDeadline", fd);
        syncFileSetDeadlineChecked(fd, deadlineNanos);
    }

    void syncFileSetDeadlineChecked(int fd, long deadlineNanos) {
        DmaFence f = module.syncFileFence(fd, "SYNC_IOC_SET_DEADLINE");
        try {
            f.setDeadline(deadlineNanos);
        } finally {
            f.put();
        }
    }

    // ww_acquire_init: an inline, open to every bundle
    @Override
    public org.dmabuf.api.fence.WwAcquireCtx wwAcquireInit() {
        if (module.isClosed()) {
            throw module.gone("ww_acquire_init");
        }
        return new org.dmabuf.framework.internal.fence.WwCtx();
    }

    @Override
    public boolean beginSignalling() {
        module.require(Symbol.DMA_FENCE_BEGIN_SIGNALLING);
        return org.dmabuf.framework.internal.fence.Lockdep.beginSignalling();
    }

    @Override
    public void endSignalling(boolean cookie) {
        module.require(Symbol.DMA_FENCE_END_SIGNALLING);
        org.dmabuf.framework.internal.fence.Lockdep.endSignalling(cookie);
    }

    @Override
    public void traceEmit(DmaFence fence) {
        module.require(Symbol.TRACEPOINT_DMA_FENCE_EMIT);
        if (fence == null) {
            throw new DmaBufException(Errno.EINVAL, "trace_dma_fence_emit: fence is null; expected the job's fence");
        }
        Fences.ours(fence, "trace_dma_fence_emit");
        org.dmabuf.framework.internal.trace.Trace.fenceEmit(fence.context(), fence.seqno(), fence.driverName(),
                fence.timelineName());
    }
}
