// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.dmabuf.api.Device;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The simulated devices at the console: {@code dmabuf:devices}, {@code plug},
 * {@code unplug}. Each change returns once it has fully taken effect (the
 * drivers bound or unbound), as {@code udevadm settle} waits.
 */
@Component(service = DeviceCommands.class, immediate = true, property = {
        "osgi.command.scope=dmabuf",
        "osgi.command.function=devices",
        "osgi.command.function=plug",
        "osgi.command.function=unplug"
})
public class DeviceCommands {
    private static final long WAIT_MS = 10_000;

    @Reference
    private ConfigurationAdmin configAdmin;
    @Reference
    private DevicePlugEvents events;
    @Reference
    private Board board;

    private BundleContext context;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    private Configuration[] configurations() throws Exception {
        Configuration[] cs = configAdmin.listConfigurations("(service.factoryPid=" + SimulatedGpu.FACTORY_PID + ")");
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
        java.util.Set<String> simulated = new java.util.HashSet<>();
        for (Configuration c : configurations()) {
            simulated.add(String.valueOf(c.getProperties().get("name")));
        }
        // devices other providers added through the DeviceBus: their kind is their provider
        for (ServiceReference<Device> r : context.getServiceReferences(Device.class, null)) {
            String name = String.valueOf(r.getProperty(Device.PROP_NAME));
            if (!simulated.contains(name)) {
                s.append(String.format("%-14s %-10s %-12s %-44s %-16s %-9s %s%n", name, "(" + r.getProperty("dmabuf.provider") + ")",
                        hex(r.getProperty(Device.PROP_VENDOR)) + ":" + hex(r.getProperty(Device.PROP_DEVICE)),
                        r.getProperty("dmabuf.model"), String.join(",", engines(r.getProperty(SimulatedGpu.PROP_ENGINES))),
                        "plugged", driverOf(name)));
            }
        }
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
            return List.of(SimulatedGpu.engines(a));
        }
        return e == null ? List.of() : List.of(SimulatedGpu.engines(new String[] {String.valueOf(e)}));
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

    @Descriptor("plug in a device of a kind (any kind a configuration names: dmabuf:devices), or an unplugged one"
            + " again by name")
    public String plug(@Descriptor("a kind, or the name or pid of an unplugged device") String what) throws Exception {
        Configuration c = find(what);
        if (c == null) { // a kind: its first unplugged device
            for (Configuration k : configurations()) {
                if (what.equals(String.valueOf(k.getProperties().get("kind"))) && !isPlugged(k)) {
                    c = k;
                    break;
                }
            }
        }
        if (c == null) {
            java.util.Dictionary<String, Object> template = board.kinds().get(what);
            if (template == null) {
                throw new IllegalArgumentException(unknown(what));
            }
            String name = String.valueOf(template.get("name"));
            if (find(name) != null) {
                throw new IllegalArgumentException("every device of kind " + what + " is plugged in already; expected"
                        + " a new name for another: dmabuf:plug " + what + " <name>");
            }
            return plug(what, name); // a kind the board knows, not plugged in at start
        }
        if (isPlugged(c)) {
            throw new IllegalArgumentException("device " + c.getProperties().get("name") + " is plugged in already;"
                    + " expected an unplugged device, or a new one: dmabuf:plug <kind> <name>");
        }
        String deviceName = String.valueOf(c.getProperties().get("name"));
        events.expect(deviceName);
        setPlugged(c, true);
        return settled(deviceName);
    }

    @Descriptor("plug in a new device of a kind under a name of its own")
    public String plug(@Descriptor("a kind some configuration names (dmabuf:devices)") String kind,
            @Descriptor("the new device's name (dev_name)") String name) throws Exception {
        java.util.Dictionary<String, Object> template = board.kinds().get(kind);
        if (template == null) {
            throw new IllegalArgumentException(unknown(kind));
        }
        if (find(name) != null) {
            throw new IllegalArgumentException("a device named " + name + " is configured already; expected a new"
                    + " name, or dmabuf:plug " + name + " to plug it in again");
        }
        Hashtable<String, Object> p = new Hashtable<>();
        for (var e = template.keys(); e.hasMoreElements(); ) {
            String k = e.nextElement();
            if (!k.startsWith("service.") && !k.startsWith("felix.") && !k.equals(Board.FILE_PROPERTY)) {
                p.put(k, template.get(k));
            }
        }
        p.put("name", name);
        p.put("plugged", true);
        events.expect(name);
        configAdmin.createFactoryConfiguration(SimulatedGpu.FACTORY_PID, "?").update(p);
        return settled(name);
    }

    private String unknown(String what) throws Exception {
        return "no device kind, name or pid '" + what + "'; expected one of the kinds " + board.kinds().keySet() + ", a device from dmabuf:devices, or a configuration naming it (deploy/org.dmabuf.device-"
                + what + ".cfg with kind=" + what + ", name, vendor and device, as the driver archetype generates)";
    }

    private String settled(String deviceName) throws Exception {
        if (!awaitDevice(deviceName, true)) {
            throw new IllegalStateException(deviceName + " did not appear within " + WAIT_MS + " ms (the simulated"
                    + " device's log says why: a name in use, an id that is not a number)");
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
}
