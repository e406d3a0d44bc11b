// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.console;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.Descriptor;
import org.dmabuf.api.Device;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.framework.internal.osgi.DefaultDeviceConfigs;
import org.dmabuf.framework.internal.osgi.DevicePlugEvents;
import org.dmabuf.framework.internal.osgi.SimulatedGpuComponent;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** Devices and the pipelines: {@code dmabuf:devices}, {@code plug}, {@code unplug}, {@code demo}. */
@Component(service = DeviceCommands.class, immediate = true, property = {
        "osgi.command.scope=dmabuf",
        "osgi.command.function=devices",
        "osgi.command.function=plug",
        "osgi.command.function=unplug",
        "osgi.command.function=demo",
        "osgi.command.function=displays"
})
public class DeviceCommands {
    private static final long WAIT_MS = 10_000;

    @Reference
    private ConfigurationAdmin configAdmin;
    @Reference
    private DevicePlugEvents events;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private final List<DisplayEngine> displays = new CopyOnWriteArrayList<>();

    private BundleContext context;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    private Configuration[] configurations() throws Exception {
        Configuration[] cs = configAdmin.listConfigurations("(service.factoryPid=" + SimulatedGpuComponent.FACTORY_PID + ")");
        if (cs == null) {
            return new Configuration[0];
        }
        Arrays.sort(cs, (a, b) -> String.valueOf(a.getProperties().get("name"))
                .compareTo(String.valueOf(b.getProperties().get("name"))));
        return cs;
    }

    @Descriptor("list the devices, plugged in or not, with the driver bound to each")
    public String devices() throws Exception {
        StringBuilder s = new StringBuilder(String.format("%-14s %-10s %-12s %-44s %-16s %-9s %s%n", "Device", "Kind",
                "Ids", "Model", "Engines", "State", "Driver"));
        for (Configuration c : configurations()) {
            var p = c.getProperties();
            String name = String.valueOf(p.get("name"));
            boolean plugged = !Boolean.FALSE.equals(p.get("plugged")) && !"false".equals(String.valueOf(p.get("plugged")));
            String driver = plugged ? driverOf(name) : "-";
            s.append(String.format("%-14s %-10s %-12s %-44s %-16s %-9s %s%n", name, p.get("kind"),
                    hex(p.get("vendor")) + ":" + hex(p.get("device")), p.get("model"),
                    String.join(",", engines(p.get("engines"))), plugged ? "plugged" : "unplugged", driver));
        }
        return s.toString();
    }

    private static String hex(Object id) {
        String s = String.valueOf(id).toLowerCase();
        return s.startsWith("0x") ? s.substring(2) : s;
    }

    private static List<String> engines(Object e) {
        if (e instanceof String[] a) {
            return List.of(SimulatedGpuComponent.engines(a));
        }
        return e == null ? List.of() : List.of(SimulatedGpuComponent.engines(new String[] {String.valueOf(e)}));
    }

    // the bundles using the device's service, but the framework's: the drivers bound to it
    private String driverOf(String name) throws Exception {
        var refs = context.getServiceReferences(Device.class, "(" + Device.PROP_NAME + "=" + name + ")");
        if (refs.isEmpty()) {
            return "(not yet registered)";
        }
        List<String> drivers = new ArrayList<>();
        Bundle self = FrameworkUtil.getBundle(DeviceCommands.class);
        for (ServiceReference<Device> r : refs) {
            Bundle[] users = r.getUsingBundles();
            if (users != null) {
                for (Bundle b : users) {
                    if (!b.equals(self)) {
                        drivers.add(b.getSymbolicName());
                    }
                }
            }
        }
        return drivers.isEmpty() ? "unbound" : String.join(",", drivers);
    }

    @Descriptor("plug in a new device of a kind (intel, nvidia, tegra-dc, tegra-gpu, mali), or an unplugged one again")
    public String plug(@Descriptor("a kind, or the name or pid of an unplugged device") String what) throws Exception {
        return plug(what, null);
    }

    @Descriptor("plug in a new device of a kind under a name of its own")
    public String plug(@Descriptor("intel, nvidia, tegra-dc, tegra-gpu or mali") String kind,
            @Descriptor("the new device's name (dev_name)") String name) throws Exception {
        String deviceName;
        if (DefaultDeviceConfigs.KINDS.containsKey(kind)) {
            deviceName = name != null ? name : String.valueOf(DefaultDeviceConfigs.KINDS.get(kind).get("name"));
            if (find(deviceName) != null) {
                Configuration c = find(deviceName);
                if (isPlugged(c)) {
                    throw new IllegalArgumentException("device " + deviceName + " is plugged in already; expected an"
                            + " unplugged device, or a new name: dmabuf:plug " + kind + " <name>");
                }
                events.expect(deviceName);
                setPlugged(c, true);
            } else {
                events.expect(deviceName);
                DefaultDeviceConfigs.create(configAdmin, kind, deviceName);
            }
        } else {
            Configuration c = find(kind);
            if (c == null) {
                throw new IllegalArgumentException("no device kind, name or pid '" + kind + "'; expected one of "
                        + DefaultDeviceConfigs.KINDS.keySet() + " or an unplugged device (dmabuf:devices)");
            }
            deviceName = String.valueOf(c.getProperties().get("name"));
            events.expect(deviceName);
            setPlugged(c, true);
        }
        if (!awaitDevice(deviceName, true)) {
            throw new IllegalStateException(deviceName + " did not appear within " + WAIT_MS + " ms");
        }
        return deviceName + ": plugged in, " + driverOf(deviceName).replace("unbound", "no driver bound");
    }

    @Descriptor("unplug a device: its drivers unbind, the fences of its engines are signalled with ENODEV")
    public String unplug(@Descriptor("the device's name or pid") String device) throws Exception {
        Configuration c = find(device);
        if (c == null || !isPlugged(c)) {
            throw new IllegalArgumentException("no plugged device '" + device + "'; expected a name or pid from"
                    + " dmabuf:devices");
        }
        String name = String.valueOf(c.getProperties().get("name"));
        events.expect(name);
        setPlugged(c, false);
        if (!awaitDevice(name, false)) {
            throw new IllegalStateException(name + " did not go within " + WAIT_MS + " ms");
        }
        return name + ": unplugged";
    }

    private Configuration find(String nameOrPid) throws Exception {
        for (Configuration c : configurations()) {
            if (nameOrPid.equals(c.getPid()) || nameOrPid.equals(String.valueOf(c.getProperties().get("name")))) {
                return c;
            }
        }
        return null;
    }

    private static boolean isPlugged(Configuration c) {
        return !"false".equals(String.valueOf(c.getProperties().get("plugged")));
    }

    private static void setPlugged(Configuration c, boolean plugged) throws Exception {
        Hashtable<String, Object> p = new Hashtable<>();
        var old = c.getProperties();
        for (var e = old.keys(); e.hasMoreElements(); ) {
            String k = e.nextElement();
            p.put(k, old.get(k));
        }
        p.put("plugged", plugged);
        c.update(p);
    }

    // waits for the change to take effect: the device's service registered (unregistered) and its drivers bound
    private boolean awaitDevice(String name, boolean present) throws InterruptedException {
        return events.await(name, present, WAIT_MS);
    }

    @Descriptor("run a pipeline for a number of frames and print frames shown, CRC matches, bad frames and fps")
    public String demo(@Descriptor("optimus (a render GPU for Intel's display), tegra (the GeForce-class GPU for"
            + " Tegra's display) or mali (the example lima driver's GPU for its display)") String pipeline) {
        return demo(pipeline, 300);
    }

    @Descriptor("run a pipeline for a number of frames and print frames shown, CRC matches, bad frames and fps")
    public String demo(@Descriptor("optimus, tegra or mali") String pipeline, @Descriptor("frames") int frames) {
        String kind = switch (pipeline) {
            case "optimus" -> "intel";
            case "tegra" -> "tegra-dc";
            case "mali" -> "mali";
            default -> throw new IllegalArgumentException("no pipeline '" + pipeline + "'; expected optimus, tegra"
                    + " or mali");
        };
        if (frames < 1) {
            throw new IllegalArgumentException("frames " + frames + "; expected at least 1");
        }
        DisplayEngine display = null;
        for (DisplayEngine d : displays) {
            if (kindOf(d).equals(kind)) {
                display = d;
            }
        }
        if (display == null) {
            throw new IllegalStateException("no " + kind + " display engine: its driver is not running or its device is"
                    + " unplugged (lb; dmabuf:devices)");
        }
        DisplayStats s = display.run(frames, TimeUnit.SECONDS.toNanos(60));
        String line = pipeline + ": " + display.driver() + " " + display.device().name() + ": " + s;
        if (s.shown() == 0) {
            throw new IllegalStateException(line + (pipeline.equals("tegra")
                    ? "; no GeForce-class renderer: nvidia is not running (dmabuf:policy export-symbol)"
                    : "; no renderer"));
        }
        return line;
    }

    @Descriptor("list the display engines: what each shows now, and its frames since it started")
    public String displays() {
        if (displays.isEmpty()) {
            return "no display engine (lb i915 tegra_drm; dmabuf:devices)";
        }
        StringBuilder s = new StringBuilder();
        for (DisplayEngine d : displays) {
            s.append(String.format("%s %s (%s): showing %s%n    %s%n", d.driver(), d.device().name(), kindOf(d),
                    d.source(), d.stats()));
        }
        return s.toString();
    }

    private String kindOf(DisplayEngine d) {
        try {
            var refs = context.getServiceReferences(Device.class, "(" + Device.PROP_NAME + "=" + d.device().name() + ")");
            return refs.isEmpty() ? "" : String.valueOf(refs.iterator().next().getProperty(SimulatedGpuComponent.PROP_KIND));
        } catch (Exception e) {
            return "";
        }
    }
}
