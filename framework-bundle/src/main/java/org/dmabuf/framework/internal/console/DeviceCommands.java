// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.console;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.dmabuf.api.Device;
import org.dmabuf.framework.internal.device.DeviceTable;
import org.dmabuf.framework.internal.device.KernelDevice;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * {@code dmabuf:devices}: every device present, whoever added it (the
 * simulated board, a test's provider, real hardware), with the drivers bound
 * to it, as {@code /sys/bus/*&#47;devices} and their {@code driver} links show
 * it. Plugging devices in and out is the providers' business (the simulated
 * hardware's {@code dmabuf:plug}, {@code dmabuf:unplug}).
 */
public final class DeviceCommands {
    /** The console functions. */
    public static final String[] FUNCTIONS = {"devices"};

    private final DeviceTable devices;
    private final BundleContext context;

    /**
     * @param devices the devices present
     * @param context the framework bundle's context, to find the drivers bound to each
     */
    public DeviceCommands(DeviceTable devices, BundleContext context) {
        this.devices = devices;
        this.context = context;
    }

    @Descriptor("list the devices present, with the driver bound to each")
    public String devices() {
        Columns t = new Columns("Device", "Kind", "Ids", "Model", "Engines", "State", "Driver");
        for (KernelDevice d : devices.list()) {
            var p = DeviceTable.infoOf(d).properties();
            Object kind = p.getOrDefault("dmabuf.kind", "-");
            Object engines = p.get("dmabuf.engines");
            t.row(d.name(), kind, String.format("%04x:%04x", d.vendorId(), d.deviceId()), d.model(),
                    engines instanceof String[] a ? String.join(",", a) : engines == null ? "-" : engines, "plugged",
                    drivers(d.name()));
        }
        return t.toString();
    }

    // the bundles that use the device's service: the drivers bound to it
    private String drivers(String name) {
        List<String> out = new ArrayList<>();
        try {
            for (ServiceReference<Device> r : context.getServiceReferences(Device.class, "(" + Device.PROP_NAME + "="
                    + name + ")")) {
                Bundle[] users = r.getUsingBundles();
                if (users != null) {
                    for (Bundle b : users) {
                        out.add(b.getSymbolicName());
                    }
                }
            }
        } catch (InvalidSyntaxException e) {
            return "?";
        }
        return out.isEmpty() ? "unbound" : String.join(",", out);
    }
}
