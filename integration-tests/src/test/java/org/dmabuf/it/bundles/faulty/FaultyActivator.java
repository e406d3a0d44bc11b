// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.faulty;

import java.util.Hashtable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.FdTransfer;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * A driver with a fault injected, chosen by its {@value #HEADER} header: it
 * exports one buffer of heap memory and offers it as an {@link FdTransfer}
 * service (property {@code test.fault}), and misbehaves as told:
 * <ul>
 * <li>{@code throw}: every callback throws a RuntimeException;</li>
 * <li>{@code error}: every callback throws an Error;</li>
 * <li>{@code block}: every callback blocks forever, deaf to interrupts, after
 * announcing itself as a service with property {@code test.fault.entered}
 * (the operation);</li>
 * <li>{@code hold-lock}: a thread of its own takes the buffer's reservation
 * lock at start and parks forever, deaf to interrupts;</li>
 * <li>{@code no-signal}: adds a write fence of its own to its buffer and
 * never signals it (header {@value #FENCE_TIMEOUT_HEADER}: its context's job
 * timeout in ms, signalling on it);</li>
 * <li>{@code double-put}: puts a reference twice;</li>
 * <li>{@code use-after-release}: reads a 2 MiB buffer's vmap after the buffer
 * was released;</li>
 * <li>{@code detach-foreign}: detaches another bundle's attachment (an
 * {@code Attachment} service with property {@code test.victim}, of the
 * buffer the {@code FdTransfer} service with the same property carries);</li>
 * <li>{@code thread}: a thread of its own allocates and frees buffers in a
 * loop, and goes on after the bundle stopped, until a call fails
 * ({@link #THREAD_END} records how).</li>
 * </ul>
 * What the misuse answered is registered as a {@code String} service with
 * properties {@code test.fault} and {@code test.result}.
 * Header {@value #OPS_HEADER}, a comma-separated list of operations
 * ({@code map_dma_buf}, {@code attach}...), limits the fault to those.
 * It cleans nothing up at stop: the framework must.
 */
public class FaultyActivator implements BundleActivator {
    /** The header that chooses the fault. */
    public static final String HEADER = "Test-Fault";
    /** The header that limits the fault to some operations. */
    public static final String OPS_HEADER = "Test-Fault-Ops";
    /** The header with the job timeout of the {@code no-signal} fault's context, in milliseconds. */
    public static final String FENCE_TIMEOUT_HEADER = "Test-Fence-Timeout-Ms";
    /** How the {@code thread} fault's thread ended: the message of the call that failed. */
    public static final java.util.concurrent.CompletableFuture<String> THREAD_END =
            new java.util.concurrent.CompletableFuture<>();
    /** The buffer's size. */
    public static final int SIZE = 4096;

    private volatile BundleContext context;
    private String fault;
    private java.util.Set<String> ops;
    private ServiceRegistration<Object> entered;

    @Override
    public void start(BundleContext ctx) throws Exception {
        context = ctx;
        fault = ctx.getBundle().getHeaders().get(HEADER);
        String only = ctx.getBundle().getHeaders().get(OPS_HEADER);
        ops = only == null ? null : java.util.Set.of(only.split("\\s*,\\s*"));
        DmaBufService dmabuf = ctx.getService(ctx.getServiceReference(DmaBufService.class));
        DeviceMemory mem = dmabuf.heap("system").allocateMemory(SIZE);
        DmaBufOps<DeviceMemory> ops = DmaBufOps.<DeviceMemory>builder()
                .attach((m, a) -> fault("attach"))
                .detach((m, a) -> fault("detach"))
                .map((m, a, dir) -> {
                    fault("map_dma_buf");
                    return m.segment();
                })
                .unmap((m, a, seg, dir) -> fault("unmap_dma_buf"))
                .release(m -> {
                    fault("release");
                    m.free();
                })
                .beginCpuAccess((m, dir) -> fault("begin_cpu_access"))
                .endCpuAccess((m, dir) -> fault("end_cpu_access"))
                .vmap(m -> {
                    fault("vmap");
                    return m.segment();
                })
                .vunmap((m, seg) -> fault("vunmap"))
                .mmap((m, off, len) -> {
                    fault("mmap");
                    return m.segment().asSlice(off, len);
                })
                .build();
        DmaBuf buf = dmabuf.export(ExportInfo.builder(ops, mem, SIZE).expName("test-faulty").build());
        buf.setName("faulty-" + fault);
        if ("hold-lock".equals(fault)) {
            CountDownLatch locked = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                buf.resv().lock();
                locked.countDown();
                parkForever();
            }, ctx.getBundle().getSymbolicName() + " holding a reservation lock");
            t.setDaemon(true);
            t.start();
            locked.await();
        }
        switch (fault) {
            case "no-signal" -> noSignal(ctx, buf);
            case "double-put" -> {
                DmaBuf extra = buf.get();
                extra.put();
                result(ctx, attempt(extra::put));
            }
            case "use-after-release" -> result(ctx, useAfterRelease(dmabuf));
            case "detach-foreign" -> result(ctx, detachForeign(ctx, dmabuf));
            case "thread" -> {
                Thread t = new Thread(() -> {
                    try {
                        while (true) {
                            dmabuf.close(dmabuf.heap("system").allocate(SIZE));
                        }
                    } catch (RuntimeException e) {
                        THREAD_END.complete(e.getMessage());
                    }
                }, ctx.getBundle().getSymbolicName() + " worker, never stopped");
                t.setDaemon(true);
                t.start();
            }
            default -> {
            }
        }
        FdTransfer transfer = dmabuf.send(buf.fd(0));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("test.fault", fault);
        props.put("test.ino", buf.inode());
        ctx.registerService(FdTransfer.class, transfer, props);
    }

    private static void noSignal(BundleContext ctx, DmaBuf buf) {
        org.dmabuf.api.fence.DmaFenceService fences = ctx.getService(
                ctx.getServiceReference(org.dmabuf.api.fence.DmaFenceService.class));
        org.dmabuf.api.fence.FenceContext ring = fences.contextAlloc("test.faulty", "ring");
        String ms = ctx.getBundle().getHeaders().get(FENCE_TIMEOUT_HEADER);
        if (ms != null) {
            ring.setTimeout(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(Long.parseLong(ms)), true);
        }
        org.dmabuf.api.fence.DmaFence job = ring.next(); // the GPU hangs: never signalled
        org.dmabuf.api.fence.DmaResv resv = buf.resv();
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(job, org.dmabuf.api.fence.DmaResvUsage.WRITE);
        } finally {
            resv.unlock();
        }
    }

    private static String useAfterRelease(DmaBufService dmabuf) {
        int fd = dmabuf.heap("system").allocate(2L << 20);
        DmaBuf big = dmabuf.get(fd);
        java.lang.foreign.MemorySegment view = big.vmap();
        view.fill((byte) 0x5a);
        big.vunmap(view);
        big.put();
        dmabuf.close(fd); // released: its memory is freed
        try {
            return "read " + view.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) + " after release";
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private static String detachForeign(BundleContext ctx, DmaBufService dmabuf) throws Exception {
        var atts = ctx.getServiceReferences(org.dmabuf.api.Attachment.class, "(test.victim=*)");
        var xfers = ctx.getServiceReferences(FdTransfer.class, "(test.victim=*)");
        org.dmabuf.api.Attachment foreign = ctx.getService(atts.iterator().next());
        int fd = dmabuf.receive(ctx.getService(xfers.iterator().next()));
        DmaBuf same = dmabuf.get(fd);
        String r = attempt(() -> same.detach(foreign));
        same.put();
        dmabuf.close(fd);
        return r + "; still attached: " + foreign.isAttached();
    }

    private static String attempt(Runnable misuse) {
        try {
            misuse.run();
            return "no error";
        } catch (org.dmabuf.api.DmaBufException e) {
            return e.errno() + ": " + e.getMessage();
        }
    }

    private static void result(BundleContext ctx, String r) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("test.fault", ctx.getBundle().getHeaders().get(HEADER));
        props.put("test.result", r);
        ctx.registerService(String.class, r, props);
    }

    private void fault(String op) {
        if (ops != null && !ops.contains(op)) {
            return;
        }
        switch (fault) {
            case "throw" -> throw new IllegalStateException("injected fault in " + op);
            case "error" -> throw new AssertionError("injected fault in " + op);
            case "block" -> {
                announce(op);
                parkForever();
            }
            default -> {
            }
        }
    }

    private synchronized void announce(String op) {
        if (entered == null) {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("test.fault.entered", op);
            entered = context.registerService(Object.class, new Object(), props);
        }
    }

    // a GPU that never answers, and a driver that ignores being told to give up
    private static void parkForever() {
        while (true) {
            LockSupport.park();
        }
    }

    @Override
    public void stop(BundleContext ctx) {
        // nothing: the framework cleans up
    }
}
