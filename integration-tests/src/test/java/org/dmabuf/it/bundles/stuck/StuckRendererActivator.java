// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.stuck;

import java.util.Hashtable;
import java.util.List;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.display.FrameFormat;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.fence.FenceContext;
import org.dmabuf.drm.RenderEngine;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A render driver whose GPU hangs: for the devices of vendor 0x1235 it hands
 * out real framebuffers (exported by the DRM helper), ranked above every other
 * render node, but no render ever completes: each returns a fence of its own
 * timeline that nothing signals, until the bundle stops.
 */
public class StuckRendererActivator implements BundleActivator {
    private ServiceTracker<Device, RenderEngine> devices;

    @Override
    public void start(BundleContext context) throws Exception {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        DmaFenceService fences = context.getService(context.getServiceReference(DmaFenceService.class));
        FenceContext hung = fences.contextAlloc("test.stuck", "hung");
        devices = new ServiceTracker<>(context, FrameworkUtil.createFilter("(&(objectClass=" + Device.class.getName()
                + ")(dmabuf.vendor=0x1235))"), null) {
            @Override
            public RenderEngine addingService(ServiceReference<Device> ref) {
                Device d = context.getService(ref);
                RenderEngine buffers = new RenderEngine("test.stuck", d, dmabuf, fences, "system");
                Hashtable<String, Object> props = new Hashtable<>();
                props.put(Device.PROP_NAME, d.name());
                props.put(Constants.SERVICE_RANKING, 100);
                context.registerService(RenderNode.class, new RenderNode() {
                    public String driver() {
                        return "test.stuck";
                    }

                    public Device device() {
                        return d;
                    }

                    public List<FdTransfer> createSwapchain(String id, FrameFormat format, int count) {
                        return buffers.createSwapchain(id, format, count);
                    }

                    public DmaFence render(String id, int index, long frame) {
                        return hung.next(); // the GPU hangs: signalled only when the bundle stops
                    }

                    public void destroySwapchain(String id) {
                        buffers.destroySwapchain(id);
                    }
                }, props);
                return buffers;
            }

            @Override
            public void removedService(ServiceReference<Device> ref, RenderEngine buffers) {
                buffers.close();
            }
        };
        devices.open();
    }

    @Override
    public void stop(BundleContext context) {
        devices.close();
    }
}
