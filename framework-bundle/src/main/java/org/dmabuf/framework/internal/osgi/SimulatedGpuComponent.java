// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.util.Hashtable;

import org.dmabuf.api.Device;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.device.SimulatedDevice;
import org.dmabuf.framework.internal.heap.PageHeap;
import org.dmabuf.framework.internal.memory.PageAllocator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated device per factory configuration of {@value #FACTORY_PID}:
 * plugged in, it is a {@link Device} service (and, with local memory, a
 * {@code vram@<name>} heap); unplugged ({@code plugged=false}, or the
 * configuration deleted), it is gone: its service and heap disappear, the
 * fences of its engines are signalled with ENODEV, and its drivers unbind.
 * Plugging it in again makes a new device, as hot-plug does.
 */
@Component(configurationPid = SimulatedGpuComponent.FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = SimulatedGpuComponent.Config.class, factory = true)
public class SimulatedGpuComponent {
    /** The factory PID of devices. */
    public static final String FACTORY_PID = "org.dmabuf.device";
    /** Service property: the device's engines. */
    public static final String PROP_ENGINES = "dmabuf.engines";
    /** Service property: the device's kind (intel, nvidia, tegra-dc, tegra-gpu, mali, or any). */
    public static final String PROP_KIND = "dmabuf.kind";
    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");

    /** A device. */
    @ObjectClassDefinition(name = "DMA-BUF simulated device", description = "A GPU or display controller, "
            + "hot-pluggable: drivers bind to it by vendor and device id.")
    public @interface Config {
        /** @return the device name (dev_name) */
        @AttributeDefinition(name = "Name", description = "dev_name, for instance 0000:01:00.0")
        String name();

        /** @return the kind */
        @AttributeDefinition(name = "Kind", description = "intel, nvidia, tegra-dc, tegra-gpu, mali, or any word")
        String kind() default "gpu";

        /** @return the PCI vendor id */
        @AttributeDefinition(name = "Vendor id", description = "PCI vendor id, for instance 0x10de")
        String vendor();

        /** @return the PCI device id */
        @AttributeDefinition(name = "Device id", description = "PCI device id, for instance 0x2520")
        String device();

        /** @return the model */
        @AttributeDefinition(name = "Model")
        String model() default "Simulated GPU";

        /** @return local memory in bytes */
        @AttributeDefinition(name = "Local memory", description = "Bytes of VRAM; 0 for none")
        long vram() default 0;

        /** @return the engines */
        @AttributeDefinition(name = "Engines", description = "render, display")
        String[] engines() default {"render"};

        /** @return whether it reaches memory through an IOMMU */
        @AttributeDefinition(name = "IOMMU")
        boolean iommu() default true;

        /** @return whether it is plugged in */
        @AttributeDefinition(name = "Plugged in")
        boolean plugged() default true;
    }

    @Reference
    private DmaBufCore core;
    @Reference
    private DevicePlugEvents events;

    private BundleContext context;
    private SimulatedDevice device;
    private ServiceRegistration<Device> reg;
    private String heap;

    @Activate
    void activate(BundleContext context, Config config) {
        this.context = context;
        apply(config);
    }

    @Modified
    void modified(Config config) {
        apply(config);
    }

    @Deactivate
    void deactivate() {
        unplug();
    }

    private synchronized void apply(Config c) {
        if (c.plugged() && device == null) {
            plug(c);
        } else if (!c.plugged() && device != null) {
            unplug();
        }
    }

    /**
     * @return the engines, each element also split at commas: a {@code .cfg}
     *         file in deploy/ writes {@code engines=render,display}, one string
     */
    public static String[] engines(String[] configured) {
        return java.util.Arrays.stream(configured).flatMap(e -> java.util.Arrays.stream(e.split(",")))
                .map(String::trim).filter(e -> !e.isEmpty()).toArray(String[]::new);
    }

    private void plug(Config c) {
        String[] engines = engines(c.engines());
        SimulatedDevice d = new SimulatedDevice(c.name(), parseId(c.vendor()), parseId(c.device()), c.model(), c.iommu(),
                c.kind(), c.vram(), engines);
        if (c.vram() > 0) {
            heap = "vram@" + c.name();
            core.addHeap(new PageHeap(heap, true, new PageAllocator(heap, c.vram(), false), d));
        }
        Hashtable<String, Object> props = d.serviceProperties();
        props.put(PROP_ENGINES, engines);
        props.put(PROP_KIND, c.kind());
        props.put(Constants.SERVICE_DESCRIPTION, d.toString());
        device = d;
        reg = context.registerService(Device.class, d, props); // drivers bind during this call
        LOG.info("{}: plugged in: {}", c.name(), d);
        events.reported(c.name(), true);
    }

    private void unplug() {
        if (device == null) {
            return;
        }
        SimulatedDevice d = device;
        device = null;
        reg.unregister(); // drivers unbind first, as on a real unplug the bus tells them
        d.unplug();
        if (heap != null) {
            core.removeHeap(heap);
            heap = null;
        }
        LOG.info("{}: unplugged", d.name());
        events.reported(d.name(), false);
    }

    static int parseId(String id) {
        String s = id == null ? "" : id.trim().toLowerCase();
        try {
            return s.startsWith("0x") ? Integer.parseInt(s.substring(2), 16) : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("device id '" + id + "' is not a number; expected 0x10de or 4318");
        }
    }
}
