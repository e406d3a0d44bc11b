// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.driver.intel;

import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.FrameFormat;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.drm.RenderEngine;
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
 * i915: Intel's integrated GPU. Each bound GPU gets a display engine that
 * scans out frames, checking each by CRC, and its own render engine, which it
 * also offers to other displays as a {@link RenderNode} (a PRIME exporter).
 * Every other render node is offered to its displays, which show the best by
 * the PRIME source rule ({@link ScanoutEngine#offer}): a discrete GPU's on an
 * Optimus laptop, a third-party renderer's, or else their own.
 */
@Component(immediate = true)
public class I915Driver {
    /** The id table: every Intel GPU. */
    static final String ID_TABLE = "(dmabuf.vendor=0x8086)";

    private static final Logger LOG = LoggerFactory.getLogger("i915");

    private record Gpu(RenderEngine own, ScanoutEngine display, List<ServiceRegistration<?>> registrations) {
    }

    private final DmaBufService dmabuf;
    private final DmaFenceService fences;
    private final BundleContext context;
    private final Map<Device, Gpu> gpus = new ConcurrentHashMap<>();
    private final Map<RenderNode, Map<String, Object>> sources = new ConcurrentHashMap<>();

    @Activate
    public I915Driver(@Reference DmaBufService dmabuf, @Reference DmaFenceService fences, BundleContext context) {
        this.dmabuf = dmabuf;
        this.fences = fences;
        this.context = context;
    }

    /** probe: an Intel GPU appeared. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, target = ID_TABLE)
    void bindDevice(Device device, Map<String, Object> properties) {
        // the board may say where framebuffers go (memfd: frames other processes map); else the system heap
        Object board = properties.get("dmabuf.framebuffer.heap");
        String heap = board instanceof String b && !b.isBlank() && dmabuf.heaps().stream().anyMatch(h -> h.name()
                .equals(b)) ? b : "system";
        RenderEngine own = new RenderEngine("i915", device, dmabuf, fences, heap);
        ScanoutEngine display = new ScanoutEngine("i915", device, dmabuf, FrameFormat.VGA, own);
        sources.forEach(display::offer);
        display.refresh(ScanoutEngine.panelRefreshHz(context));
        Hashtable<String, Object> props = new Hashtable<>(properties);
        props.keySet().removeIf(k -> k.startsWith("service.") || k.startsWith("component.") || k.equals("objectClass"));
        gpus.put(device, new Gpu(own, display, List.of(context.registerService(DisplayEngine.class, display.asDisplayEngine(), props),
                context.registerService(RenderNode.class, own.asRenderNode(), props)))); // PRIME exporter for other displays
        LOG.info("i915 {}: [drm] Initialized i915 1.6.0 for {} ({}) on minor 0", device.name(), device.name(),
                device.model());
    }

    /** remove: the GPU went, or the driver stops. */
    void unbindDevice(Device device) {
        Gpu g = gpus.remove(device);
        if (g != null) {
            g.registrations().forEach(ServiceRegistration::unregister);
            g.display().close();
            g.own().close();
            LOG.info("i915 {}: [drm] unbound", device.name());
        }
    }

    /** A render node appeared (any driver's, this one's too): its displays may show it, by the PRIME source rule. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindSource(RenderNode node, Map<String, Object> properties) {
        sources.put(node, properties);
        gpus.values().forEach(g -> g.display().offer(node, properties));
    }

    void unbindSource(RenderNode node) {
        sources.remove(node);
        gpus.values().forEach(g -> g.display().withdraw(node));
    }


    @Deactivate
    void deactivate() {
        for (Device d : gpus.keySet()) {
            unbindDevice(d);
        }
    }
}
