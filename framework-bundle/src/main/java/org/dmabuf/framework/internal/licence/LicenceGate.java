// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.licence;

import org.dmabuf.api.module.ExportPolicy;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dmabuf.api.Symbol;

/**
 * The licence gate's decisions: which module may link which symbol under
 * the current export policy, with the kernel's words for every refusal
 * ({@code kernel/module/main.c}). Plain Java: the OSGi hooks ask it, the
 * console explains with it, and unit tests drive it directly.
 */
public final class LicenceGate {

    /** What the gate says to one module about one symbol. */
    public enum Decision {
        /** Linked. */
        GRANT,
        /** GPL-only symbol, module not GPL-compatible (or tainted P by inheritance). */
        DENY_GPL,
        /** Symbol in a namespace the module does not import. */
        DENY_NAMESPACE
    }

    private volatile ExportPolicy policy;
    private final Taint taint = new Taint();
    private final Map<Long, String> inheritedFrom = new ConcurrentHashMap<>();
    // bumped whenever a decision may change (policy switch, inherited taint): caches of decisions check it
    private final AtomicInteger generation = new AtomicInteger();

    /** @param policy the policy at start */
    public LicenceGate(ExportPolicy policy) {
        this.policy = policy;
    }

    /** @return the policy in force */
    public ExportPolicy policy() {
        return policy;
    }

    /** Sets the policy; the OSGi layer re-evaluates the bundles. */
    public void policy(ExportPolicy p) {
        this.policy = p;
        generation.incrementAndGet();
    }

    /**
     * @return a number that changes whenever {@link #decide} may answer
     *         differently for the same module and symbol; decisions cached
     *         under one generation hold while it is current
     */
    public int generation() {
        return generation.get();
    }

    /** @return the framework's taint */
    public Taint taint() {
        return taint;
    }

    /** @return whether the symbol is GPL-only under the policy in force */
    public boolean gplOnly(Symbol s) {
        return gplOnly(s, policy);
    }

    static boolean gplOnly(Symbol s, ExportPolicy p) {
        if (!s.gplOnly()) {
            return false;
        }
        boolean core = Symbol.DMA_BUF.equals(s.namespace()) || Symbol.DMA_BUF_HEAP.equals(s.namespace());
        return !(p == ExportPolicy.EXPORT_SYMBOL && core);
    }

    /** @return whether the module counts as proprietary: its licence, or taint inherited from one */
    public boolean proprietary(ModuleFacts m) {
        return !m.licence().gplCompatible() || inheritedFrom.containsKey(m.bundleId());
    }

    /** Records that a module was wired to a proprietary module's packages (Linux 5.9+ taint inheritance). */
    public void inherit(ModuleFacts m, String fromModule) {
        if (inheritedFrom.putIfAbsent(m.bundleId(), fromModule) == null) {
            generation.incrementAndGet();
        }
        taint.add(m.bsn(), Taint.Flag.PROPRIETARY_MODULE);
    }

    /** @return the proprietary module a module inherited its taint from, or {@code null} */
    public String inheritedFrom(long bundleId) {
        return inheritedFrom.get(bundleId);
    }

    /** @return what the gate says to the module about the symbol, under the policy in force */
    public Decision decide(ModuleFacts m, Symbol s) {
        if (s.namespace() != null && !m.namespaces().contains(s.namespace())) {
            return Decision.DENY_NAMESPACE;
        }
        if (gplOnly(s) && proprietary(m)) {
            return Decision.DENY_GPL;
        }
        return Decision.GRANT;
    }

    /** @return whether the module asks for any symbol that is GPL-only under the policy in force */
    public boolean usesGplOnlySymbols(ModuleFacts m) {
        for (ModuleFacts.SymbolRequirement r : m.symbols()) {
            for (Symbol s : Symbol.values()) {
                if (gplOnly(s) && r.matches(s)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** @return the gate's whole judgement of a module under the policy in force */
    public Verdict verdict(ModuleFacts m) {
        List<Outcome> outcomes = new ArrayList<>();
        for (ModuleFacts.SymbolRequirement r : m.symbols()) {
            Map<Symbol, Decision> d = new EnumMap<>(Symbol.class);
            for (Symbol s : Symbol.values()) {
                if (r.matches(s)) {
                    d.put(s, decide(m, s));
                }
            }
            outcomes.add(new Outcome(r, d));
        }
        return new Verdict(m, policy, proprietary(m), inheritedFrom(m.bundleId()), outcomes);
    }

    // --- the kernel's words ---------------------------------------------------------

    /** {@code <mod>: Unknown symbol <sym> (err -2)}. */
    public static String unknownSymbol(String bsn, String symbol) {
        return bsn + ": Unknown symbol " + symbol + " (err -2)";
    }

    /** modpost's {@code GPL-incompatible module <mod> uses GPL-only symbol '<sym>'}. */
    public static String gplIncompatible(String bsn, String symbol) {
        return "GPL-incompatible module " + bsn + " uses GPL-only symbol '" + symbol + "'";
    }

    /** {@code <mod>: module uses symbol (<sym>) from namespace <ns>, but does not import it.} */
    public static String namespaceNotImported(String bsn, String symbol, String namespace) {
        return bsn + ": module uses symbol (" + symbol + ") from namespace " + namespace + ", but does not import it.";
    }

    /** {@code <mod>: module license '<lic>' taints kernel.} */
    public static String licenceTaints(String bsn, String licence) {
        return bsn + ": module license '" + licence + "' taints kernel.";
    }

    /** {@code <mod>: loading out-of-tree module taints kernel.} */
    public static String outOfTreeTaints(String bsn) {
        return bsn + ": loading out-of-tree module taints kernel.";
    }

    /** {@code <mod>: module uses symbols from proprietary module <p>, inheriting taint.} */
    public static String inheritingTaint(String bsn, String proprietary) {
        return bsn + ": module uses symbols from proprietary module " + proprietary + ", inheriting taint.";
    }

    /** {@code <mod>: module using GPL-only symbols uses symbols from proprietary module <p>.} */
    public static String gplUsesProprietary(String bsn, String proprietary) {
        return bsn + ": module using GPL-only symbols uses symbols from proprietary module " + proprietary + ".";
    }

    /** One requirement and what the gate said about each symbol it matches. */
    public record Outcome(ModuleFacts.SymbolRequirement requirement, Map<Symbol, Decision> decisions) {
        /** @return whether some symbol it asks for is granted */
        public boolean satisfied() {
            return decisions.containsValue(Decision.GRANT);
        }
    }

    /**
     * The gate's judgement of a module.
     *
     * @param facts the module
     * @param policy the policy it was judged under
     * @param proprietary whether it counts as proprietary
     * @param inheritedFrom the proprietary module whose taint it inherited, or null
     * @param outcomes one per symbol requirement
     */
    public record Verdict(ModuleFacts facts, ExportPolicy policy, boolean proprietary, String inheritedFrom,
            List<Outcome> outcomes) {
        /** @return whether a mandatory requirement cannot be met: the module cannot resolve */
        public boolean refused() {
            return outcomes.stream().anyMatch(o -> !o.requirement().optional() && !o.satisfied());
        }

        /** @return the symbols the module is granted, in table order */
        public List<Symbol> granted() {
            return outcomes.stream().flatMap(o -> o.decisions().entrySet().stream())
                    .filter(e -> e.getValue() == Decision.GRANT).map(Map.Entry::getKey).distinct().sorted().toList();
        }

        /** @return the symbols refused, with the decision, in table order */
        public Map<Symbol, Decision> denied() {
            Map<Symbol, Decision> out = new EnumMap<>(Symbol.class);
            for (Outcome o : outcomes) {
                o.decisions().forEach((s, d) -> {
                    if (d != Decision.GRANT) {
                        out.put(s, d);
                    }
                });
            }
            return out;
        }

        /** @return the kernel's lines for every requirement that cannot be met, in manifest order */
        public List<String> refusalLines() {
            Map<String, Boolean> lines = new LinkedHashMap<>();
            String bsn = facts.bsn();
            for (Outcome o : outcomes) {
                if (o.requirement().optional() || o.satisfied()) {
                    continue;
                }
                if (o.decisions().isEmpty()) {
                    lines.put(unknownSymbol(bsn, symbolOf(o.requirement().filter())), true);
                }
                o.decisions().forEach((s, d) -> {
                    if (d == Decision.DENY_NAMESPACE) {
                        lines.put(namespaceNotImported(bsn, s.symbolName(), s.namespace()), true);
                    } else {
                        lines.put(unknownSymbol(bsn, s.symbolName()), true);
                    }
                });
            }
            return List.copyOf(lines.keySet());
        }

        /** @return modpost's line for every GPL-only symbol refused */
        public List<String> gplIncompatibleLines() {
            List<String> out = new ArrayList<>();
            denied().forEach((s, d) -> {
                if (d == Decision.DENY_GPL) {
                    out.add(gplIncompatible(facts.bsn(), s.symbolName()));
                }
            });
            return out;
        }
    }

    private static final Pattern SIMPLE = Pattern.compile("\\(\\s*" + Pattern.quote(Symbol.CAPABILITY) + "\\s*=\\s*([^)]+)\\)");

    /** @return the symbol a simple filter asks for, or the filter itself */
    static String symbolOf(String filter) {
        Matcher m = SIMPLE.matcher(filter == null ? "" : filter.trim());
        return m.matches() ? m.group(1).trim() : filter;
    }
}
