// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import org.dmabuf.api.module.ExportPolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.Symbol;
import org.dmabuf.framework.internal.core.CallerGuard;
import org.dmabuf.framework.internal.core.LoadedModule;
import org.dmabuf.framework.internal.licence.LicenceGate;
import org.dmabuf.framework.internal.licence.ModuleFacts;
import org.dmabuf.framework.internal.licence.Taint;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.hooks.resolver.ResolverHook;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.hooks.service.EventListenerHook;
import org.osgi.framework.hooks.service.FindHook;
import org.osgi.framework.hooks.service.ListenerHook.ListenerInfo;
import org.osgi.framework.namespace.HostNamespace;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The licence gate's three places of enforcement, and its bookkeeping:
 * <ol>
 * <li>a resolver hook: GPL-only symbol capabilities are removed from the
 * candidates of a module that may not use them, as are symbols of a namespace
 * it does not import and packages of proprietary modules for a module that
 * uses GPL-only symbols; starting such a module fails with the kernel's lines;</li>
 * <li>service hooks: the GPL-only services are invisible to such modules;</li>
 * <li>the caller guard: while such a module is resolved, a GPL-only entry
 * point reached through someone else's view, or by reflection, fails.</li>
 * </ol>
 * It also sets taint as modules load (P, O) and link (inherited P).
 */
final class Gatekeeper implements ResolverHookFactory, FindHook, EventListenerHook, SynchronousBundleListener,
        CallerGuard, org.dmabuf.framework.internal.core.FdCallers.Rule {
    static final Logger LOG = LoggerFactory.getLogger("module");
    /** Service property: how a service's symbol is exported. */
    static final String SERVICE_EXPORT = "dmabuf.export";
    /** Service property: the symbol namespace of a service. */
    static final String SERVICE_NAMESPACE = "dmabuf.namespace";

    private final LicenceGate gate;
    private final BundleFacts facts;
    private final Bundle self;
    /** Resolved modules that count as proprietary: the bundles the caller guard watches for. */
    private final Set<Long> proprietaryResolved = ConcurrentHashMap.newKeySet();
    private final Map<Long, List<String>> lastRefusal = new ConcurrentHashMap<>();
    // the refusal last logged for each bundle, until its next load (a refresh, an update, a reinstall)
    private final Map<Long, List<String>> said = new ConcurrentHashMap<>();
    private volatile Runnable armingChanged = () -> { };

    private volatile UeventPoster uevents = UeventPoster.NONE;

    void uevents(UeventPoster poster) {
        uevents = poster;
    }

    private final BundleContext context;

    Gatekeeper(LicenceGate gate, BundleContext context) {
        this.gate = gate;
        this.context = context;
        this.self = context.getBundle();
        this.facts = new BundleFacts(self.getBundleId());
    }

    LicenceGate gate() {
        return gate;
    }

    ModuleFacts facts(Bundle b) {
        return facts.of(b);
    }

    /** @return the kernel's lines the last refused start of this bundle gave, or none */
    List<String> lastRefusal(long bundleId) {
        return lastRefusal.getOrDefault(bundleId, List.of());
    }

    void onArmingChanged(Runnable r) {
        this.armingChanged = r;
    }

    /** @return whether the caller guard must run: a proprietary module is resolved */
    boolean armed() {
        return !proprietaryResolved.isEmpty();
    }

    /** Takes stock of the bundles already there (the gate starting late, or again). */
    void scan(BundleContext context) {
        for (Bundle b : context.getBundles()) {
            if ((b.getState() & (Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING)) != 0) {
                linked(b);
            }
        }
    }

    // --- 1. resolver hook --------------------------------------------------------

    @Override
    public ResolverHook begin(Collection<BundleRevision> triggers) {
        return new Hook(List.copyOf(triggers));
    }

    private final class Hook implements ResolverHook {
        private final List<BundleRevision> triggers;

        Hook(List<BundleRevision> triggers) {
            this.triggers = triggers;
        }

        @Override
        public void filterResolvable(Collection<BundleRevision> candidates) {
            // A start of refused modules only: fail it with the kernel's lines, as insmod does.
            // (Felix reports them as "Resolver hook exception: <lines>".) In a resolve of many
            // bundles the refused ones are left out quietly by filterMatches instead.
            if (triggers.isEmpty()) {
                return;
            }
            List<String> lines = new ArrayList<>();
            for (BundleRevision r : triggers) {
                ModuleFacts m = facts.of(r);
                if (!m.module() || r.getWiring() != null) {
                    return;
                }
                LicenceGate.Verdict v = gate.verdict(m);
                List<String> refusal = new ArrayList<>(v.refusalLines());
                if (gate.usesGplOnlySymbols(m)) {
                    for (String p : proprietaryOnlyProviders(r)) {
                        refusal.add(LicenceGate.gplUsesProprietary(m.bsn(), p));
                    }
                }
                if (refusal.isEmpty()) {
                    return;
                }
                lastRefusal.put(m.bundleId(), List.copyOf(refusal));
                // as the kernel prints it at load: its taint and one block of "Unknown symbol" lines, once for
                // each load (Felix tries again at every resolve; a refresh, an update or a reinstall is a new
                // load); modpost's build-time wording stays in dmabuf:why
                List<String> was = said.put(m.bundleId(), List.copyOf(refusal));
                if (!refusal.equals(was)) {
                    loading(m);
                    LOG.warn(String.join("\n", refusal));
                    uevents.post(org.dmabuf.api.debugfs.Uevents.MODULE_REFUSED, "change",
                            org.dmabuf.api.debugfs.Uevents.MODULE, m.bsn(),
                            org.dmabuf.api.debugfs.Uevents.BUNDLE_ID, m.bundleId(),
                            org.dmabuf.api.debugfs.Uevents.LINES, refusal.toArray(String[]::new));
                }
                lines.addAll(refusal);
            }
            throw new ModuleRefused(String.join("\n", lines));
        }

        @Override
        public void filterSingletonCollisions(BundleCapability singleton, Collection<BundleCapability> collisions) {
            // not the gate's business
        }

        @Override
        public void filterMatches(BundleRequirement requirement, Collection<BundleCapability> candidates) {
            String ns = requirement.getNamespace();
            if (Symbol.CAPABILITY.equals(ns)) {
                ModuleFacts m = facts.of(requirement.getRevision());
                for (Iterator<BundleCapability> it = candidates.iterator(); it.hasNext(); ) {
                    Symbol s = Symbol.byName(String.valueOf(it.next().getAttributes().get(Symbol.CAPABILITY)));
                    if (s != null && gate.decide(m, s) != LicenceGate.Decision.GRANT) {
                        it.remove();
                    }
                }
            } else if (HostNamespace.HOST_NAMESPACE.equals(ns)) {
                // a fragment runs as its host's code: none attaches to the kernel, and a bundle without a
                // GPL-compatible licence attaches to no module (it would use the host's view and grants)
                ModuleFacts f = facts.of(requirement.getRevision());
                for (Iterator<BundleCapability> it = candidates.iterator(); it.hasNext(); ) {
                    Bundle host = it.next().getRevision().getBundle();
                    String why = host.equals(self) ? "the DMA-BUF framework takes no fragments"
                            : facts.of(host).module() && !f.licence().gplCompatible()
                                    ? "a fragment without a GPL-compatible licence ('" + f.licence().name()
                                            + "') attaches to no DMA-BUF module"
                                    : null;
                    if (why != null) {
                        it.remove();
                        String line = f.bsn() + ": cannot attach to " + host.getSymbolicName() + ": " + why;
                        LOG.error(line);
                        lastRefusal.put(f.bundleId(), List.of(line));
                    }
                }
            } else if (PackageNamespace.PACKAGE_NAMESPACE.equals(ns)) {
                ModuleFacts m = facts.of(requirement.getRevision());
                if (!m.module() || !gate.usesGplOnlySymbols(m)) {
                    return;
                }
                for (Iterator<BundleCapability> it = candidates.iterator(); it.hasNext(); ) {
                    BundleRevision provider = it.next().getRevision();
                    if (provider.getBundle().getBundleId() == m.bundleId()) {
                        continue;
                    }
                    ModuleFacts p = facts.of(provider);
                    if (p.module() && gate.proprietary(p)) {
                        it.remove();
                        String line = LicenceGate.gplUsesProprietary(m.bsn(), p.bsn());
                        LOG.error(line);
                        lastRefusal.put(m.bundleId(), List.of(line));
                    }
                }
            }
        }

        @Override
        public void end() {
        }
    }

    // the proprietary modules that are the only providers of one of the revision's mandatory imports
    private List<String> proprietaryOnlyProviders(BundleRevision r) {
        List<String> out = new ArrayList<>();
        Bundle[] all = self.getBundleContext().getBundles();
        // the proprietary modules first (few, usually none): only a package one of them offers needs the look at
        // every bundle's packages (a driver imports a dozen packages, a platform has dozens of bundles)
        List<BundleRevision> proprietary = new ArrayList<>();
        for (Bundle b : all) {
            BundleRevision p = b.adapt(BundleRevision.class);
            if (p != null && b.getBundleId() != r.getBundle().getBundleId()) {
                ModuleFacts f = facts.of(p);
                if (f.module() && gate.proprietary(f)) {
                    proprietary.add(p);
                }
            }
        }
        if (proprietary.isEmpty()) {
            return out;
        }
        for (BundleRequirement req : r.getDeclaredRequirements(PackageNamespace.PACKAGE_NAMESPACE)) {
            if ("optional".equals(req.getDirectives().get("resolution")) || !offers(proprietary, req)) {
                continue;
            }
            List<ModuleFacts> providers = new ArrayList<>();
            for (Bundle b : all) {
                BundleRevision p = b.adapt(BundleRevision.class);
                if (p == null || b.getBundleId() == r.getBundle().getBundleId()) {
                    continue;
                }
                for (BundleCapability c : p.getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE)) {
                    if (req.matches(c)) {
                        providers.add(facts.of(p));
                        break;
                    }
                }
            }
            if (!providers.isEmpty() && providers.stream().allMatch(p -> p.module() && gate.proprietary(p))) {
                providers.forEach(p -> out.add(p.bsn()));
            }
        }
        return out;
    }

    private static boolean offers(List<BundleRevision> revisions, BundleRequirement req) {
        for (BundleRevision p : revisions) {
            for (BundleCapability c : p.getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE)) {
                if (req.matches(c)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Thrown by the resolver hook: its message is the kernel's. */
    static final class ModuleRefused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ModuleRefused(String message) {
            super(message, null, false, false);
        }
    }

    // --- taint as modules load and link -------------------------------------------------

    @Override
    public void bundleChanged(BundleEvent event) {
        Bundle b = event.getBundle();
        switch (event.getType()) {
            case BundleEvent.STARTING -> {
                ModuleFacts m = facts.of(b);
                if (m.module()) {
                    loading(m);
                    deepReflection(b, m);
                }
            }
            case BundleEvent.RESOLVED -> linked(b);
            case BundleEvent.UNRESOLVED, BundleEvent.UNINSTALLED -> {
                said.remove(b.getBundleId());
                reflective.remove(b.getBundleId());
                if (proprietaryResolved.remove(b.getBundleId())) {
                    armingChanged.run();
                }
                facts.forget(b);
            }
            case BundleEvent.UPDATED -> {
                said.remove(b.getBundleId()); // a new load: its refusal is said again
                reflective.remove(b.getBundleId());
                facts.forget(b);
            }
            default -> {
            }
        }
    }

    // --- deep reflection: what no in-process check stops, made visible ------------------------------

    /** What each loaded module's classes use to reach past the API, by bundle id; an empty list: nothing. */
    private final Map<Long, List<String>> reflective = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The calls that open what the API closes, as a class file's constant pool names them: how a message names
     * the call, the method's name, and the classes one of which must be named too (the method's owner; a class
     * of its own with a method of that name alone is not reported).
     */
    private static final String[][] DEEP = {
        {"AccessibleObject.setAccessible", "setAccessible", "java/lang/reflect/AccessibleObject",
                "java/lang/reflect/Field", "java/lang/reflect/Method", "java/lang/reflect/Constructor"},
        {"MethodHandles.privateLookupIn", "privateLookupIn", "java/lang/invoke/MethodHandles"},
        {"sun.misc.Unsafe", "sun/misc/Unsafe", "sun/misc/Unsafe"}};
    /** Bounds of the scan, so that a huge bundle cannot stall its start: entries, and bytes read. */
    static final int SCAN_MAX_CLASSES = 20_000;
    static final long SCAN_MAX_BYTES = 64L << 20;

    /**
     * A module whose classes call {@code setAccessible}, {@code privateLookupIn} or use
     * {@code sun.misc.Unsafe} can reach past every check of the platform (no Java 25 program can stop it
     * in-process): it is tainted F, as the kernel taints a force-loaded module, once per load, and
     * {@code dmabuf:why} names what was found where.
     */
    private void deepReflection(Bundle b, ModuleFacts m) {
        if (reflective.containsKey(b.getBundleId())) {
            return;
        }
        List<String> found = scan(b);
        reflective.put(b.getBundleId(), found);
        if (!found.isEmpty()) {
            gate.taint().add(m.bsn(), Taint.Flag.FORCED_MODULE);
            LOG.warn("{}: module uses deep reflection ({}) - tainting kernel", m.bsn(), String.join(", ", found));
        }
    }

    /** @return what the bundle's classes use to reach past the API, each with the class that does ("... in a/B.class") */
    static List<String> scan(Bundle b) {
        List<String> found = new ArrayList<>();
        java.util.Enumeration<java.net.URL> e = b.findEntries("/", "*.class", true);
        int classes = 0;
        long bytes = 0;
        while (e != null && e.hasMoreElements() && found.size() < 3) {
            if (classes >= SCAN_MAX_CLASSES || bytes >= SCAN_MAX_BYTES) {
                found.add("not scanned past " + classes + " classes (" + (bytes >> 20) + " MB): what follows is"
                        + " unknown");
                break;
            }
            java.net.URL u = e.nextElement();
            byte[] data;
            try (java.io.InputStream in = u.openStream()) {
                data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, SCAN_MAX_BYTES - bytes));
            } catch (java.io.IOException unreadable) {
                continue;
            }
            classes++;
            bytes += data.length;
            for (String[] d : DEEP) {
                if (!contains(data, ascii(d[1]))) {
                    continue;
                }
                for (int i = 2; i < d.length; i++) {
                    if (contains(data, ascii(d[i]))) {
                        String path = u.getPath();
                        found.add(d[0] + " in " + (path.startsWith("/") ? path.substring(1) : path));
                        break;
                    }
                }
            }
        }
        return found;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static boolean contains(byte[] data, byte[] marker) {
        outer:
        for (int i = 0; i + marker.length <= data.length; i++) {
            for (int j = 0; j < marker.length; j++) {
                if (data[i + j] != marker[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** @return what a loaded module's classes use to reach past the API; empty when nothing, or not started yet */
    public List<String> deepReflectionOf(long bundleId) {
        return reflective.getOrDefault(bundleId, List.of());
    }

    // load_module: the licence and the in-tree flag taint at load, refused or not
    private void loading(ModuleFacts m) {
        if (!m.licence().gplCompatible()) {
            gate.taint().add(m.bsn(), Taint.Flag.PROPRIETARY_MODULE);
            LOG.warn(LicenceGate.licenceTaints(m.bsn(), m.licence().name()));
            if (m.licence().warns()) {
                LOG.warn("{}: {}", m.bsn(), m.licence().reason());
            }
        }
        if (!m.intree()) {
            gate.taint().add(m.bsn(), Taint.Flag.OOT_MODULE);
            LOG.warn(LicenceGate.outOfTreeTaints(m.bsn()));
        }
    }

    // resolve_symbol/inherit_taint: a module linked to a proprietary module's packages inherits P
    private void linked(Bundle b) {
        ModuleFacts m = facts.of(b);
        if (!m.module()) {
            return;
        }
        BundleWiring w = b.adapt(BundleWiring.class);
        if (w != null && !gate.proprietary(m)) {
            for (BundleWire wire : w.getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE)) {
                Bundle provider = wire.getProvider().getBundle();
                if (provider.getBundleId() == b.getBundleId()) {
                    continue;
                }
                ModuleFacts p = facts.of(provider);
                if (p.module() && gate.proprietary(p)) {
                    gate.inherit(m, p.bsn());
                    LOG.warn(LicenceGate.inheritingTaint(m.bsn(), p.bsn()));
                    break;
                }
            }
        }
        if (gate.proprietary(m) && proprietaryResolved.add(b.getBundleId())) {
            armingChanged.run();
        }
    }

    // --- 2. service hooks ------------------------------------------------------------------

    private boolean hidden(Bundle viewer, ServiceReference<?> ref) {
        if (!Symbol.Export.EXPORT_SYMBOL_GPL.name().equals(ref.getProperty(SERVICE_EXPORT))) {
            return false;
        }
        if (viewer.getBundleId() == 0 || viewer.equals(self)) {
            return false;
        }
        String ns = String.valueOf(ref.getProperty(SERVICE_NAMESPACE));
        boolean gplOnlyNow = gate.policy() == ExportPolicy.GPL_ONLY
                || !(Symbol.DMA_BUF.equals(ns) || Symbol.DMA_BUF_HEAP.equals(ns));
        if (!gplOnlyNow) {
            return false;
        }
        ModuleFacts m = facts.of(viewer);
        return m.module() && gate.proprietary(m);
    }

    @Override
    public void find(BundleContext context, String name, String filter, boolean allServices,
            Collection<ServiceReference<?>> references) {
        Bundle viewer = context.getBundle();
        references.removeIf(ref -> hidden(viewer, ref));
    }

    @Override
    public void event(ServiceEvent event, Map<BundleContext, Collection<ListenerInfo>> listeners) {
        ServiceReference<?> ref = event.getServiceReference();
        if (ref.getProperty(SERVICE_EXPORT) == null) {
            return;
        }
        listeners.keySet().removeIf(ctx -> hidden(ctx.getBundle(), ref));
    }

    // --- 3. the caller guard ---------------------------------------------------------------------

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    @Override
    public void check(LoadedModule owner, Symbol symbol) {
        if (!gate.gplOnly(symbol)) {
            return;
        }
        // the first frame that belongs to a bundle: code of no bundle (a class of a plain ClassLoader, the
        // JDK's reflection trampolines such as java.beans' MethodUtil) is never trusted to be the caller; the
        // bundle beneath it is judged instead
        ClassLoader ours = Gatekeeper.class.getClassLoader();
        Bundle b = WALKER.walk(frames -> frames.map(StackWalker.StackFrame::getDeclaringClass)
                .filter(c -> c.getClassLoader() != ours && c.getClassLoader() != null)
                .map(FrameworkUtil::getBundle).filter(x -> x != null)
                .findFirst().orElse(null));
        if (b == null || b.getBundleId() == owner.bundleId() || !proprietaryResolved.contains(b.getBundleId())) {
            return;
        }
        ModuleFacts m = facts.of(b);
        LOG.error(LicenceGate.gplIncompatible(m.bsn(), symbol.symbolName()));
        throw new DmaBufException(Errno.ENOENT, LicenceGate.unknownSymbol(m.bsn(), symbol.symbolName())
                + ": reached through " + owner.name() + "'s DMA-BUF view (a passed-on object or reflection); "
                + m.bsn() + " is licensed '" + m.licence().name() + "', expected a GPL-compatible licence for "
                + "GPL-only symbols");
    }

    // --- 4. whose view: the owner check of fd calls (docs/security.md) ---------------------------------

    @Override
    public long bundleOf(Class<?> c) {
        Bundle b = FrameworkUtil.getBundle(c);
        return b == null ? org.dmabuf.framework.internal.core.FdCallers.NONE
                : b.equals(self) ? org.dmabuf.framework.internal.core.FdCallers.TRUSTED : b.getBundleId();
    }

    @Override
    public long stackCaller() {
        ClassLoader ours = Gatekeeper.class.getClassLoader();
        return WALKER.walk(frames -> {
            boolean viewLayer = true;
            for (var it = frames.iterator(); it.hasNext();) {
                Class<?> c = it.next().getDeclaringClass();
                ClassLoader l = c.getClassLoader();
                if (l == ours) {
                    String n = c.getName();
                    boolean view = n.startsWith("org.dmabuf.api.") || n.startsWith("org.dmabuf.framework.internal.core.")
                            || n.startsWith("org.dmabuf.framework.woven.") || n.startsWith(Gatekeeper.class.getName());
                    if (!view && viewLayer) {
                        // the framework's own code, calling the view directly (nothing foreign in between)
                        return org.dmabuf.framework.internal.core.FdCallers.TRUSTED;
                    }
                    // the view itself and the API's default methods; or framework code beneath a foreign frame
                    // (a proxy or trampoline the framework was made to call): never trusted, a bundle is sought
                    continue;
                }
                viewLayer = false;
                Bundle b = l == null ? null : FrameworkUtil.getBundle(c);
                if (b != null) {
                    return b.getBundleId(); // the first frame of a bundle: code of no bundle is never the caller
                }
            }
            return org.dmabuf.framework.internal.core.FdCallers.NONE;
        });
    }

    @Override
    public long libraryCaller() {
        ClassLoader ours = Gatekeeper.class.getClassLoader();
        return WALKER.walk(frames -> {
            long library = -1;
            for (var it = frames.iterator(); it.hasNext();) {
                Class<?> c = it.next().getDeclaringClass();
                ClassLoader l = c.getClassLoader();
                Bundle b = l == null || l == ours ? null : FrameworkUtil.getBundle(c);
                if (b == null) {
                    continue; // the view, the JDK's frames, code of no bundle: never the caller
                }
                if (library < 0) {
                    library = b.getBundleId(); // the library that asks
                } else if (b.getBundleId() != library) {
                    return b.getBundleId(); // who called it
                }
            }
            return org.dmabuf.framework.internal.core.FdCallers.NONE;
        });
    }

    @Override
    public boolean helper(LoadedModule owner, long caller) {
        Bundle o = context.getBundle(owner.bundleId());
        Bundle c = context.getBundle(caller);
        if (o == null || c == null) {
            return false;
        }
        ModuleFacts m = facts.of(c);
        if (gate.proprietary(m)) {
            return false; // a library acts for its callers only under a GPL-compatible licence
        }
        org.osgi.framework.wiring.BundleWiring w = o.adapt(org.osgi.framework.wiring.BundleWiring.class);
        if (w == null) {
            return false;
        }
        for (org.osgi.framework.wiring.BundleWire wire : w.getRequiredWires(null)) {
            if (wire.getProvider().getBundle().equals(c)) {
                return true; // the owner links it: it imports a package of it, or requires it
            }
        }
        return false;
    }

    @Override
    public String name(long bundleId) {
        Bundle b = context.getBundle(bundleId);
        return b == null ? "bundle " + bundleId : b.getSymbolicName();
    }
}
