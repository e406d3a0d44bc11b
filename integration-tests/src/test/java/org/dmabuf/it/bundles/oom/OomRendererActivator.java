// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.oom;

import java.util.Hashtable;
import java.util.List;

import org.dmabuf.api.Device;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.display.FrameFormat;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.fence.DmaFence;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A render driver gone wrong: for the devices of vendor 0x1234 it offers a
 * render node, ranked above every other, whose every swapchain throws an
 * {@link OutOfMemoryError}, as a driver's callback can.
 */
public class OomRendererActivator implements BundleActivator {
    private ServiceTracker<Device, Device> devices;

    @Override
    public void start(BundleContext context) throws Exception {
        devices = new ServiceTracker<>(context, FrameworkUtil.createFilter("(&(objectClass=" + Device.class.getName()
                + ")(dmabuf.vendor=0x1234))"), null) {
            @Override
            public Device addingService(ServiceReference<Device> ref) {
                Device d = context.getService(ref);
                Hashtable<String, Object> props = new Hashtable<>();
                props.put(Device.PROP_NAME, d.name());
                props.put(Constants.SERVICE_RANKING, 100);
                context.registerService(RenderNode.class, new RenderNode() {
                    public String driver() {
                        return "test.oom";
                    }

                    public Device device() {
                        return d;
                    }

                    public List<FdTransfer> createSwapchain(String id, FrameFormat format, int count) {
                        throw new OutOfMemoryError("test.oom: no memory for a swapchain");
                    }

                    public DmaFence render(String id, int index, long frame) {
                        throw new OutOfMemoryError("test.oom: no memory to render");
                    }

                    public void destroySwapchain(String id) {
                    }
                }, props);
                return d;
            }
        };
        devices.open();
    }

    @Override
    public void stop(BundleContext context) {
        devices.close();
    }
}
