// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import org.dmabuf.api.module.ExportPolicy;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Symbol;
import org.dmabuf.api.module.ExportPolicyControl;
import org.dmabuf.api.module.ModuleLine;
import org.dmabuf.framework.internal.licence.LicenceGate;
import org.dmabuf.framework.internal.licence.ModuleFacts;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The licence gate as the rest of the framework bundle uses it: grants for a
 * bundle's view, the policy switch, and the explanations the console prints.
 * A service of the framework bundle, internal to it.
 */
public final class GateService {
    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");

    private final BundleContext context;
    private final Gatekeeper keeper;
    private final UeventPoster uevents;
    private final ExecutorService switcher = Executors.newSingleThreadExecutor(r -> new Thread(r, "dmabuf-policy"));
    private volatile Runnable reannounce = () -> { };

    GateService(BundleContext context, Gatekeeper keeper, UeventPoster uevents) {
        this.context = context;
        this.keeper = keeper;
        this.uevents = uevents;
        context.addBundleListener(e -> {
            if (e.getType() == org.osgi.framework.BundleEvent.UNINSTALLED) {
                forget(e.getBundle());
            }
        });
    }

    /** @return the gate */
    public LicenceGate gate() {
        return keeper.gate();
    }

    void onPolicyApplied(Runnable r) {
        this.reannounce = r;
    }

    /** @return the caller guard, to install in the core while {@link #armed()} */
    org.dmabuf.framework.internal.core.CallerGuard guard() {
        return keeper;
    }

    /** @return whether a proprietary module is resolved, so the caller guard must run */
    boolean armed() {
        return keeper.armed();
    }

    void onArmingChanged(Runnable r) {
        keeper.onArmingChanged(r);
    }

    void close() {
        switcher.shutdownNow();
    }

    // a grant mask as computed for one wiring under one gate generation
    private record Grants(BundleWiring wiring, int generation, long mask) {
    }

    private final Map<Bundle, Grants> grantsCache = new ConcurrentHashMap<>(); // by the bundle: no boxed id a get

    /**
     * @return the symbols the bundle linked and may call now, as a grant mask;
     *         cached per wiring and gate generation, so a bundle that gets and
     *         ungets its view again and again pays for the wires once
     */
    long grants(Bundle b) {
        BundleWiring w = b.adapt(BundleWiring.class);
        if (w == null) {
            return 0;
        }
        int gen = gate().generation();
        Grants g = grantsCache.get(b);
        if (g != null && g.wiring() == w && g.generation() == gen) {
            return g.mask();
        }
        long mask = grants(b, w);
        grantsCache.put(b, new Grants(w, gen, mask));
        return mask;
    }

    /** Drops what is cached for a bundle that was unresolved or uninstalled. */
    void forget(Bundle b) {
        grantsCache.remove(b);
    }

    private long grants(Bundle b, BundleWiring w) {
        ModuleFacts m = keeper.facts(b);
        long mask = 0;
        for (BundleWire wire : w.getRequiredWires(Symbol.CAPABILITY)) {
            Symbol s = Symbol.byName(String.valueOf(wire.getCapability().getAttributes().get(Symbol.CAPABILITY)));
            if (s != null && gate().decide(m, s) == LicenceGate.Decision.GRANT) {
                mask |= 1L << s.ordinal();
            }
        }
        return mask;
    }

    // --- the policy switch ------------------------------------------------------------------

    /**
     * Switches the export policy and re-evaluates only the modules it affects:
     * refused modules that may now link are started (if they were meant to
     * run); running modules that lose a symbol are refreshed, which stops them
     * and cleans up their handles as a stop does.
     *
     * @return when the switch has taken effect
     */
    public CompletableFuture<ExportPolicyControl.Switch> switchTo(ExportPolicy to) {
        return CompletableFuture.supplyAsync(() -> apply(to), switcher);
    }

    private ExportPolicyControl.Switch apply(ExportPolicy to) {
        ExportPolicy from = gate().policy();
        List<String> refreshed = new ArrayList<>();
        List<String> started = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        if (from == to) {
            return new ExportPolicyControl.Switch(from, to, refreshed, started, failed, lines(from, to, refreshed,
                    started, failed));
        }
        gate().policy(to);
        Set<Bundle> toRefresh = new LinkedHashSet<>();
        List<Bundle> toStart = new ArrayList<>();
        int activeLevel = context.getBundle(0).adapt(FrameworkStartLevel.class).getStartLevel();
        for (Bundle b : context.getBundles()) {
            ModuleFacts m = keeper.facts(b);
            if (!m.module()) {
                continue;
            }
            boolean resolved = (b.getState() & (Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING)) != 0;
            if (resolved && losesSymbol(b, m)) {
                toRefresh.add(b);
            } else if (b.getState() == Bundle.INSTALLED && !gate().verdict(m).refused()) {
                BundleStartLevel sl = b.adapt(BundleStartLevel.class);
                if (sl.isPersistentlyStarted() && sl.getStartLevel() <= activeLevel) {
                    toStart.add(b);
                }
            }
        }
        if (!toRefresh.isEmpty()) {
            CountDownLatch done = new CountDownLatch(1);
            context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(toRefresh, e -> {
                if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                    done.countDown();
                }
            });
            try {
                if (!done.await(60, TimeUnit.SECONDS)) {
                    failed.add("the refresh did not finish within 60 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            toRefresh.forEach(b -> refreshed.add(b.getSymbolicName()));
        }
        for (Bundle b : toStart) {
            try {
                b.start();
                started.add(b.getSymbolicName());
            } catch (BundleException e) {
                failed.add(b.getSymbolicName() + ": " + e.getMessage());
            }
        }
        reannounce.run();
        ExportPolicyControl.Switch s = new ExportPolicyControl.Switch(from, to, refreshed, started, failed,
                lines(from, to, refreshed, started, failed));
        s.lines().forEach(l -> LOG.info("dma-buf: {}", l.strip()));
        uevents.post(org.dmabuf.api.debugfs.Uevents.POLICY_CHANGED, "change", org.dmabuf.api.debugfs.Uevents.FROM,
                from.label(), org.dmabuf.api.debugfs.Uevents.TO, to.label());
        return s;
    }

    // a switch told in words, one fact a line, for the console and the log
    private static List<String> lines(ExportPolicy from, ExportPolicy to, List<String> refreshed, List<String> started,
            List<String> failed) {
        List<String> out = new ArrayList<>();
        out.add("export policy: " + from.label() + " -> " + to.label());
        if (to == ExportPolicy.EXPORT_SYMBOL && from != to) {
            out.add("  the DMA-BUF core is EXPORT_SYMBOL now, as NVIDIA asked in 2012 (acked by Rob Clark, "
                    + "NAKed upstream by Alan Cox and Mauro Chehab)");
        } else if (to == ExportPolicy.GPL_ONLY && from != to) {
            out.add("  the DMA-BUF core is EXPORT_SYMBOL_NS_GPL(.., \"DMA_BUF\") again, as upstream Linux");
        }
        out.add("  started:   " + (started.isEmpty() ? "-" : String.join(" ", started)));
        out.add("  refreshed: " + (refreshed.isEmpty() ? "-" : String.join(" ", refreshed)));
        failed.forEach(f -> out.add("  failed:    " + f));
        out.add("  every other bundle and its buffers: untouched");
        return out;
    }

    // a running module linked to a symbol the new policy denies it, or denied one it may now have
    private boolean losesSymbol(Bundle b, ModuleFacts m) {
        BundleWiring w = b.adapt(BundleWiring.class);
        if (w == null) {
            return false;
        }
        for (BundleWire wire : w.getRequiredWires(Symbol.CAPABILITY)) {
            Symbol s = Symbol.byName(String.valueOf(wire.getCapability().getAttributes().get(Symbol.CAPABILITY)));
            if (s != null && gate().decide(m, s) != LicenceGate.Decision.GRANT) {
                return true;
            }
        }
        return false;
    }

    // --- explanations ------------------------------------------------------------------------------

    /** @return the gate's explanation of a bundle, in the kernel's words */
    public List<String> why(Bundle b) {
        ModuleFacts m = keeper.facts(b);
        LicenceGate.Verdict v = gate().verdict(m);
        List<String> out = new ArrayList<>();
        out.add(m.bsn() + " [" + b.getBundleId() + "]: " + state(b.getState())
                + (m.module() ? "" : ", not a DMA-BUF module (it neither requires symbols nor reaches the API by"
                        + " import, dynamic import or Require-Bundle)"));
        out.add("  licence: " + (m.licence().header() == null ? "(no Bundle-License header)"
                : "'" + m.licence().name() + "'") + ": " + m.licence().reason());
        if (v.inheritedFrom() != null) {
            out.add("  inherited taint P from proprietary module " + v.inheritedFrom());
        }
        out.add("  policy:  " + v.policy().label());
        out.add("  taint:   " + keeper.gate().taint().moduleLabel(m.bsn()));
        List<String> deep = keeper.deepReflectionOf(b.getBundleId());
        if (!deep.isEmpty()) {
            out.add("  deep reflection (taint F, as a force-loaded module): " + String.join("; ", deep)
                    + "; it can reach past every check of the platform");
        }
        if (!m.module()) {
            keeper.lastRefusal(b.getBundleId()).forEach(l -> out.add("  refused: " + l)); // a fragment's, say
            return out;
        }
        List<Symbol> granted = v.granted();
        out.add("  granted: " + (granted.isEmpty() ? "-" : String.join(" ", granted.stream().map(Symbol::symbolName).toList())));
        Map<Symbol, LicenceGate.Decision> denied = v.denied();
        if (denied.isEmpty() && !v.refused()) {
            out.add("  denied:  -");
        } else {
            out.add("  denied:");
            v.refusalLines().forEach(l -> out.add("    " + l));
            v.gplIncompatibleLines().forEach(l -> out.add("    " + l));
            List<String> gplDenied = denied.entrySet().stream().filter(e -> e.getValue() == LicenceGate.Decision.DENY_GPL)
                    .map(e -> e.getKey().symbolName()).toList();
            if (!gplDenied.isEmpty()) {
                out.add("  why:     " + String.join(", ", gplDenied) + (gplDenied.size() == 1 ? " is" : " are")
                        + " EXPORT_SYMBOL_GPL under the " + v.policy().label() + " policy, and licence '"
                        + m.licence().name() + "' is not GPL-compatible"
                        + (v.inheritedFrom() != null ? " (taint inherited from " + v.inheritedFrom() + ")" : ""));
            }
            denied.forEach((s, d) -> {
                if (d == LicenceGate.Decision.DENY_NAMESPACE) {
                    out.add("  why:     " + s.symbolName() + " is in namespace " + s.namespace() + ", which "
                            + m.bsn() + " does not import (add Require-Capability: " + Symbol.NAMESPACE_CAPABILITY
                            + ";filter:=\"(" + Symbol.NAMESPACE_CAPABILITY + "=" + s.namespace() + ")\")");
                }
            });
            keeper.lastRefusal(b.getBundleId()).stream().filter(l -> l.contains("proprietary module"))
                    .forEach(l -> out.add("  why:     " + l));
            if (denied.containsValue(LicenceGate.Decision.DENY_GPL) && v.policy() == ExportPolicy.GPL_ONLY) {
                out.add("  to load it: dmabuf:policy export-symbol (the 2012 request), or a GPL-compatible licence");
            }
        }
        return out;
    }

    /**
     * @param users for each exporter, the modules that hold its buffers (lsmod's "Used by")
     * @param heapBytes for each bundle id, the heap memory it allocated and that is not freed yet
     * @return one line per DMA-BUF module, as lsmod
     */
    public List<ModuleLine> modules(Map<String, Set<String>> users, Map<Long, Long> heapBytes) {
        List<ModuleLine> out = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            ModuleFacts m = keeper.facts(b);
            if (m.module()) {
                out.add(new ModuleLine(b.getBundleId(), m.bsn(), m.licence().name(), m.licence().gplCompatible(),
                        keeper.gate().taint().moduleLabel(m.bsn()), state(b.getState()),
                        gate().verdict(m).refused(), List.copyOf(users.getOrDefault(m.bsn(), Set.of())),
                        heapBytes.getOrDefault(b.getBundleId(), 0L)));
            }
        }
        return out;
    }

    static String state(int s) {
        return switch (s) {
            case Bundle.INSTALLED -> "Installed";
            case Bundle.RESOLVED -> "Resolved";
            case Bundle.STARTING -> "Starting";
            case Bundle.STOPPING -> "Stopping";
            case Bundle.ACTIVE -> "Active";
            default -> "Uninstalled";
        };
    }
}
