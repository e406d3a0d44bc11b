// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.util.ArrayList;
import java.util.List;

import org.dmabuf.api.Device;
import org.dmabuf.framework.internal.device.SimulatedDevice;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The machine's devices: an Intel integrated GPU, an NVIDIA discrete GPU and
 * a Tegra display controller, each registered as a {@link Device} service.
 */
@Component(immediate = true)
public class DefaultDevices {
    /** Intel's PCI vendor id. */
    public static final int INTEL = 0x8086;
    /** NVIDIA's PCI vendor id. */
    public static final int NVIDIA = 0x10de;

    private final List<SimulatedDevice> devices = List.of(
            new SimulatedDevice("0000:00:02.0", INTEL, 0x9a49, "Intel Iris Xe Graphics (TGL GT2)", true),
            new SimulatedDevice("0000:01:00.0", NVIDIA, 0x2520, "NVIDIA GeForce RTX 3060 Mobile", true),
            new SimulatedDevice("54200000.dc", NVIDIA, 0x0fa0, "NVIDIA Tegra display controller", true));
    private final List<ServiceRegistration<Device>> regs = new ArrayList<>();

    @Activate
    void activate(BundleContext context) {
        for (SimulatedDevice d : devices) {
            regs.add(context.registerService(Device.class, d, d.serviceProperties()));
        }
    }

    @Deactivate
    void deactivate() {
        regs.forEach(ServiceRegistration::unregister);
        regs.clear();
        devices.forEach(SimulatedDevice::unplug);
    }
}
