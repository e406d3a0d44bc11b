// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.driver.tegra;

import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.FrameFormat;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.drm.ScanoutEngine;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * tegra-drm: the Tegra display controller. It has no render engine: it scans
 * out frames the SoC's GeForce-class GPU renders, through PRIME, the case
 * NVIDIA named in 2012. Without that GPU's driver it has nothing to show.
 */
@Component(immediate = true)
public class TegraDriver {
    /** The id table: the Tegra K1 display controller. */
    static final String ID_TABLE = "(&(dmabuf.vendor=0x10de)(dmabuf.device=0x0fa0))";

    private static final Logger LOG = LoggerFactory.getLogger("tegra-dc");

    private record Dc(ScanoutEngine display, ServiceRegistration<DisplayEngine> registration) {
    }

    private final DmaBufService dmabuf;
    private final BundleContext context;
    private final Map<Device, Dc> dcs = new ConcurrentHashMap<>();
    private final Map<RenderNode, Map<String, Object>> sources = new ConcurrentHashMap<>();

    @Activate
    public TegraDriver(@Reference DmaBufService dmabuf, BundleContext context) {
        this.dmabuf = dmabuf;
        this.context = context;
    }

    /** probe: a display controller appeared. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, target = ID_TABLE)
    void bindDevice(Device device, Map<String, Object> properties) {
        ScanoutEngine display = new ScanoutEngine("tegra-dc", device, dmabuf, FrameFormat.VGA, null);
        sources.forEach(display::offer);
        display.refresh(ScanoutEngine.panelRefreshHz(context));
        Hashtable<String, Object> props = new Hashtable<>(properties);
        props.keySet().removeIf(k -> k.startsWith("service.") || k.startsWith("component.") || k.equals("objectClass"));
        dcs.put(device, new Dc(display, context.registerService(DisplayEngine.class, display.asDisplayEngine(), props)));
        LOG.info("tegra-dc {}: [drm] Initialized tegra 1.0.0 for {} on minor 1", device.name(), device.name());
    }

    /** remove: the display controller went, or the driver stops. */
    void unbindDevice(Device device) {
        Dc d = dcs.remove(device);
        if (d != null) {
            d.registration().unregister();
            d.display().close();
            LOG.info("tegra-dc {}: [drm] unbound", device.name());
        }
    }

    /**
     * A render node appeared: the display may show it, by the PRIME source
     * rule (the SoC's GeForce-class GPU, on its own bus, first). It has no
     * IOMMU: a node whose buffers are scattered pages is passed over.
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindSource(RenderNode node, Map<String, Object> properties) {
        sources.put(node, properties);
        dcs.values().forEach(d -> d.display().offer(node, properties));
    }

    void unbindSource(RenderNode node) {
        sources.remove(node);
        dcs.values().forEach(d -> d.display().withdraw(node));
    }


    @Deactivate
    void deactivate() {
        for (Device d : dcs.keySet()) {
            unbindDevice(d);
        }
    }
}
