// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.console;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.felix.service.command.Descriptor;
import org.dmabuf.api.module.ExportPolicy;
import org.dmabuf.api.module.ModuleLine;
import org.dmabuf.api.module.ExportPolicyControl;
import org.dmabuf.api.module.ModuleTable;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The licence gate's {@code dmabuf:} commands: the policy, explanations,
 * taint and modules. They read and switch through the same public services
 * the Web Console uses ({@link ModuleTable}, {@link ExportPolicyControl}).
 */
public class GateCommands {
    /** The functions, for Gogo's {@code osgi.command.function}. */
    public static final String[] FUNCTIONS = {"policy", "why", "taint", "modules", "modprobe", "rmmod"};

    private final ModuleTable modules;
    private final ExportPolicyControl control;
    private final BundleContext context;

    /**
     * @param modules lsmod, taint and why
     * @param policy the policy switch
     * @param context the framework bundle's context, to find bundles and Config Admin
     */
    public GateCommands(ModuleTable modules, ExportPolicyControl policy, BundleContext context) {
        this.modules = modules;
        this.control = policy;
        this.context = context;
    }

    @Descriptor("show the export policy of the DMA-BUF core's symbols")
    public String policy() {
        ExportPolicy p = modules.policy();
        return "export policy: " + p.label() + (p == ExportPolicy.GPL_ONLY
                ? " (upstream Linux: EXPORT_SYMBOL_NS_GPL in namespace DMA_BUF)"
                : " (the 2012 request: EXPORT_SYMBOL)");
    }

    @Descriptor("switch the export policy; returns once the affected modules are started or stopped")
    public String policy(@Descriptor("gpl-only or export-symbol") String policy) throws Exception {
        ExportPolicy p = ExportPolicy.of(policy);
        var done = control.switchTo(p).toCompletableFuture();
        ServiceReference<ConfigurationAdmin> ref = context.getServiceReference(ConfigurationAdmin.class);
        ConfigurationAdmin ca = ref == null ? null : context.getService(ref);
        if (ca != null) { // persist it, so it survives a restart and shows in the Web Console
            try {
                Configuration c = ca.getConfiguration(ExportPolicyControl.PID, "?");
                Dictionary<String, Object> props = new Hashtable<>();
                props.put("policy", p.label());
                c.updateIfDifferent(props);
            } finally {
                context.ungetService(ref);
            }
        }
        try {
            return String.join("\n", done.get(90, TimeUnit.SECONDS).lines());
        } catch (ExecutionException e) {
            throw new IllegalStateException("the policy switch failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the policy switch did not finish within 90 s");
        }
    }

    @Descriptor("explain, in the kernel's words, why a bundle is refused or tainted")
    public String why(@Descriptor("bundle id or symbolic name") String bundle) {
        Bundle b = Bundles.find(context, bundle);
        if (b == null) {
            throw new IllegalArgumentException("no bundle '" + Bundles.shown(bundle)
                    + "'; expected a bundle id or symbolic name (lb)");
        }
        return String.join("\n", modules.why(b.getBundleId()));
    }

    @Descriptor("print the kernel taint: Tainted: P O, or Not tainted, with the letters decoded")
    public String taint() {
        StringBuilder s = new StringBuilder(String.join("\n", modules.taint()));
        s.append("\nModules linked in:");
        for (ModuleLine m : modules.modules()) {
            s.append(' ').append(m.label());
        }
        return s.append('\n').toString();
    }

    @Descriptor("load a module: start the driver bundle of that symbolic name (or id)")
    public String modprobe(@Descriptor("the module (bundle symbolic name) or bundle id") String module) throws Exception {
        Bundle b = module(module);
        b.start();
        return module + ": " + GateServiceStates.of(b);
    }

    @Descriptor("unload a module: stop the driver bundle; unlike Linux's rmmod, one in use stops too, and the"
            + " framework cleans up what it held")
    public String rmmod(@Descriptor("the module (bundle symbolic name) or bundle id") String module) throws Exception {
        Bundle b = module(module);
        b.stop();
        return module + ": " + GateServiceStates.of(b);
    }

    // a driver bundle: one the gate judges as a DMA-BUF module, but the framework itself
    private Bundle module(String name) {
        Bundle b = Bundles.find(context, name);
        if (b == null) {
            throw new IllegalArgumentException("modprobe: FATAL: Module " + Bundles.shown(name) + " not found;"
                    + " expected a bundle symbolic name or id (lb)");
        }
        boolean driver = b.getBundleId() != 0 && b.getBundleId() != context.getBundle().getBundleId()
                && modules.modules().stream().anyMatch(m -> m.id() == b.getBundleId());
        if (!driver) {
            throw new IllegalArgumentException("modprobe: FATAL: " + Bundles.shown(name) + " (bundle "
                    + b.getBundleId() + ", " + b.getSymbolicName() + ") is not a DMA-BUF module; expected a driver"
                    + " bundle from dmabuf:modules"
                    + " (the system bundle, the framework and the shell are not modules)");
        }
        return b;
    }

    /** Bundle states as words. */
    private static final class GateServiceStates {
        static String of(Bundle b) {
            return switch (b.getState()) {
                case Bundle.ACTIVE -> "Active";
                case Bundle.RESOLVED -> "Resolved";
                case Bundle.INSTALLED -> "Installed";
                default -> "state " + b.getState();
            };
        }
    }

    @Descriptor("list the DMA-BUF modules as lsmod does: licence, taint, state, the heap memory each allocated,"
            + " and who uses whose buffers")
    public String modules() {
        Columns t = new Columns("Id>", "Module", "Licence", "State", "Memory>", "Used by");
        for (ModuleLine m : modules.modules()) {
            List<String> by = m.usedBy();
            String used = by.size() + (by.isEmpty() ? "" : " " + String.join(",", by));
            t.row(m.id(), m.label(), m.licence(), m.state(), bytes(m.heapBytes()),
                    used + (m.refused() ? "   (refused: dmabuf:why " + m.name() + ")" : ""));
        }
        return t.toString();
    }

    /** @return bytes as lsmod's reader likes them: 0, 4K, 256M, or bytes when not whole */
    static String bytes(long n) {
        if (n != 0 && n % (1L << 20) == 0) {
            return (n >> 20) + "M";
        }
        return n != 0 && n % 1024 == 0 ? (n >> 10) + "K" : String.valueOf(n);
    }
}
