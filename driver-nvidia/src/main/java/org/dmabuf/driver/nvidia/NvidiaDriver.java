// SPDX-License-Identifier: LicenseRef-NVIDIA-Proprietary
package org.dmabuf.driver.nvidia;

import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.drm.RenderEngine;
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
 * nvidia: the render engine of NVIDIA's GPUs (the discrete GeForce and the
 * Tegra SoC's GeForce-class GPU). Each bound GPU becomes a {@link RenderNode}
 * (a PRIME source): it renders frames into its local memory (or, without
 * any, contiguous memory a display controller can reach) and exports them.
 * Proprietary: it needs the GPL-only DMA-BUF core, so it runs only under the
 * {@code export-symbol} policy (the 2012 request).
 */
@Component(immediate = true)
public class NvidiaDriver {
    /** The id table: the GeForce RTX 3060 Mobile and the Tegra K1 GPU (GK20A). */
    static final String ID_TABLE = "(&(dmabuf.vendor=0x10de)(|(dmabuf.device=0x2520)(dmabuf.device=0x0fa1)))";

    private static final Logger LOG = LoggerFactory.getLogger("nvidia");

    private record Gpu(RenderEngine engine, ServiceRegistration<RenderNode> registration) {
    }

    private final DmaBufService dmabuf;
    private final DmaFenceService fences;
    private final BundleContext context;
    private final Map<Device, Gpu> gpus = new ConcurrentHashMap<>();

    @Activate
    public NvidiaDriver(@Reference DmaBufService dmabuf, @Reference DmaFenceService fences, BundleContext context) {
        this.dmabuf = dmabuf;
        this.fences = fences;
        this.context = context;
    }

    /** probe: a GPU of the id table appeared. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, target = ID_TABLE)
    void bindDevice(Device device, Map<String, Object> properties) {
        // the board may say where framebuffers go (memfd: frames other processes map); else its VRAM, else CMA
        Object board = properties.get("dmabuf.framebuffer.heap");
        String heap = dmabuf.heaps().stream().map(h -> h.name())
                .filter(board instanceof String b && !b.isBlank() ? board::equals : ("vram@" + device.name())::equals)
                .findFirst().orElse("default_cma_region");
        try {
            RenderEngine engine = new RenderEngine("nvidia", device, dmabuf, fences, heap);
            Hashtable<String, Object> props = new Hashtable<>(properties);
            props.remove("service.id");
            props.remove("service.pid");
            props.remove("component.id");
            props.remove("component.name");
            props.remove("objectClass");
            gpus.put(device, new Gpu(engine, context.registerService(RenderNode.class, engine.asRenderNode(), props)));
            LOG.info("nvidia {}: NVRM: loading NVIDIA UNIX x86_64 Kernel Module for {} (framebuffers in {})",
                    device.name(), device.model(), heap);
        } catch (DmaBufException e) {
            LOG.error("nvidia {}: probe failed: {}", device.name(), e.getMessage());
        }
    }

    /** remove: the GPU went (unplugged) or the driver stops. */
    void unbindDevice(Device device) {
        Gpu g = gpus.remove(device);
        if (g != null) {
            g.registration().unregister();
            g.engine().close();
            LOG.info("nvidia {}: NVRM: GPU removed", device.name());
        }
    }

    @Deactivate
    void deactivate() {
        for (Device d : gpus.keySet()) {
            unbindDevice(d);
        }
    }
}
