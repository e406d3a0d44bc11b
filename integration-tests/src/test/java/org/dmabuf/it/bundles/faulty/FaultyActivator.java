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
 * lock at start and parks forever, deaf to interrupts.</li>
 * </ul>
 * Header {@value #OPS_HEADER}, a comma-separated list of operations
 * ({@code map_dma_buf}, {@code attach}...), limits the fault to those.
 * It cleans nothing up at stop: the framework must.
 */
public class FaultyActivator implements BundleActivator {
    /** The header that chooses the fault. */
    public static final String HEADER = "Test-Fault";
    /** The header that limits the fault to some operations. */
    public static final String OPS_HEADER = "Test-Fault-Ops";
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
        FdTransfer transfer = dmabuf.send(buf.fd(0));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("test.fault", fault);
        props.put("test.ino", buf.inode());
        ctx.registerService(FdTransfer.class, transfer, props);
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
