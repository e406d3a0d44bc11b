// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.drm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.dmabuf.api.Device;
import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.display.FrameFormat;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.display.TestPattern;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.api.fence.FenceContext;

/**
 * A GPU render engine for a driver to register as a {@link RenderNode}: its
 * framebuffers are {@link DeviceMemory} from a heap (the device's local memory,
 * or contiguous memory), exported with the driver's name; jobs run on one
 * engine thread, each with a fence on the engine's timeline that is also the
 * buffer's WRITE fence. Everything acts through the driver's own views, so
 * the driver's grants apply.
 *
 * <p>The fence timeline is tied to the device: unplugging it, or stopping the
 * driver, signals every job not done with ENODEV.
 */
public final class RenderEngine implements RenderNode {
    /** The callbacks of the framebuffers: the memory is the framework's, so the buffers outlive the driver. */
    private static final DmaBufOps<DeviceMemory> FB_OPS = DmaBufOps.<DeviceMemory>builder()
            .attach((m, a) -> m.checkReach(a.device(), "dma_buf_attach"))
            .map((m, a, dir) -> m.segment())
            .unmap((m, a, seg, dir) -> { })
            .release(DeviceMemory::free)
            .vmap(DeviceMemory::segment)
            .build();

    private record Target(int fd, DmaBuf buf, DeviceMemory memory) {
    }

    private record Swapchain(FrameFormat format, List<Target> targets) {
    }

    private final String driver;
    private final Device device;
    private final DmaBufService dmabuf;
    private final String heap;
    private final FenceContext timeline;
    private final ExecutorService engine;
    private final Map<String, Swapchain> swapchains = new ConcurrentHashMap<>();
    private final java.util.Set<DmaFence> jobs = ConcurrentHashMap.newKeySet(); // queued, not done
    private final DmaFenceService fences;
    // whether the driver links the annotations (dma_fence_begin/end_signalling, the emit tracepoint): a driver
    // built against drm 2.0 does not, and renders on without them
    private volatile boolean annotated = true;
    private volatile boolean waitsForReaders = true; // whether the driver links sync_file_get_fence
    private volatile boolean closed;

    /**
     * @param driver the driver's name: exp_name of its buffers, and of its fences
     * @param device the GPU
     * @param dmabuf the driver's view of the DMA-BUF core
     * @param fences the driver's view of the fences
     * @param heap the heap framebuffers come from
     * @throws DmaBufException EBADF when the views are not the caller's own, nor given to it by their owner
     */
    public RenderEngine(String driver, Device device, DmaBufService dmabuf, DmaFenceService fences, String heap) {
        if (dmabuf != null) {
            dmabuf.checkLibraryCaller(); // the views are their caller's to give (docs/security.md): no stolen view
        }
        if (fences != null) {
            fences.checkLibraryCaller();
        }
        this.driver = driver;
        this.device = device;
        this.dmabuf = dmabuf;
        this.heap = heap;
        this.timeline = fences.contextAlloc(driver, "gfx@" + device.name(), device);
        this.fences = fences;
        this.engine = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, driver + " gfx " + device.name());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String driver() {
        return driver;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public List<FdTransfer> createSwapchain(String id, FrameFormat format, int count) {
        checkOpen();
        List<Target> targets = new ArrayList<>();
        List<FdTransfer> out = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                DeviceMemory m = dmabuf.heap(heap).allocateMemory(format.bytes());
                DmaBuf exported;
                try {
                    exported = dmabuf.export(ExportInfo.builder(FB_OPS, m, m.size()).expName(driver).build());
                } catch (RuntimeException e) {
                    m.free();
                    throw e;
                }
                exported.setName(driver + "-fb" + i);
                int fd = exported.fd(0);
                targets.add(new Target(fd, dmabuf.get(fd), m));
                out.add(dmabuf.send(fd));
            }
        } catch (RuntimeException e) {
            out.forEach(FdTransfer::cancel);
            drop(targets);
            throw e;
        }
        if (swapchains.putIfAbsent(id, new Swapchain(format, List.copyOf(targets))) != null) {
            out.forEach(FdTransfer::cancel);
            drop(targets);
            throw new DmaBufException(Errno.EINVAL, driver + ": swapchain '" + id + "' exists; expected a new id");
        }
        return out;
    }

    @Override
    public DmaFence render(String id, int index, long frame) {
        checkOpen();
        Swapchain s = swapchains.get(id);
        if (s == null || index < 0 || index >= s.targets().size()) {
            throw new DmaBufException(Errno.EINVAL, driver + ": no buffer " + index + " in swapchain '" + id
                    + "'; expected one made by createSwapchain");
        }
        Target t = s.targets().get(index);
        DmaFence before = prior(t); // implicit sync: a writer waits for everybody (processes' frames included)
        DmaFence job = timeline.next();
        DmaResv resv = t.buf().resv();
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(job, DmaResvUsage.WRITE);
        } finally {
            resv.unlock();
        }
        jobs.add(job);
        try {
            engine.execute(() -> {
                if (before != null) { // its dependencies, before the signalling section, as drm_sched waits for them
                    before.waitTimeout(DEPENDENCY_WAIT_NANOS, false);
                    before.put();
                }
                // the job's run and completion is a fence signalling critical section, as drm_sched's run_job:
                // waiting for a fence or taking a reservation lock here can deadlock, and lockdep says so
                boolean cookie = beginSignalling();
                try {
                    traceEmit(job); // trace_dma_fence_emit: the job reaches the engine
                    if (!job.isSignaled() && t.memory().reachable()) {
                        TestPattern.render(t.memory().segment(), s.format(), frame);
                    }
                    job.signal(); // an abandoned job was signalled with ENODEV already
                } catch (IllegalStateException released) {
                    fail(job); // the framebuffer was released under a queued job: its memory is gone
                } finally {
                    endSignalling(cookie);
                    jobs.remove(job);
                }
            });
        } catch (RejectedExecutionException e) {
            fail(job);
            throw new DmaBufException(Errno.ENODEV, driver + ": the render engine of " + device.name()
                    + " has stopped; expected a running driver");
        }
        return job;
    }

    @Override
    public void destroySwapchain(String id) {
        Swapchain s = swapchains.remove(id);
        if (s != null) {
            drop(s.targets());
        }
    }

    private void drop(List<Target> targets) {
        for (Target t : targets) {
            try {
                t.buf().put();
                dmabuf.close(t.fd());
            } catch (DmaBufException gone) {
                // the driver's view is closed already: the framework dropped them
            }
        }
    }

    /** How long a job waits at most for the fences already in its buffer (a reader that never lets go). */
    static final long DEPENDENCY_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

    // the fences in the buffer now that a write must wait for (EXPORT_SYNC_FILE for a write, as a userspace
    // driver's implicit sync does); null when there is none pending, or the driver does not link the call
    private DmaFence prior(Target t) {
        if (!waitsForReaders) {
            return null;
        }
        try {
            int sync = t.buf().exportSyncFile(DmaBuf.SYNC_WRITE);
            try {
                DmaFence f = fences.syncFileGetFence(sync);
                if (f.isSignaled()) {
                    f.put();
                    return null;
                }
                return f;
            } finally {
                dmabuf.close(sync);
            }
        } catch (DmaBufException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
            waitsForReaders = false; // a driver built before: it does not link sync_file_get_fence
            org.slf4j.LoggerFactory.getLogger("drm").info("{}: render jobs do not wait for the readers of their"
                    + " buffers: {}", driver, e.getMessage());
            return null;
        }
    }

    // the annotations are for checking and tracing: a driver whose view lacks their symbols (built before them)
    // loses them, never its rendering
    private boolean beginSignalling() {
        if (annotated) {
            try {
                return fences.beginSignalling();
            } catch (DmaBufException e) {
                unannotated(e);
            }
        }
        return true;
    }

    private void endSignalling(boolean cookie) {
        if (annotated) {
            try {
                fences.endSignalling(cookie);
            } catch (DmaBufException e) {
                unannotated(e);
            }
        }
    }

    private void traceEmit(DmaFence job) {
        if (annotated) {
            try {
                fences.traceEmit(job);
            } catch (DmaBufException e) {
                unannotated(e);
            }
        }
    }

    private void unannotated(DmaBufException e) {
        if (e.errno() != Errno.ENOENT) {
            throw e;
        }
        annotated = false;
        org.slf4j.LoggerFactory.getLogger("drm").info("{}: render jobs run without fence signalling annotations"
                + " and the emit tracepoint: {} (rebuild the driver against drm 2.1 to link them)", driver,
                e.getMessage());
    }

    // a job that will never run: its waiters are told the engine is gone
    private void fail(DmaFence job) {
        try {
            job.setError(Errno.ENODEV.code());
        } catch (DmaBufException signalledMeanwhile) {
            // done or abandoned first
        }
        job.signal();
        jobs.remove(job);
    }

    /** Stops the engine (the driver unbinds): queued jobs are dropped and their fences signalled with ENODEV. */
    public void close() {
        closed = true;
        engine.shutdownNow();
        jobs.forEach(this::fail);
        for (String id : List.copyOf(swapchains.keySet())) {
            destroySwapchain(id);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new DmaBufException(Errno.ENODEV, driver + ": the render engine of " + device.name()
                    + " has stopped; expected a running driver");
        }
    }

    /**
     * @return this engine as a driver registers it: a {@link RenderNode}
     *         whose public methods are the interface's only, so that a
     *         display (or anyone) holding the service cannot {@link #close}
     *         the engine; one object per engine
     */
    public RenderNode asRenderNode() {
        return node;
    }

    private final RenderNode node = new RenderNode() {
        @Override
        public String driver() {
            return RenderEngine.this.driver();
        }

        @Override
        public Device device() {
            return RenderEngine.this.device();
        }

        @Override
        public List<FdTransfer> createSwapchain(String id, FrameFormat format, int count) {
            return RenderEngine.this.createSwapchain(id, format, count);
        }

        @Override
        public DmaFence render(String id, int index, long frame) {
            return RenderEngine.this.render(id, index, frame);
        }

        @Override
        public void destroySwapchain(String id) {
            RenderEngine.this.destroySwapchain(id);
        }

        @Override
        public String toString() {
            return RenderEngine.this.toString();
        }
    };

    @Override
    public String toString() {
        return driver + " " + device.name();
    }
}
