// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.dmabuf.api.Symbol;
import org.dmabuf.framework.internal.licence.LicenceParser;
import org.dmabuf.framework.internal.licence.ModuleFacts;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.namespace.BundleNamespace;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.resource.Namespace;
import org.osgi.resource.Requirement;

/**
 * Reads {@link ModuleFacts} from a bundle's manifest (its current revision),
 * cached per revision, so the hooks answer in nanoseconds after the first time.
 */
final class BundleFacts {
    // an import of org.dmabuf.api or one of its subpackages, whatever the version range
    private static final java.util.regex.Pattern API_IMPORT =
            java.util.regex.Pattern.compile("\\(osgi\\.wiring\\.package=org\\.dmabuf\\.api(\\.[^)]*)?\\)");
    // the packages a bundle may reach the API through, and the bundles that export them
    private static final List<String> API_PACKAGES = List.of("org.dmabuf.api", "org.dmabuf.api.fence",
            "org.dmabuf.api.device", "org.dmabuf.api.debugfs", "org.dmabuf.api.module", "org.dmabuf.api.display",
            "org.dmabuf.drm");
    private static final List<String> API_BUNDLES = List.of("org.dmabuf.framework", "drm");
    private final Map<BundleRevision, ModuleFacts> cache = new ConcurrentHashMap<>();
    private final long kernelId;

    /** @param kernelId the framework bundle's id: the kernel, which is no module */
    BundleFacts(long kernelId) {
        this.kernelId = kernelId;
    }

    ModuleFacts of(Bundle b) {
        BundleRevision r = b.adapt(BundleRevision.class);
        return r == null ? of(b, null, kernelId) : of(r);
    }

    ModuleFacts of(BundleRevision r) {
        return cache.computeIfAbsent(r, x -> of(x.getBundle(), x, kernelId));
    }

    void forget(Bundle b) {
        cache.keySet().removeIf(r -> r.getBundle().equals(b));
    }

    private static ModuleFacts of(Bundle b, BundleRevision r, long kernelId) {
        Dictionary<String, String> h = b.getHeaders("");
        String licence = h.get(Constants.BUNDLE_LICENSE);
        boolean intree = "Y".equalsIgnoreCase(String.valueOf(h.get(ModuleFacts.INTREE_HEADER)).trim());
        List<ModuleFacts.SymbolRequirement> symbols = new ArrayList<>();
        Set<String> namespaces = new LinkedHashSet<>();
        boolean importsApi = false;
        if (r != null) {
            for (Requirement req : r.getRequirements(Symbol.CAPABILITY)) {
                String filter = req.getDirectives().get(Namespace.REQUIREMENT_FILTER_DIRECTIVE);
                Filter f = parse(filter);
                boolean optional = Namespace.RESOLUTION_OPTIONAL
                        .equals(req.getDirectives().get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE));
                symbols.add(new ModuleFacts.SymbolRequirement(String.valueOf(filter),
                        f == null ? m -> false : f::matches, optional));
            }
            for (Requirement req : r.getRequirements(Symbol.NAMESPACE_CAPABILITY)) {
                Filter f = parse(req.getDirectives().get(Namespace.REQUIREMENT_FILTER_DIRECTIVE));
                for (Symbol s : Symbol.values()) {
                    if (s.namespace() != null && f != null
                            && f.matches(Map.of(Symbol.NAMESPACE_CAPABILITY, s.namespace()))) {
                        namespaces.add(s.namespace());
                    }
                }
            }
            for (Requirement req : r.getRequirements(PackageNamespace.PACKAGE_NAMESPACE)) {
                String filter = req.getDirectives().get(Namespace.REQUIREMENT_FILTER_DIRECTIVE);
                if (filter != null && API_IMPORT.matcher(filter).find()) {
                    importsApi = true;
                } else if (PackageNamespace.RESOLUTION_DYNAMIC.equals(
                        req.getDirectives().get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE))) {
                    // DynamicImport-Package: *, org.*, org.dmabuf.*: whatever could wire to the API at run time
                    Filter f = parse(filter);
                    importsApi |= f != null && API_PACKAGES.stream()
                            .anyMatch(p -> f.matches(Map.of(PackageNamespace.PACKAGE_NAMESPACE, p)));
                }
            }
            // Require-Bundle of the framework (the kernel) or the DRM helpers: every package they export
            for (Requirement req : r.getRequirements(BundleNamespace.BUNDLE_NAMESPACE)) {
                Filter f = parse(req.getDirectives().get(Namespace.REQUIREMENT_FILTER_DIRECTIVE));
                importsApi |= f != null && API_BUNDLES.stream()
                        .anyMatch(bsn -> f.matches(Map.of(BundleNamespace.BUNDLE_NAMESPACE, bsn)));
            }
        }
        boolean module = b.getBundleId() != 0 && b.getBundleId() != kernelId && (!symbols.isEmpty() || !namespaces.isEmpty() || importsApi);
        return new ModuleFacts(b.getBundleId(), String.valueOf(b.getSymbolicName()), LicenceParser.parse(licence),
                intree, List.copyOf(symbols), Set.copyOf(namespaces), module);
    }

    private static Filter parse(String filter) {
        if (filter == null) {
            return null;
        }
        try {
            return FrameworkUtil.createFilter(filter);
        } catch (InvalidSyntaxException e) {
            return null;
        }
    }
}
