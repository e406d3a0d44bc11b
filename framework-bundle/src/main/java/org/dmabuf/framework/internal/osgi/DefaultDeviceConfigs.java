// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.io.IOException;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.Map;
import java.util.Set;

import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine this platform simulates, written as device configurations when
 * there are none of a kind: an Intel integrated GPU (render and display), an
 * NVIDIA discrete GPU (render, local memory), a Tegra display controller
 * (display, no IOMMU) and the Tegra SoC's GeForce-class GPU (render); an ARM
 * Mali GPU is a kind known to {@code dmabuf:plug}, not plugged in at start. Change
 * or add devices in Config Admin (factory PID {@code org.dmabuf.device}),
 * with {@code dmabuf:plug}, or with {@code .cfg} files.
 */
@Component(immediate = true)
public class DefaultDeviceConfigs {
    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");

    /** The defaults, by kind: name, vendor, device, model, vram, engines, iommu. */
    public static final Map<String, Dictionary<String, Object>> KINDS = Map.of(
            "intel", device("0000:00:02.0", "0x8086", "0x9a49", "Intel Iris Xe Graphics (TGL GT2)", 0,
                    new String[] {"render", "display"}, true),
            "nvidia", device("0000:01:00.0", "0x10de", "0x2520", "NVIDIA GeForce RTX 3060 Mobile", 256L << 20,
                    new String[] {"render"}, true),
            "tegra-dc", device("54200000.dc", "0x10de", "0x0fa0", "NVIDIA Tegra K1 display controller", 0,
                    new String[] {"display"}, false),
            "tegra-gpu", device("57000000.gpu", "0x10de", "0x0fa1", "NVIDIA Tegra K1 GPU (GK20A, GeForce-class)", 0,
                    new String[] {"render"}, true),
            // not plugged in by default: the device of the example out-of-tree driver (lima), dmabuf:plug mali
            "mali", device("1c40000.gpu", "0x13b5", "0x0400", "ARM Mali-400 MP2 (Allwinner A20)", 0,
                    new String[] {"render", "display"}, true));

    static Dictionary<String, Object> device(String name, String vendor, String device, String model, long vram,
            String[] engines, boolean iommu) {
        Hashtable<String, Object> d = new Hashtable<>();
        d.put("name", name);
        d.put("vendor", vendor);
        d.put("device", device);
        d.put("model", model);
        d.put("vram", vram);
        d.put("engines", engines);
        d.put("iommu", iommu);
        d.put("plugged", true);
        return d;
    }

    @Reference
    private ConfigurationAdmin configAdmin;

    @Activate
    void activate() throws IOException, InvalidSyntaxException {
        Configuration[] existing = configAdmin.listConfigurations(
                "(service.factoryPid=" + SimulatedGpuComponent.FACTORY_PID + ")");
        Set<String> kinds = new HashSet<>();
        if (existing != null) {
            for (Configuration c : existing) {
                kinds.add(String.valueOf(c.getProperties().get("kind")));
            }
        }
        for (String kind : new String[] {"intel", "nvidia", "tegra-dc", "tegra-gpu"}) {
            if (!kinds.contains(kind)) {
                create(configAdmin, kind, null);
            }
        }
    }

    /** Writes a new device configuration of a kind, under an optional other name. @return its pid */
    public static String create(ConfigurationAdmin ca, String kind, String name) throws IOException {
        Dictionary<String, Object> template = KINDS.get(kind);
        if (template == null) {
            throw new IllegalArgumentException("no device kind '" + kind + "'; expected one of " + KINDS.keySet());
        }
        Hashtable<String, Object> props = new Hashtable<>();
        for (var e = template.keys(); e.hasMoreElements(); ) {
            String k = e.nextElement();
            props.put(k, template.get(k));
        }
        props.put("kind", kind);
        if (name != null) {
            props.put("name", name);
        }
        Configuration c = ca.createFactoryConfiguration(SimulatedGpuComponent.FACTORY_PID, "?");
        c.update(props);
        LOG.debug("dma-buf: device configuration {} for {} {}", c.getPid(), kind, props.get("name"));
        return c.getPid();
    }
}
