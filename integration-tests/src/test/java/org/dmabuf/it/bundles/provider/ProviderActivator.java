// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.provider;

import java.util.Hashtable;

import org.dmabuf.api.device.DeviceBus;
import org.dmabuf.api.device.DeviceInfo;
import org.dmabuf.api.device.DeviceRegistration;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * A device provider the framework did not write (a real bus driver, or
 * another simulator), using only the public device interface: it adds an
 * Intel integrated GPU (i915 binds it) and a discrete GPU with 64 MiB of
 * device-local memory ({@code vram@0000:03:00.0}), and offers a
 * {@link Runnable} per device that unplugs it ({@code test.unplug=<name>}).
 * It leaves the devices plugged in when it stops: the framework unplugs them.
 */
public class ProviderActivator implements BundleActivator {
    /** The discrete GPU's local memory. */
    public static final long VRAM = 64L << 20;

    @Override
    public void start(BundleContext context) {
        DeviceBus bus = context.getService(context.getServiceReference(DeviceBus.class));
        offer(context, bus.add(DeviceInfo.builder("0000:00:02.0").ids(0x8086, 0x9a49)
                .model("Intel UHD Graphics (test provider)").iommu(true)
                .property("dmabuf.engines", new String[] {"render", "display"}).build()));
        DeviceRegistration dgpu = bus.add(DeviceInfo.builder("0000:03:00.0").ids(0x1002, 0x73bf)
                .model("AMD Radeon RX 6800 (test provider)").iommu(true)
                .property("dmabuf.engines", new String[] {"render"}).build());
        dgpu.addLocalMemory(VRAM);
        offer(context, dgpu);
    }

    private static void offer(BundleContext context, DeviceRegistration r) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("test.unplug", r.device().name());
        context.registerService(Runnable.class, r::unplug, props);
    }

    @Override
    public void stop(BundleContext context) {
        // the devices stay plugged in: the framework unplugs what a stopping provider leaves
    }
}
