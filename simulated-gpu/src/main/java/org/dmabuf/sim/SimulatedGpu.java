// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.sim;

import java.util.Arrays;

import org.dmabuf.api.Device;
import org.dmabuf.api.device.DeviceBus;
import org.dmabuf.api.device.DeviceInfo;
import org.dmabuf.api.device.DeviceRegistration;
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
 * One simulated device per factory configuration of {@value #FACTORY_PID}, as
 * vkms or netdevsim are virtual devices: plugged in, it is added to the
 * platform through the public {@link DeviceBus} (a {@link Device} service and,
 * with local memory, a {@code vram@<name>} heap); unplugged
 * ({@code plugged=false}, or the configuration deleted), it is gone: the
 * framework unbinds its drivers, signals its engines' fences with ENODEV and
 * removes its heap. Plugging it in again makes a new device, as hot-plug does.
 */
@Component(configurationPid = SimulatedGpu.FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = SimulatedGpu.Config.class, factory = true)
public class SimulatedGpu {
    /** The factory PID of devices. */
    public static final String FACTORY_PID = "org.dmabuf.device";
    /** Service property: the heap its drivers take framebuffers from, empty for theirs. */
    public static final String PROP_FRAMEBUFFER_HEAP = "dmabuf.framebuffer.heap";
    /** Service property: the device's engines. */
    public static final String PROP_ENGINES = "dmabuf.engines";
    /** Service property: the device's kind, the word of its configuration ({@code intel}, {@code mali}, any). */
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
        @AttributeDefinition(name = "Kind", description = "intel, nvidia, tegra-dc, tegra-gpu, mali, or any word;"
                + " dmabuf:plug <kind> plugs in a device of a kind some configuration names")
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

        /** @return the heap its drivers take framebuffers from, empty for theirs */
        @AttributeDefinition(name = "Framebuffer heap", description = "The heap its drivers take their"
                + " framebuffers from (memfd: frames other processes can map, docs/cross-process.md); empty for the"
                + " driver's choice. Takes effect when the device is plugged in.")
        String framebuffer_heap() default "";

        /** @return whether it reaches memory through an IOMMU */
        @AttributeDefinition(name = "IOMMU")
        boolean iommu() default true;

        /** @return whether it is plugged in */
        @AttributeDefinition(name = "Plugged in")
        boolean plugged() default true;
    }

    @Reference
    private DeviceBus bus;
    private final PlugEvents events = PlugEvents.INSTANCE;

    private DeviceRegistration device; // guarded by this

    @Activate
    void activate(Config config) {
        apply(config);
    }

    @Modified
    void modified(Config config) {
        apply(config);
    }

    @Deactivate
    synchronized void deactivate() {
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
     *         file writes {@code engines=render,display}, one string
     */
    public static String[] engines(String[] configured) {
        return Arrays.stream(configured).flatMap(e -> Arrays.stream(e.split(","))).map(String::trim)
                .filter(e -> !e.isEmpty()).toArray(String[]::new);
    }

    private void plug(Config c) {
        DeviceInfo info = DeviceInfo.builder(c.name()).ids(parseId(c.vendor()), parseId(c.device())).model(c.model())
                .iommu(c.iommu()).property(PROP_ENGINES, engines(c.engines())).property(PROP_KIND, c.kind())
                .property(PROP_FRAMEBUFFER_HEAP, c.framebuffer_heap()).build();
        DeviceRegistration r = bus.add(info); // drivers bind during this call
        if (c.vram() > 0) {
            try {
                r.addLocalMemory(c.vram());
            } catch (RuntimeException e) {
                r.unplug();
                throw e;
            }
        }
        device = r;
        LOG.info("{}: plugged in: {}", c.name(), r.device());
        events.reported(c.name(), true);
    }

    private void unplug() {
        if (device == null) {
            return;
        }
        DeviceRegistration r = device;
        device = null;
        r.unplug(); // drivers unbind, then the framework signals its fences and removes its heap
        events.reported(r.device().name(), false);
    }

    /**
     * @param id {@code 0x10de} or {@code 4318}
     * @return the id
     * @throws IllegalArgumentException naming the id when it is not a number
     */
    static int parseId(String id) {
        String s = id == null ? "" : id.trim().toLowerCase();
        try {
            return s.startsWith("0x") ? Integer.parseInt(s.substring(2), 16) : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("device id '" + id + "' is not a number; expected 0x10de or 4318");
        }
    }
}
