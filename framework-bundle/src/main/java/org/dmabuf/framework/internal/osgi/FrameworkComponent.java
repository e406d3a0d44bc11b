// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.Symbol;
import org.dmabuf.api.device.DeviceBus;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.module.ExportPolicyControl;
import org.dmabuf.api.module.ModuleTable;
import org.dmabuf.framework.internal.console.DeployCommands;
import org.dmabuf.framework.internal.console.DeviceCommands;
import org.dmabuf.framework.internal.console.DmaBufCommands;
import org.dmabuf.framework.internal.console.GateCommands;
import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.Watchdog;
import org.dmabuf.framework.internal.heap.PageHeap;
import org.dmabuf.framework.internal.memory.PageAllocator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots the DMA-BUF core inside the framework bundle and publishes its
 * public services: the per-bundle views for drivers ({@link DmaBufService},
 * {@link DmaFenceService}) and device providers ({@link DeviceBus}), the
 * read-only views for tools ({@link DmaBufDebug}, {@link ModuleTable}), the
 * policy switch ({@link ExportPolicyControl}), and the console commands. No
 * internal class is registered under its own name.
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

        /** @return the peer socket's path, empty: the framework property dmabuf.peer.socket, or none */
        @AttributeDefinition(name = "Peer socket", description = "Path of the Unix socket where processes of this"
                + " user receive buffers of the memfd heap with SCM_RIGHTS (docs/cross-process.md). Empty: the"
                + " framework property dmabuf.peer.socket decides (none without it)")
        String peer_socket() default "";

        /** @return the most bytes of the memfd heap; 0 for no memfd heap */
        @AttributeDefinition(name = "memfd heap size", description = "Most bytes the memfd heap hands out (each"
                + " buffer a sealed memfd of its own, which other processes can map: docs/cross-process.md);"
                + " 0 for no memfd heap")
        long memfd_size() default 256L << 20;

        /** @return the most bytes of the system heap; 0 for half the machine's physical memory */
        @AttributeDefinition(name = "System heap limit", description = "Most bytes the system heap hands out;"
                + " 0 (the default) for half the machine's physical memory, so that no allocation can exhaust it")
        long system_size() default 0;

        /** @return the fence watchdog's timeout in seconds, 0 for none */
        @AttributeDefinition(name = "Fence timeout", description = "Seconds a fence may stay pending in a buffer's"
                + " reservation object before it is reported (the DRM scheduler's job timeout); 0 for no watchdog")
        long fence_timeout_s() default 10;

        /** @return the bound on a bundle's stop, in milliseconds */
        @AttributeDefinition(name = "Stop timeout", description = "Milliseconds a bundle's stop may wait on"
                + " drivers (a callback that never returns, a reservation lock never unlocked) before what the"
                + " bundle holds is revoked, as on hot-unplug; the stop then completes. Takes effect at once."
                + " -1: the framework property dmabuf.stop.timeout.ms, else 5000.")
        long stop_timeout_ms() default -1;

        /** @return how long a driver may hold a reservation lock before it is reported, in seconds */
        @AttributeDefinition(name = "Callback timeout", description = "Seconds a driver may hold a buffer's"
                + " reservation lock (in a callback such as map_dma_buf, or after dma_resv_lock), or run an exporter"
                + " callback without it (attach, detach, release, cpu access, mmap), before it is reported with its"
                + " thread's stack, as the hung-task detector would; 0 for no report")
        long callback_timeout_s() default 5;

        /** @return "true" when every handle records where it was taken, "false" when not, empty: the framework property */
        @AttributeDefinition(name = "Debug: record where handles are taken", description = "Every reference, fd,"
                + " attachment, vmap and transfer records the code that took it (a stack walk each, as the kernel's"
                + " ref_tracker): dmabuf:holders and the warnings at a module's stop name it. Takes effect at once,"
                + " for what is taken from then on. Empty: the framework property dmabuf.debug decides (off without it).")
        String debug() default "";

        /** @return per-module heap limits, bsn=bytes */
        @AttributeDefinition(name = "Heap memory max per module", description = "bsn=bytes (4096, 64K, 256M,"
                + " 2G): the most heap memory that module may hold, as the dmem cgroup's max; an allocation"
                + " beyond it fails with ENOMEM. Takes effect at once.")
        String[] heap_max() default {};
    }

    private DmaBufCore core;
    private GateService gate;
    private DmaBufCommands consoleCommands;
    private java.util.concurrent.ScheduledExecutorService watchdog;
    private volatile Watchdog dog; // the current one, for the health checks
    private final List<ServiceRegistration<?>> regs = new ArrayList<>();
    private org.osgi.framework.BundleListener uninstalls;

    /** The framework property that sets the stop bound when the configuration does not (tests, conf/config.properties). */
    public static final String STOP_TIMEOUT_PROPERTY = "dmabuf.stop.timeout.ms";

    private BundleContext context;

    @Activate
    void activate(BundleContext context, Config config, java.util.Map<String, Object> properties) {
        this.context = context;
        gate = GateActivator.gate();
        core = new DmaBufCore(List.of(
                new PageHeap(PageHeap.SYSTEM, false,
                        new PageAllocator(PageHeap.SYSTEM, systemHeapSize(config.system_size(), physicalMemory()),
                                config.debug_memory())),
                new PageHeap(PageHeap.CMA, true,
                        new PageAllocator(PageHeap.CMA, config.cma_size(), config.debug_memory()))));
        if (config.memfd_size() > 0) {
            core.addHeap(new org.dmabuf.framework.internal.heap.MemfdHeap(config.memfd_size()));
        }
        core.heapMax(heapMax(config.heap_max()));
        core.bufferEvents(GateActivator.uevents()); // uevents for buffers, while anyone subscribes
        Hashtable<String, Object> props = gplOnly("DMA-BUF core, one view per bundle", Symbol.DMA_BUF);
        ModuleRegistry modules = new ModuleRegistry(core, gate);
        uninstalls = e -> {
            if (e.getType() == org.osgi.framework.BundleEvent.UNINSTALLED) {
                modules.forget(e.getBundle()); // a bundle's entry lives from its first view to its uninstall
            }
        };
        context.addBundleListener(uninstalls);
        ServiceRegistration<DmaBufService> serviceReg =
                context.registerService(DmaBufService.class, new DmaBufServiceFactory(modules), props);
        regs.add(serviceReg);
        // fences are EXPORT_SYMBOL: visible to every bundle, same module and fd table
        regs.add(context.registerService(DmaFenceService.class, new DmaFenceServiceFactory(modules),
                described("DMA-BUF fences, reservation objects and sync files, one view per bundle")));
        // device_add is EXPORT_SYMBOL_GPL: hidden from bundles that may not link it
        regs.add(context.registerService(DeviceBus.class, new DeviceBusFactory(modules, core, context),
                gplOnly("DMA-BUF device bus (device_add, dma_heap_add), one view per bundle", null)));
        regs.add(context.registerService(DmaBufDebug.class, new PublicServices.DebugFs(core),
                described("DMA-BUF debugfs: bufinfo, modules, heaps (read-only)")));
        ModuleTable lsmod = new PublicServices.Lsmod(gate, core, context);
        ExportPolicyControl policySwitch = new PublicServices.PolicySwitch(gate);
        regs.add(context.registerService(ModuleTable.class, lsmod,
                described("DMA-BUF modules: lsmod, taint, why (read-only)")));
        regs.add(context.registerService(ExportPolicyControl.class, policySwitch,
                gplOnly("DMA-BUF export policy switch (administration)", null)));
        // the kernel's own console commands: plain objects, published only under Object for Gogo
        consoleCommands = new DmaBufCommands(core);
        regs.add(commands(context, consoleCommands, DmaBufCommands.FUNCTIONS));
        regs.add(commands(context, new GateCommands(lsmod, policySwitch, context), GateCommands.FUNCTIONS));
        regs.add(commands(context, new DeployCommands(lsmod, core.devices(), context), DeployCommands.FUNCTIONS));
        regs.add(commands(context, new DeviceCommands(core.devices(), context), DeviceCommands.FUNCTIONS));
        regs.addAll(HealthChecks.register(context, core, lsmod, () -> dog)); // hc:exec dmabuf
        // after a policy switch, announce the service again (MODIFIED) so newly allowed bundles see it
        gate.onPolicyApplied(() -> serviceReg.setProperties(props));
        // the caller guard runs only while a proprietary module is resolved
        Runnable arm = () -> core.guard(gate.armed() ? gate.guard() : null);
        gate.onArmingChanged(arm);
        arm.run();
        stopTimeout(config, properties);
        debug(config, properties);
        org.dmabuf.framework.internal.trace.Trace.open();
        startWatchdog(config);
        startPeers(config);
        regs.add(commands(context, new PeerCommands(() -> peers), PeerCommands.FUNCTIONS));
        LOG.info("dma-buf: core up, heaps {}", core.heapList().stream().map(h -> h.name()).toList());
    }

    /** The framework property that names the peer socket when the configuration does not. */
    static final String PEER_SOCKET_PROPERTY = "dmabuf.peer.socket";
    private volatile org.dmabuf.framework.internal.peer.PeerServer peers;

    // processes receive memfd buffers at the socket, when one is configured; a failure to listen is logged,
    // and the platform runs without it
    private void startPeers(Config config) {
        String p = config.peer_socket().isBlank() ? context.getProperty(PEER_SOCKET_PROPERTY) : config.peer_socket();
        if (p == null || p.isBlank()) {
            return;
        }
        try {
            peers = org.dmabuf.framework.internal.peer.PeerServer.start(core, java.nio.file.Path.of(p.trim()),
                    new org.dmabuf.framework.internal.peer.PeerServer.Publisher() {
                        // a process's stream of frames: a service of the framework's, while the process keeps it
                        @Override
                        public Object publish(org.dmabuf.api.ProcessFrames frames, java.util.Map<String, Object> props) {
                            return context.registerService(org.dmabuf.api.ProcessFrames.class, frames,
                                    new java.util.Hashtable<>(props));
                        }

                        @Override
                        public void unpublish(Object handle) {
                            try {
                                ((ServiceRegistration<?>) handle).unregister();
                            } catch (IllegalStateException stopped) {
                                // the framework bundle is stopping: unregistered with it
                            }
                        }
                    });
            core.processShare(peers); // displays hand their frames to the processes that subscribe
        } catch (java.io.IOException | RuntimeException | LinkageError e) {
            LOG.error("dma-buf: no peer socket at {}: {}", p, e.getMessage());
        }
    }

    /** {@code dmabuf:peers}: the processes connected to the peer socket. */
    public static final class PeerCommands {
        static final String[] FUNCTIONS = {"peers"};
        private final java.util.function.Supplier<org.dmabuf.framework.internal.peer.PeerServer> server;

        PeerCommands(java.util.function.Supplier<org.dmabuf.framework.internal.peer.PeerServer> server) {
            this.server = server;
        }

        /** @return one line per process: pid, uid, buffers held, fences pending */
        @org.apache.felix.service.command.Descriptor("the processes connected to the peer socket: pid, uid, buffers"
                + " held, fences pending (docs/cross-process.md)")
        public String peers() {
            org.dmabuf.framework.internal.peer.PeerServer s = server.get();
            if (s == null) {
                return "no peer socket (configuration org.dmabuf.framework peer_socket, or the framework property "
                        + PEER_SOCKET_PROPERTY + ")";
            }
            List<String> lines = s.describe();
            return s.path() + ": " + lines.size() + " process" + (lines.size() == 1 ? "" : "es") + " connected"
                    + (lines.isEmpty() ? "" : "\n" + String.join("\n", lines));
        }
    }

    /** Without a figure for the machine's memory: the old fixed cap. */
    static final long FALLBACK_SYSTEM_HEAP = 64L << 30;

    /**
     * @param configured the configured cap, 0 or less for the default
     * @param physical the machine's physical memory in bytes, 0 or less when unknown
     * @return the system heap's capacity: the configured one, else half the machine's memory
     */
    static long systemHeapSize(long configured, long physical) {
        if (configured > 0) {
            return configured;
        }
        return physical > 0 ? physical / 2 : FALLBACK_SYSTEM_HEAP;
    }

    /** @return the machine's physical memory (com.sun.management's figure), or 0 when the JVM does not say */
    static long physicalMemory() {
        try {
            Class<?> os = ClassLoader.getSystemClassLoader().loadClass("com.sun.management.OperatingSystemMXBean");
            Object bean = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            return os.isInstance(bean) ? (long) os.getMethod("getTotalMemorySize").invoke(bean) : 0;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("dma-buf: the machine's memory is unknown ({}); the system heap's cap is {} bytes", e,
                    FALLBACK_SYSTEM_HEAP);
            return 0;
        }
    }

    private static Hashtable<String, Object> described(String description) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_DESCRIPTION, description);
        return props;
    }

    // a service the gate's service hooks hide from bundles that may not link GPL-only symbols (of that namespace)
    private static Hashtable<String, Object> gplOnly(String description, String namespace) {
        Hashtable<String, Object> props = described(description);
        props.put(Gatekeeper.SERVICE_EXPORT, Symbol.Export.EXPORT_SYMBOL_GPL.name());
        if (namespace != null) {
            props.put(Gatekeeper.SERVICE_NAMESPACE, namespace);
        }
        return props;
    }

    private static ServiceRegistration<?> commands(BundleContext context, Object commands, String[] functions) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("osgi.command.scope", "dmabuf");
        props.put("osgi.command.function", functions);
        return context.registerService(Object.class, commands, props);
    }

    // once a second, on a thread of its own that never blocks on a driver: reports fences pending and locks held
    // past their timeouts, and revokes bundles stopping past the stop bound
    private synchronized void startWatchdog(Config config) {
        if (watchdog != null) {
            watchdog.shutdownNow();
            watchdog = null;
        }
        if (config == null) {
            dog = null;
            return;
        }
        Watchdog dog = new Watchdog(core, TimeUnit.SECONDS.toNanos(Math.max(0, config.fence_timeout_s())),
                TimeUnit.SECONDS.toNanos(Math.max(0, config.callback_timeout_s())));
        this.dog = dog;
        watchdog = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dma-buf watchdog");
            t.setDaemon(true);
            return t;
        });
        watchdog.scheduleWithFixedDelay(() -> {
            try {
                dog.scan(System.nanoTime()).forEach(LOG::warn);
            } catch (RuntimeException e) {
                LOG.error("dma-buf: the watchdog failed; it goes on", e);
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    /** The framework property that turns debug mode on when the configuration does not say. */
    static final String DEBUG_PROPERTY = "dmabuf.debug";

    // the configuration's debug if it says (bnd writes the annotation's defaults as component properties, so an
    // empty default stands for "not said"), else the framework property's, else off
    private void debug(Config config, java.util.Map<String, Object> properties) {
        String v = config.debug().isBlank() ? context.getProperty(DEBUG_PROPERTY) : config.debug();
        core.debug(v != null && Boolean.parseBoolean(v.trim()));
    }

    // the configuration's stop.timeout.ms if it says (bnd writes the annotation's defaults as component
    // properties, so the default -1 stands for "not said"), else the framework property's, else 5000 ms
    private void stopTimeout(Config config, java.util.Map<String, Object> properties) {
        long ms = config.stop_timeout_ms();
        if (ms < 0) {
            ms = DmaBufCore.DEFAULT_STOP_TIMEOUT_NANOS / 1_000_000;
            String p = context.getProperty(STOP_TIMEOUT_PROPERTY);
            if (p != null) {
                try {
                    ms = Long.parseLong(p.trim());
                } catch (NumberFormatException e) {
                    LOG.warn("dma-buf: {}={} is not a number of milliseconds; the stop bound stays {} ms",
                            STOP_TIMEOUT_PROPERTY, p, ms);
                }
            }
        }
        core.stopTimeout(TimeUnit.MILLISECONDS.toNanos(Math.max(1, ms)));
    }

    @Modified
    void modified(Config config, java.util.Map<String, Object> properties) {
        core.heapMax(heapMax(config.heap_max()));
        stopTimeout(config, properties);
        debug(config, properties);
        startWatchdog(config);
        LOG.info("dma-buf: {} changed; heap limits per module apply now, heap sizes when the framework bundle"
                + " restarts", PID);
    }

    /**
     * @param entries {@code bsn=bytes}, bytes with an optional K, M or G
     * @return the limits by module name
     * @throws IllegalArgumentException naming the entry that is not {@code bsn=bytes}
     */
    static java.util.Map<String, Long> heapMax(String[] entries) {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        for (String e : entries == null ? new String[0] : entries) {
            for (String one : e.split(",")) {
                String t = one.trim();
                if (t.isEmpty()) {
                    continue;
                }
                int eq = t.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("heap.max entry '" + t + "'; expected bsn=bytes, such as"
                            + " acme_gpu=256M");
                }
                out.put(t.substring(0, eq).trim(), org.dmabuf.framework.internal.console.Sizes.parse(t.substring(eq + 1).trim()));
            }
        }
        return out;
    }

    @Deactivate
    void deactivate() {
        startWatchdog(null);
        if (peers != null) {
            core.processShare(null);
            peers.close(); // the processes' buffers are dropped before the views go
            peers = null;
        }
        org.dmabuf.framework.internal.trace.Trace.close();
        gate.onArmingChanged(() -> { });
        gate.onPolicyApplied(() -> { });
        if (uninstalls != null) {
            context.removeBundleListener(uninstalls);
        }
        // in reverse: the commands first, then the views (every bundle's view is closed, so their buffers go)
        for (int i = regs.size() - 1; i >= 0; i--) {
            regs.get(i).unregister();
        }
        regs.clear();
        consoleCommands.close();
        core.bufferEvents(null);
        core.shutdown();
        LOG.info("dma-buf: core down");
    }
}
