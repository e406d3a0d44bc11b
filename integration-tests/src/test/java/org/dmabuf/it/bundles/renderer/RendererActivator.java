// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.renderer;

import java.util.Hashtable;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.drm.RenderEngine;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A third-party render driver for the test provider's discrete GPU (vendor
 * 0x1002): it renders into the GPU's local memory ({@code vram@<device>})
 * and offers its frames to displays as a {@link RenderNode}.
 */
public class RendererActivator implements BundleActivator {
    private record Held(RenderEngine engine, ServiceRegistration<RenderNode> registration) {
    }

    private ServiceTracker<Device, Held> devices;

    @Override
    public void start(BundleContext context) throws Exception {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        DmaFenceService fences = context.getService(context.getServiceReference(DmaFenceService.class));
        devices = new ServiceTracker<>(context, FrameworkUtil.createFilter("(&(objectClass=" + Device.class.getName()
                + ")(dmabuf.vendor=0x1002))"), null) {
            @Override
            public Held addingService(ServiceReference<Device> ref) {
                Device d = context.getService(ref);
                RenderEngine engine = new RenderEngine("test.renderer", d, dmabuf, fences, "vram@" + d.name());
                Hashtable<String, Object> props = new Hashtable<>();
                props.put(Device.PROP_NAME, d.name());
                return new Held(engine, context.registerService(RenderNode.class, engine.asRenderNode(), props));
            }

            @Override
            public void removedService(ServiceReference<Device> ref, Held held) {
                held.registration().unregister();
                held.engine().close();
                context.ungetService(ref);
            }
        };
        devices.open();
    }

    @Override
    public void stop(BundleContext context) {
        devices.close();
    }
}
