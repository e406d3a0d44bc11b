// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.fencer;

import java.util.Hashtable;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.api.fence.DmaResvUsage;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * A renderer that starts a job and never finishes it: it allocates a buffer,
 * puts an unsignalled WRITE fence of its own timeline in the buffer's
 * reservation object, and offers the buffer to others. Only its stopping can
 * release the waiters.
 */
public class FencerActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        DmaFenceService fences = context.getService(context.getServiceReference(DmaFenceService.class));
        int fd = dmabuf.heap("system").allocate(4096);
        DmaBuf buf = dmabuf.get(fd);
        buf.setName("rendering");
        DmaFence job = fences.contextAlloc("test.fencer", "render").create(1);
        DmaResv resv = buf.resv();
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(job, DmaResvUsage.WRITE);
        } finally {
            resv.unlock();
        }
        FdTransfer t = dmabuf.send(fd);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("test.rendering", buf.inode());
        context.registerService(FdTransfer.class, t, props);
    }

    @Override
    public void stop(BundleContext context) {
        // the job never completes: the framework must signal its fence
    }
}
