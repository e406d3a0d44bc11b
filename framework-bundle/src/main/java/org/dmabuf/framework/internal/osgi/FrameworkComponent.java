// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.util.Hashtable;
import java.util.List;

import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.Symbol;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.heap.PageHeap;
import org.dmabuf.framework.internal.memory.PageAllocator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots the DMA-BUF core inside the framework bundle and publishes it: the
 * per-bundle {@link DmaBufService} (a service factory) for drivers, and the
 * core itself for the framework's own console.
 */
@Component(immediate = true, configurationPid = FrameworkComponent.PID)
@Designate(ocd = FrameworkComponent.Config.class)
public class FrameworkComponent {
    /** The configuration PID. */
    public static final String PID = "org.dmabuf.framework";
    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");

    /** The framework's settings; read at start. */
    @ObjectClassDefinition(name = "DMA-BUF framework",
            description = "Heaps and memory of the DMA-BUF core. Changes take effect when the framework bundle restarts.")
    public @interface Config {
        /** @return whether every buffer gets an arena of its own */
        @AttributeDefinition(name = "Debug memory",
                description = "Give every buffer an arena of its own, so that any stale view fails at once after"
                        + " release (as CONFIG_DMABUF_DEBUG, slower: 32 us per release)")
        boolean debug_memory() default false;

        /** @return the size of the contiguous region */
        @AttributeDefinition(name = "CMA size", description = "Bytes in the default_cma_region heap")
        long cma_size() default 256L << 20;

        /** @return the most bytes of the system heap */
        @AttributeDefinition(name = "System heap limit", description = "Most bytes the system heap hands out")
        long system_size() default 64L << 30;
    }

    private DmaBufCore core;
    private ServiceRegistration<DmaBufService> serviceReg;
    private ServiceRegistration<DmaFenceService> fenceReg;
    private ServiceRegistration<?> coreReg;

    @Reference
    private GateService gate;

    @Activate
    void activate(BundleContext context, Config config) {
        core = new DmaBufCore(List.of(
                new PageHeap(PageHeap.SYSTEM, false,
                        new PageAllocator(PageHeap.SYSTEM, config.system_size(), config.debug_memory())),
                new PageHeap(PageHeap.CMA, true,
                        new PageAllocator(PageHeap.CMA, config.cma_size(), config.debug_memory()))));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_DESCRIPTION, "DMA-BUF core, one view per bundle");
        // the core's symbols are EXPORT_SYMBOL_NS_GPL(.., "DMA_BUF"): the gate's service hooks hide it accordingly
        props.put(Gatekeeper.SERVICE_EXPORT, Symbol.Export.EXPORT_SYMBOL_GPL.name());
        props.put(Gatekeeper.SERVICE_NAMESPACE, Symbol.DMA_BUF);
        ModuleRegistry modules = new ModuleRegistry(core, gate);
        serviceReg = context.registerService(DmaBufService.class, new DmaBufServiceFactory(modules), props);
        // fences are EXPORT_SYMBOL: visible to every bundle, same module and fd table
        Hashtable<String, Object> fenceProps = new Hashtable<>();
        fenceProps.put(Constants.SERVICE_DESCRIPTION, "DMA-BUF fences, reservation objects and sync files, one view per bundle");
        fenceReg = context.registerService(DmaFenceService.class, new DmaFenceServiceFactory(modules), fenceProps);
        // after a policy switch, announce the service again (MODIFIED) so newly allowed bundles see it
        gate.onPolicyApplied(() -> serviceReg.setProperties(props));
        // the caller guard runs only while a proprietary module is resolved
        Runnable arm = () -> core.guard(gate.armed() ? gate.guard() : null);
        gate.onArmingChanged(arm);
        arm.run();
        coreReg = context.registerService(new String[] {DmaBufCore.class.getName(), DmaBufDebug.class.getName()},
                core, null);
        LOG.info("dma-buf: core up, heaps {}", core.heapList().stream().map(h -> h.name()).toList());
    }

    @Modified
    void modified(Config config) {
        LOG.info("dma-buf: {} changed; heap settings take effect when the framework bundle restarts", PID);
    }

    @Deactivate
    void deactivate() {
        gate.onArmingChanged(() -> { });
        gate.onPolicyApplied(() -> { });
        fenceReg.unregister();
        serviceReg.unregister(); // every bundle's view is closed here, so their buffers go
        coreReg.unregister();
        core.shutdown();
        LOG.info("dma-buf: core down");
    }
}
