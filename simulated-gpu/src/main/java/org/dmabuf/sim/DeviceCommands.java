// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.dmabuf.api.Device;
import org.dmabuf.api.device.DeviceInfo;
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
 * The simulated hardware's front: it reads the {@link Board} when the bundle
 * starts, and offers the console's {@code dmabuf:plug} and
 * {@code dmabuf:unplug} ({@code dmabuf:devices}, the framework's, lists the
 * devices present, whoever added them). Published under {@code Object}
 * only, for Gogo: nobody links to it. Each change returns once it has fully taken effect (the
 * drivers bound or unbound), as {@code udevadm settle} waits.
 */
@Component(service = Object.class, immediate = true, property = {
        "osgi.command.scope=dmabuf",
        "osgi.command.function=plug",
        "osgi.command.function=unplug"
})
public class DeviceCommands {
    private static final long WAIT_MS = 10_000;

    @Reference
    private ConfigurationAdmin configAdmin;
    private final PlugEvents events = PlugEvents.INSTANCE;
    private Board board;

    private BundleContext context;

    @Activate
    void activate(BundleContext context) throws Exception {
        this.context = context;
        this.board = new Board(configAdmin);
        board.load(context.getProperty(Board.BOARD_PROPERTY));
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

    @Descriptor("list what can be plugged in: the unplugged simulated devices and the kinds configurations name")
    public String plug() throws Exception {
        List<String> unplugged = new ArrayList<>();
        for (Configuration c : configurations()) {
            if (!isPlugged(c)) {
                unplugged.add(c.getProperties().get("name") + " (" + c.getProperties().get("kind") + ")");
            }
        }
        return "usage: dmabuf:plug <kind | name> [new name]\nunplugged: " + (unplugged.isEmpty() ? "none"
                : String.join(", ", unplugged)) + "\nkinds: " + String.join(", ", board.kinds().keySet())
                + "\n(dmabuf:devices lists the devices present)";
    }

    // the bundles using the device's service, but the framework's: the drivers bound to it
    private String driverOf(String name) throws Exception {
        var refs = context.getServiceReferences(Device.class, "(" + Device.PROP_NAME + "=" + escape(name) + ")");
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

    @Descriptor("plug in a device of a kind (any kind a configuration names: dmabuf:plug lists them), or an"
            + " unplugged one again by name")
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
    public String plug(@Descriptor("a kind some configuration names (dmabuf:plug lists them)") String kind,
            @Descriptor("the new device's name (dev_name)") String name) throws Exception {
        if (name == null || !DeviceInfo.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("device name '" + (name == null ? "null" : name.length() > 80
                    ? name.substring(0, 77) + "..." : name) + "'; expected 1 to " + DeviceInfo.NAME_MAX
                    + " letters, digits and . : _ @ -, starting with a letter or digit");
        }
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

    /** @return {@code s} for an LDAP filter's value: {@code \\ * ( )} escaped (RFC 4515) */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '\\' || c == '*' || c == '(' || c == ')') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }

    private String unknown(String what) throws Exception {
        String w = what.length() > 80 ? what.substring(0, 77) + "..." : what;
        return "no device kind, name or pid '" + w + "'; expected one of the kinds " + board.kinds().keySet()
                + ", a device from dmabuf:plug, or a configuration naming it (deploy/org.dmabuf.device-" + w
                + ".cfg with kind=" + w + ", name, vendor and device, as the driver archetype generates)";
    }

    private String settled(String deviceName) throws Exception {
        if (!events.await(deviceName, true, WAIT_MS)) {
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
        if (!events.await(name, false, WAIT_MS)) {
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

}
