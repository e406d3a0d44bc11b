// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.modpost;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The symbols the DMA-BUF framework exports, as its bundle's manifest states
 * them ({@code Provide-Capability: dmabuf.symbol;dmabuf.symbol=...;export=...;
 * namespace=...;api:List<String>=...}): modpost's {@code Module.symvers}.
 */
final class SymbolTable {
    /** The capability namespace of symbols, and its attribute of the same name. */
    static final String CAPABILITY = "dmabuf.symbol";
    /** The capability namespace of symbol namespaces. */
    static final String NAMESPACE_CAPABILITY = "dmabuf.namespace";
    /** The export policy under which the core's GPL-only symbols are plain exports. */
    static final String EXPORT_SYMBOL_POLICY = "export-symbol";
    /** The default policy: symbols are exported as in upstream Linux. */
    static final String GPL_ONLY_POLICY = "gpl-only";
    // the namespaces the export-symbol policy opens to every licence (LicenceGate.gplOnly)
    private static final List<String> CORE_NAMESPACES = List.of("DMA_BUF", "DMA_BUF_HEAP");

    /** One exported symbol. */
    record Symbol(String name, boolean gplOnly, String namespace, List<String> methods) {
        /** @return whether a module that is not GPL-compatible may not link it under the policy */
        boolean gplOnlyUnder(String policy) {
            return gplOnly && !(EXPORT_SYMBOL_POLICY.equals(policy) && namespace != null && CORE_NAMESPACES.contains(namespace));
        }
    }

    private final Map<String, Symbol> byMethod = new HashMap<>(); // "org/dmabuf/api/DmaBuf.attach" -> symbol
    private final String source;

    SymbolTable(Collection<Symbol> symbols, String source) {
        this.source = source;
        for (Symbol s : symbols) {
            for (String m : s.methods()) {
                int dot = m.lastIndexOf('.');
                byMethod.put(m.substring(0, dot).replace('.', '/') + "." + m.substring(dot + 1), s);
            }
        }
    }

    /** @return the symbol that the method is, or {@code null}; owner in internal form ({@code org/dmabuf/api/DmaBuf}) */
    Symbol of(String owner, String method) {
        return byMethod.get(owner + "." + method);
    }

    /** @return whether the type (internal form) declares symbols itself */
    boolean declares(String owner) {
        String prefix = owner + ".";
        return byMethod.keySet().stream().anyMatch(k -> k.startsWith(prefix));
    }

    /** @return where the table was read from, for messages */
    String source() {
        return source;
    }

    boolean isEmpty() {
        return byMethod.isEmpty();
    }
}
