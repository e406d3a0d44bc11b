// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.modpost;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Manifest;

import org.dmabuf.framework.internal.licence.Licence;
import org.dmabuf.framework.internal.licence.LicenceParser;

import aQute.bnd.header.Attrs;
import aQute.bnd.header.Parameters;
import aQute.bnd.osgi.Analyzer;
import aQute.bnd.osgi.Constants;
import aQute.bnd.osgi.Jar;
import aQute.bnd.osgi.Processor;
import aQute.bnd.osgi.Resource;
import aQute.bnd.service.AnalyzerPlugin;

/**
 * modpost, for bundles: a bnd analyzer plugin that finds the DMA-BUF symbols
 * a driver's bytecode really calls, writes the matching
 * {@code Require-Capability} into its manifest (each symbol, and the
 * namespaces they live in, as {@code MODULE_IMPORT_NS}), and fails the build
 * as the kernel's modpost does when a module whose licence is not
 * GPL-compatible uses a GPL-only symbol:
 *
 * <pre>
 * GPL-incompatible module acme_gpu uses GPL-only symbol 'dma_buf_export'
 * </pre>
 *
 * Enable it in a driver's {@code bnd.bnd}, with this artifact as a dependency
 * of bnd-maven-plugin:
 *
 * <pre>
 * -plugin.modpost: org.dmabuf.modpost.Modpost
 * # only for a driver written for the relaxed policy, as NVIDIA asked in 2012:
 * -dmabuf-policy: export-symbol
 * </pre>
 *
 * The symbol table is read from the API on the build path (the
 * {@code DmaBuf-Symvers} header of {@code org.dmabuf:dmabuf-api}, the
 * kernel's {@code Module.symvers}; or the framework bundle's
 * {@code Provide-Capability}), so a driver is checked against the API version
 * it compiles against.
 */
public class Modpost implements AnalyzerPlugin {
    /** The bnd instruction naming the export policy a driver is written for: {@code gpl-only} (default) or {@code export-symbol}. */
    public static final String POLICY_INSTRUCTION = "-dmabuf-policy";

    @Override
    public boolean analyzeJar(Analyzer analyzer) throws Exception {
        Symvers fw = Symvers.find(analyzer.getClasspath());
        if (fw == null) {
            analyzer.error("modpost: no DMA-BUF symbol table on the build path; expected the API "
                    + "(org.dmabuf:dmabuf-api, whose DmaBuf-Symvers lists the symbols) as a dependency");
            return false;
        }
        String policy = analyzer.getProperty(POLICY_INSTRUCTION, SymbolTable.GPL_ONLY_POLICY).trim();
        if (!policy.equals(SymbolTable.GPL_ONLY_POLICY) && !policy.equals(SymbolTable.EXPORT_SYMBOL_POLICY)) {
            analyzer.error("modpost: %s: %s is '%s'; expected gpl-only or export-symbol", analyzer.getBsn(),
                    POLICY_INSTRUCTION, policy);
            return false;
        }

        Linker linker = new Linker(fw.table, exportedClasses(analyzer.getClasspath()));
        for (Map.Entry<String, Resource> e : analyzer.getJar().getResources().entrySet()) {
            String path = e.getKey();
            if (path.endsWith(".class") && !path.endsWith("module-info.class") && !path.startsWith("META-INF/")) {
                try (InputStream in = e.getValue().openInputStream()) {
                    linker.scan(in.readAllBytes());
                }
            }
        }
        Map<SymbolTable.Symbol, Linker.Use> uses = linker.uses();

        String bsn = analyzer.getBsn();
        Licence licence = LicenceParser.parse(analyzer.getProperty(Constants.BUNDLE_LICENSE));
        boolean failed = false;
        if (!licence.gplCompatible()) {
            // as the kernel's modpost: one line per symbol, in its words; then the licence's verdict, once
            for (Map.Entry<SymbolTable.Symbol, Linker.Use> u : uses.entrySet()) {
                if (u.getKey().gplOnlyUnder(policy)) {
                    failed = true;
                    analyzer.error("GPL-incompatible module %s uses GPL-only symbol '%s' (%s calls %s)", bsn,
                            u.getKey().name(), u.getValue().where(), u.getValue().call());
                }
            }
            if (failed) {
                analyzer.error("modpost: %s: Bundle-License '%s' is not GPL-compatible (%s); expected a GPL-compatible"
                        + " licence%s", bsn, licence.name(), licence.reason(),
                        policy.equals(SymbolTable.GPL_ONLY_POLICY)
                                ? ", or " + POLICY_INSTRUCTION + ": export-symbol for a driver written for that policy"
                                : "");
            }
        }

        String existing = analyzer.getProperty(Constants.REQUIRE_CAPABILITY);
        List<String> clauses = new ArrayList<>();
        if (existing != null && !existing.isBlank()) {
            clauses.add(existing.trim());
        }
        Set<String> namespaces = new TreeSet<>();
        Set<String> symbols = new TreeSet<>();
        for (SymbolTable.Symbol s : uses.keySet()) {
            symbols.add(s.name());
            if (s.namespace() != null) {
                namespaces.add(s.namespace());
            }
        }
        for (String ns : namespaces) {
            String clause = SymbolTable.NAMESPACE_CAPABILITY + ";filter:=\"(" + SymbolTable.NAMESPACE_CAPABILITY + "=" + ns + ")\"";
            if (existing == null || !existing.contains("(" + SymbolTable.NAMESPACE_CAPABILITY + "=" + ns + ")")) {
                clauses.add(clause);
            }
        }
        for (String s : symbols) {
            if (existing == null || !existing.contains("(" + SymbolTable.CAPABILITY + "=" + s + ")")) {
                clauses.add(SymbolTable.CAPABILITY + ";filter:=\"(" + SymbolTable.CAPABILITY + "=" + s + ")\"");
            }
        }
        if (!clauses.isEmpty()) {
            analyzer.setProperty(Constants.REQUIRE_CAPABILITY, String.join(",", clauses));
        }
        analyzer.setProperty("DmaBuf-Symbols", String.join(",", symbols)); // modinfo's "depends", for people
        if (!failed) {
            analyzer.trace("modpost: %s links %s", bsn, symbols);
        }
        return false;
    }

    /**
     * @return the bytes of a class in an exported package of a bundle on the build path (the API, and the
     *         libraries a driver calls into, such as the DRM helpers), or {@code null}: the linker follows
     *         calls into them, as a driver that calls a helper links what the helper calls on its behalf
     */
    static java.util.function.Function<String, byte[]> exportedClasses(List<Jar> classpath) throws Exception {
        List<Map.Entry<Jar, Set<String>>> libraries = new ArrayList<>();
        for (Jar cp : classpath) {
            Manifest mf = cp.getManifest();
            String exports = mf == null ? null : mf.getMainAttributes().getValue(Constants.EXPORT_PACKAGE);
            if (exports != null) {
                Set<String> exported = new LinkedHashSet<>();
                for (String k : new Parameters(exports).keySet()) {
                    exported.add(Processor.removeDuplicateMarker(k).replace('.', '/'));
                }
                libraries.add(Map.entry(cp, exported));
            }
        }
        return internalName -> {
            int slash = internalName.lastIndexOf('/');
            if (slash < 0) {
                return null;
            }
            String pkg = internalName.substring(0, slash);
            for (Map.Entry<Jar, Set<String>> l : libraries) {
                Resource r = l.getValue().contains(pkg) ? l.getKey().getResource(internalName + ".class") : null;
                if (r != null) {
                    try (InputStream in = r.openInputStream()) {
                        return in.readAllBytes();
                    } catch (Exception e) {
                        throw new IllegalStateException("modpost: cannot read " + internalName + " from "
                                + l.getKey().getName(), e);
                    }
                }
            }
            return null;
        };
    }

    /** The API (or the framework bundle) on the build path: its symbol table. */
    static final class Symvers {
        final SymbolTable table;

        private Symvers(SymbolTable table) {
            this.table = table;
        }

        /** The API jar's symbol table: the clauses of the framework's Provide-Capability, in a header that is not one. */
        static final String HEADER = "DmaBuf-Symvers";

        static Symvers find(List<Jar> classpath) throws Exception {
            for (Jar cp : classpath) {
                Manifest mf = cp.getManifest();
                String provided = mf == null ? null : mf.getMainAttributes().getValue(HEADER);
                if (provided == null && mf != null) {
                    provided = mf.getMainAttributes().getValue(Constants.PROVIDE_CAPABILITY);
                }
                if (provided == null || !provided.contains(SymbolTable.CAPABILITY)) {
                    continue;
                }
                List<SymbolTable.Symbol> symbols = new ArrayList<>();
                for (Map.Entry<String, Attrs> e : new Parameters(provided).entrySet()) {
                    if (!Processor.removeDuplicateMarker(e.getKey()).equals(SymbolTable.CAPABILITY)) {
                        continue;
                    }
                    Attrs a = e.getValue();
                    String api = a.get("api");
                    symbols.add(new SymbolTable.Symbol(a.get(SymbolTable.CAPABILITY),
                            "EXPORT_SYMBOL_GPL".equals(a.get("export")), a.get("namespace"),
                            api == null ? List.of() : Arrays.stream(api.split(",")).map(String::trim).toList()));
                }
                return new Symvers(new SymbolTable(symbols, cp.getName()));
            }
            return null;
        }
    }
}
