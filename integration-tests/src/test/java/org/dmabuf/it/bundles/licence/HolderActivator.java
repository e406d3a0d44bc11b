// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.licence;

import java.util.Hashtable;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.DmaDirection;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * A driver that works: allocates a buffer, attaches the Intel GPU, maps it,
 * names it after its bundle, holds it all, and says so with a service
 * {@code (test.up=<bsn>)} carrying the buffer's inode number.
 */
public class HolderActivator implements BundleActivator {
    // what it holds, kept reachable: a driver that holds its handles (debug mode's leak finder reports, and lets
    // go of, only unreachable ones, which a GC would make of them at any moment)
    private final java.util.List<Object> kept = new java.util.ArrayList<>();

    @Override
    public void start(BundleContext context) throws Exception {
        ServiceReference<DmaBufService> ref = context.getServiceReference(DmaBufService.class);
        if (ref == null) {
            throw new IllegalStateException(context.getBundle().getSymbolicName() + " cannot see DmaBufService");
        }
        DmaBufService dmabuf = context.getService(ref);
        Device igpu = context.getService(context.getServiceReferences(Device.class,
                "(" + Device.PROP_NAME + "=0000:00:02.0)").iterator().next());
        int fd = dmabuf.heap("system").allocate(8192);
        DmaBuf buf = dmabuf.get(fd);
        String bsn = context.getBundle().getSymbolicName();
        buf.setName(bsn);
        Attachment a = buf.attach(igpu);
        kept.add(buf);
        kept.add(a);
        kept.add(a.mapAttachment(DmaDirection.BIDIRECTIONAL));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("test.up", bsn);
        props.put("test.ino", buf.inode());
        context.registerService(String.class, bsn, props);
    }

    @Override
    public void stop(BundleContext context) {
        // the framework cleans up
    }
}
