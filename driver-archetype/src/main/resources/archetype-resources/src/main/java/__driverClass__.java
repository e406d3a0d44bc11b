package ${package};

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
 * ${bsn}: a GPU with a render engine and a display engine, as an SoC's GPU
 * and display controller. For each device of its id table it
 * <ul>
 * <li>exports render targets: {@link RenderEngine} allocates them from a
 * heap, exports them as dma-bufs and renders each frame behind a fence
 * (dma_heap_buffer_alloc, dma_buf_export, dma_fence_init, dma_resv_add_fence);</li>
 * <li>imports them on its display: {@link ScanoutEngine} receives the fds
 * through PRIME, attaches, maps once, and per frame waits for the WRITE
 * fence and scans out (dma_buf_get, dma_buf_attach, dma_buf_map_attachment).</li>
 * </ul>
 * Hot-plug duties: everything a device got in {@link #bindDevice} is given
 * back in {@link #unbindDevice}, which runs when the device goes or the
 * driver stops; the platform cleans up whatever a driver forgets, with a
 * warning naming it.
 */
@Component(immediate = true)
public class ${driverClass} {
    /** The id table (MODULE_DEVICE_TABLE): the devices this driver binds, by vendor and device id. */
    static final String ID_TABLE = "(&(dmabuf.vendor=${vendorId})(dmabuf.device=${deviceId}))";

    private static final Logger LOG = LoggerFactory.getLogger("${bsn}");

    private record Gpu(RenderEngine render, ScanoutEngine display, List<ServiceRegistration<?>> registrations) {
    }

    private final DmaBufService dmabuf;
    private final DmaFenceService fences;
    private final BundleContext context;
    private final Map<Device, Gpu> gpus = new ConcurrentHashMap<>();

    /**
     * @param dmabuf this bundle's own DMA-BUF view: its fd table and the symbols it linked
     * @param fences this bundle's fence view
     * @param context the bundle's context, to register the engines as services
     */
    @Activate
    public ${driverClass}(@Reference DmaBufService dmabuf, @Reference DmaFenceService fences, BundleContext context) {
        this.dmabuf = dmabuf;
        this.fences = fences;
        this.context = context;
    }

    /** probe: a device of the id table appeared (or was there when the driver started). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, target = ID_TABLE)
    void bindDevice(Device device, Map<String, Object> properties) {
        RenderEngine render = new RenderEngine("${bsn}", device, dmabuf, fences, "system");
        // its own render engine, imported through dma-buf as PRIME would (zero copies)
        ScanoutEngine display = new ScanoutEngine("${bsn}", device, dmabuf, FrameFormat.VGA, render);
        display.refresh(ScanoutEngine.panelRefreshHz(context)); // scans out continuously, as a panel does
        Hashtable<String, Object> props = new Hashtable<>(properties);
        props.keySet().removeIf(k -> k.startsWith("service.") || k.startsWith("component.") || k.equals("objectClass"));
        gpus.put(device, new Gpu(render, display, List.of(
                context.registerService(RenderNode.class, render.asRenderNode(), props),
                context.registerService(DisplayEngine.class, display.asDisplayEngine(), props))));
        LOG.info("${bsn} {}: [drm] Initialized ${bsn} 1.0.0 for {} ({})", device.name(), device.name(), device.model());
    }

    /** remove: the device went, or the driver stops. */
    void unbindDevice(Device device) {
        Gpu g = gpus.remove(device);
        if (g != null) {
            g.registrations().forEach(ServiceRegistration::unregister);
            g.display().close();
            g.render().close();
            LOG.info("${bsn} {}: [drm] unbound", device.name());
        }
    }

    @Deactivate
    void deactivate() {
        for (Device d : gpus.keySet()) {
            unbindDevice(d);
        }
    }
}
