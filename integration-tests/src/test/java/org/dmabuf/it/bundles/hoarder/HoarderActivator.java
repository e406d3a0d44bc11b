// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.hoarder;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Heap;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * A careless driver: allocates from both heaps and holds every kind of
 * handle (fds, duplicated fds, references, attachments with mappings, pins,
 * virtual mappings, a transfer nobody receives), and lets go of nothing.
 */
public class HoarderActivator implements BundleActivator {
    /** Buffers it allocates from each of the system and contiguous heaps. */
    public static final int PER_HEAP = 8;

    // what it took, kept reachable: a hoarder holds its handles (the leak finder reports only unreachable ones)
    private final java.util.List<Object> kept = new java.util.ArrayList<>();

    @Override
    public void start(BundleContext context) throws Exception {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        Device gpu = context.getService(context.getServiceReferences(Device.class,
                "(" + Device.PROP_NAME + "=0000:01:00.0)").iterator().next());
        for (Heap heap : java.util.List.of(dmabuf.heap("system"), dmabuf.heap("default_cma_region"))) {
            for (int i = 0; i < PER_HEAP; i++) {
                int fd = heap.allocate(64 * 1024);
                dmabuf.dup(fd);
                DmaBuf buf = dmabuf.get(fd);
                kept.add(buf);
                kept.add(buf.get());
                buf.vmap();
                buf.attach(gpu).mapAttachment(DmaDirection.BIDIRECTIONAL);
                buf.dynamicAttach(gpu, org.dmabuf.api.ImporterOps.builder().invalidateMappings(a -> { }).build()).pin();
                dmabuf.send(fd);
            }
        }
    }

    @Override
    public void stop(BundleContext context) {
        // nothing, on purpose
    }
}
