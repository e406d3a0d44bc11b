// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.buggy;

import java.util.Hashtable;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.fence.FenceContext;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * A driver with the bugs lockdep and ref_tracker are for, planted where a
 * real driver makes them. As {@code Buggy-Role: first} it allocates two
 * buffers, waits for a fence inside its own fence signalling section (a
 * deadlock waiting to happen: the job it completes may depend on that fence),
 * locks the buffers A then B without an acquire context, drops a reference
 * without {@code dma_buf_put}, and passes both buffers' fds on as services;
 * as {@code Buggy-Role: second} it receives them and locks B then A: with the
 * first, a lock-order inversion across two bundles.
 */
public class BuggyActivator implements BundleActivator {
    /** The service property naming which buffer a transfer carries. */
    public static final String BUFFER = "buggy.buffer";

    @Override
    public void start(BundleContext context) throws Exception {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        DmaFenceService fences = context.getService(context.getServiceReference(DmaFenceService.class));
        if ("first".equals(context.getBundle().getHeaders().get("Buggy-Role"))) {
            int a = dmabuf.heap("system").allocate(4096);
            int b = dmabuf.heap("system").allocate(4096);
            signalling(fences);
            lockInOrder(dmabuf, a, b);
            leak(dmabuf, a);
            for (String name : new String[] {"A", "B"}) {
                Hashtable<String, Object> props = new Hashtable<>();
                props.put(BUFFER, name);
                context.registerService(FdTransfer.class, dmabuf.send(name.equals("A") ? a : b), props);
            }
        } else {
            int a = dmabuf.receive(transfer(context, "A"));
            int b = dmabuf.receive(transfer(context, "B"));
            lockInOrder(dmabuf, b, a);
        }
    }

    private static FdTransfer transfer(BundleContext context, String name) throws Exception {
        ServiceReference<FdTransfer> ref = context.getServiceReferences(FdTransfer.class, "(" + BUFFER + "=" + name
                + ")").iterator().next();
        return context.getService(ref);
    }

    // the job's completion path: begin signalling, then, wrongly, wait for another fence
    private static void signalling(DmaFenceService fences) {
        FenceContext ctx = fences.contextAlloc("buggy", "ring0");
        DmaFence other = ctx.next();
        other.signal(); // signalled: the bug is in the code, not in this run's timing, and lockdep sees it
        boolean cookie = fences.beginSignalling();
        try {
            other.waitTimeout(1_000_000, false);
        } finally {
            fences.endSignalling(cookie);
        }
        other.put();
    }

    // two reservation locks nested without an acquire context (DmaResv.lock(WwAcquireCtx) is the right way)
    private static void lockInOrder(DmaBufService dmabuf, int first, int second) {
        DmaBuf x = dmabuf.get(first);
        DmaBuf y = dmabuf.get(second);
        x.resv().lock();
        try {
            y.resv().lock();
            y.resv().unlock();
        } finally {
            x.resv().unlock();
        }
        x.put();
        y.put();
    }

    // a reference taken and forgotten
    private static void leak(DmaBufService dmabuf, int fd) {
        DmaBuf forgotten = dmabuf.get(fd);
        forgotten.name(); // used, never put
    }

    @Override
    public void stop(BundleContext context) {
    }
}
