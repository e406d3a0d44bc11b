// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.importer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Hashtable;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.Mapping;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A test importer: receives the buffer an exporter offers, attaches the
 * Intel GPU, maps it, checks every byte of the pattern through the mapping
 * (the exporter's memory itself) and publishes the verdict as a service
 * ({@code test.result}). It keeps everything it holds: the framework must
 * clean it up when it stops.
 */
public class ImporterActivator implements BundleActivator {
    private ServiceTracker<FdTransfer, FdTransfer> tracker;
    // held on purpose until the bundle stops
    DmaBuf buf;
    Attachment attachment;
    Mapping mapping;

    @Override
    public void start(BundleContext context) throws Exception {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        ServiceReference<Device> devRef = context.getServiceReferences(Device.class,
                "(" + Device.PROP_NAME + "=0000:00:02.0)").iterator().next();
        Device igpu = context.getService(devRef);
        tracker = new ServiceTracker<>(context, FdTransfer.class, null) {
            @Override
            public FdTransfer addingService(ServiceReference<FdTransfer> reference) {
                FdTransfer t = context.getService(reference);
                String verdict;
                long checked = 0;
                try {
                    int fd = dmabuf.receive(t);
                    buf = dmabuf.get(fd);
                    attachment = buf.attach(igpu);
                    mapping = attachment.mapAttachment(DmaDirection.FROM_DEVICE);
                    MemorySegment seg = mapping.segment();
                    verdict = "ok";
                    for (long i = 0; i < seg.byteSize(); i++, checked++) {
                        byte want = (byte) (i * 31 + 7);
                        if (seg.get(ValueLayout.JAVA_BYTE, i) != want) {
                            verdict = "byte " + i + " is " + seg.get(ValueLayout.JAVA_BYTE, i) + ", expected " + want;
                            break;
                        }
                    }
                } catch (RuntimeException e) {
                    verdict = e.toString();
                }
                Hashtable<String, Object> props = new Hashtable<>();
                props.put("test.result", verdict);
                props.put("test.checked", checked);
                context.registerService(String.class, verdict, props);
                return t;
            }
        };
        tracker.open();
    }

    @Override
    public void stop(BundleContext context) {
        tracker.close(); // and nothing else: the framework unmaps, detaches and drops
    }
}
