// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Device;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Plugs simulated devices in and out from a test, as a {@code .cfg} file in
 * {@code deploy/} does: a factory configuration of {@code org.dmabuf.device}
 * per device. Each call returns when the change has fully taken effect: the
 * device's service registered (gone) and every driver's bind (unbind) run, as
 * the console's {@code dmabuf:plug} and {@code dmabuf:unplug} wait for it
 * ({@code udevadm settle}).
 *
 * <pre>{@code
 * String gpu = Devices.plug(context, "1c40000.gpu", "0x13b5", "0x0400", "render", "display");
 * ...
 * Devices.unplug(context, gpu);
 * }</pre>
 */
public final class Devices {
    /** The factory PID of simulated devices. */
    public static final String FACTORY_PID = "org.dmabuf.device";
    /** How long a plug or unplug waits for the device's service. */
    public static final long TIMEOUT_MS = 10_000;

    private Devices() {
    }

    /**
     * Plugs in a new device (with an IOMMU, no local memory).
     *
     * @param context a bundle context in the container
     * @param name the device's name ({@code dev_name}), unique
     * @param vendor its vendor id, for instance {@code 0x13b5}
     * @param device its device id
     * @param engines its engines: {@code render}, {@code display}
     * @return the name, once its {@link Device} service is registered
     * @throws IllegalStateException when it did not appear within {@link #TIMEOUT_MS}
     */
    public static String plug(BundleContext context, String name, String vendor, String device, String... engines)
            throws Exception {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("name", name);
        p.put("kind", "test");
        p.put("vendor", vendor);
        p.put("device", device);
        p.put("model", "test device " + vendor + ":" + device);
        p.put("engines", engines.length == 0 ? new String[] {"render"} : engines);
        p.put("iommu", true);
        p.put("plugged", true);
        return plug(context, p);
    }

    /**
     * Plugs in a device described as a {@code .cfg} file would describe it.
     *
     * @param properties name, vendor, device and optionally kind, model, vram, engines, iommu
     * @return its name, once its {@link Device} service is registered
     */
    public static String plug(BundleContext context, Dictionary<String, Object> properties) throws Exception {
        String name = String.valueOf(properties.get("name"));
        Hashtable<String, Object> p = new Hashtable<>();
        for (var e = properties.keys(); e.hasMoreElements(); ) {
            String k = e.nextElement();
            p.put(k, properties.get(k));
        }
        p.put("plugged", false); // written unplugged, then plugged in by the console, which waits for the drivers
        withConfigAdmin(context, ca -> {
            Configuration c = ca.createFactoryConfiguration(FACTORY_PID, "?");
            c.update(p);
            return null;
        });
        // dmabuf:plug returns once the device's service is registered and every driver's bind has run
        new Console(context).run("dmabuf:plug " + name);
        if (!await(context, name, true)) {
            throw new IllegalStateException("device " + name + " did not appear within " + TIMEOUT_MS + " ms");
        }
        return name;
    }

    /**
     * Unplugs a device, as hot-unplug, and forgets its configuration. Returns
     * once its {@link Device} service is gone and every driver's unbind has run.
     *
     * @param context a bundle context in the container
     * @param name the device's name, as {@link #plug} returned it
     * @throws IllegalArgumentException when no device configuration has that name
     * @throws IllegalStateException when the device was still there after {@link #TIMEOUT_MS}
     * @throws Exception when the console or Config Admin fails
     */
    public static void unplug(BundleContext context, String name) throws Exception {
        new Console(context).run("dmabuf:unplug " + name); // returns when the drivers have unbound
        boolean found = withConfigAdmin(context, ca -> {
            Configuration[] cs = ca.listConfigurations("(&(service.factoryPid=" + FACTORY_PID + ")(name="
                    + escape(name) + "))");
            if (cs == null) {
                return false;
            }
            for (Configuration c : cs) {
                c.delete();
            }
            return true;
        });
        if (!found) {
            throw new IllegalArgumentException("no device configuration named " + name + "; expected one plugged in"
                    + " with Devices.plug or dmabuf:plug");
        }
        if (!await(context, name, false)) {
            throw new IllegalStateException("device " + name + " was still there " + TIMEOUT_MS + " ms after unplug");
        }
    }

    // a value in an LDAP filter: \ * ( ) escaped (RFC 4515)
    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("*", "\\*").replace("(", "\\(").replace(")", "\\)");
    }

    private interface WithCa<R> {
        R apply(ConfigurationAdmin ca) throws Exception;
    }

    private static <R> R withConfigAdmin(BundleContext context, WithCa<R> action) throws Exception {
        ServiceTracker<ConfigurationAdmin, ConfigurationAdmin> t = new ServiceTracker<>(context,
                ConfigurationAdmin.class, null);
        t.open();
        try {
            ConfigurationAdmin ca = t.waitForService(TIMEOUT_MS);
            if (ca == null) {
                throw new IllegalStateException("no ConfigurationAdmin within " + TIMEOUT_MS + " ms");
            }
            return action.apply(ca);
        } finally {
            t.close();
        }
    }

    private static boolean await(BundleContext context, String name, boolean present) throws InterruptedException {
        Filter f;
        try {
            f = FrameworkUtil.createFilter("(&(objectClass=" + Device.class.getName() + ")(" + Device.PROP_NAME + "="
                    + escape(name) + "))");
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("device name " + name + " cannot be used in a filter", e);
        }
        CountDownLatch gone = new CountDownLatch(1);
        ServiceTracker<Device, Device> t = new ServiceTracker<>(context, f, null) {
            @Override
            public void removedService(ServiceReference<Device> reference, Device service) {
                super.removedService(reference, service);
                gone.countDown(); // one device per name: its removal is the one we wait for
            }
        };
        t.open(true);
        try {
            if (present) {
                return t.waitForService(TIMEOUT_MS) != null;
            }
            return t.isEmpty() || gone.await(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } finally {
            t.close();
        }
    }
}
