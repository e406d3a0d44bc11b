// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.licence;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.dmabuf.api.Symbol;

/**
 * What the gate needs to know of a bundle: read from its manifest, so the
 * gate can decide before anything is resolved.
 *
 * @param bundleId the bundle id
 * @param bsn the symbolic name, the module's name in every message
 * @param licence the licence as read from {@code Bundle-License}
 * @param intree whether it carries {@code DmaBuf-Intree: Y} ({@code MODULE_INFO(intree, "Y")})
 * @param symbols its {@code dmabuf.symbol} requirements
 * @param namespaces the symbol namespaces it imports
 * @param module whether it takes part in DMA-BUF at all (requires symbols or
 *        imports the API); other bundles are not judged, as user-space is not
 */
public record ModuleFacts(long bundleId, String bsn, Licence licence, boolean intree, List<SymbolRequirement> symbols,
        Set<String> namespaces, boolean module) {

    /** The manifest header marking a bundle built in the project's tree. */
    public static final String INTREE_HEADER = "DmaBuf-Intree";

    /**
     * One {@code Require-Capability: dmabuf.symbol} clause.
     *
     * @param filter the filter as written
     * @param matcher the filter, applied to a symbol's capability attributes
     * @param optional whether it has {@code resolution:=optional}
     */
    public record SymbolRequirement(String filter, Predicate<Map<String, Object>> matcher, boolean optional) {
        /** @return whether this requirement asks for the symbol */
        public boolean matches(Symbol s) {
            return matcher.test(attributes(s));
        }
    }

    /** @return the attributes of a symbol's capability, as the manifest carries them */
    public static Map<String, Object> attributes(Symbol s) {
        return s.namespace() == null
                ? Map.of(Symbol.CAPABILITY, s.symbolName(), Symbol.EXPORT_ATTRIBUTE, s.export().name())
                : Map.of(Symbol.CAPABILITY, s.symbolName(), Symbol.EXPORT_ATTRIBUTE, s.export().name(),
                        Symbol.NAMESPACE_ATTRIBUTE, s.namespace());
    }
}
