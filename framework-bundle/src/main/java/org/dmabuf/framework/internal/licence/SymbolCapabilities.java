// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.licence;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.dmabuf.api.Symbol;

/**
 * Writes the framework bundle's {@code Provide-Capability} for every
 * {@link Symbol} and symbol namespace, as a bnd file the build includes: the
 * symbol table is written once, in {@link Symbol}, and the manifest cannot
 * drift from it. Run by the build (exec-maven-plugin) after compiling.
 */
public final class SymbolCapabilities {
    private SymbolCapabilities() {
    }

    /** @return the capabilities, one clause each, in table order */
    public static List<String> clauses() {
        List<String> out = new ArrayList<>();
        Set<String> namespaces = new LinkedHashSet<>();
        for (Symbol s : Symbol.values()) {
            StringBuilder c = new StringBuilder(Symbol.CAPABILITY).append(';').append(Symbol.CAPABILITY).append('=')
                    .append(s.symbolName()).append(';').append(Symbol.EXPORT_ATTRIBUTE).append('=').append(s.export());
            if (s.namespace() != null) {
                c.append(';').append(Symbol.NAMESPACE_ATTRIBUTE).append('=').append(s.namespace());
                namespaces.add(s.namespace());
            }
            c.append(';').append(Symbol.API_ATTRIBUTE).append(":List<String>=\"")
                    .append(String.join(",", methods(s))).append('"');
            out.add(c.toString());
        }
        for (String ns : namespaces) {
            out.add(Symbol.NAMESPACE_CAPABILITY + ';' + Symbol.NAMESPACE_CAPABILITY + '=' + ns);
        }
        return out;
    }

    // the API packages, where the simple class names of Symbol.api() live
    private static final List<String> API_PACKAGES = List.of("org.dmabuf.api", "org.dmabuf.api.fence");

    /**
     * @return the API methods that are the symbol, each as
     *         {@code <fully qualified interface>.<method>}: what modpost looks for in a driver's bytecode
     * @throws IllegalStateException when the table names a method no API interface declares
     */
    public static List<String> methods(Symbol s) {
        List<String> out = new ArrayList<>();
        for (String m : s.api().split(",\\s*")) {
            int dot = m.indexOf('.');
            String simple = m.substring(0, dot);
            String method = m.substring(dot + 1);
            Class<?> type = API_PACKAGES.stream().map(p -> load(p + "." + simple)).filter(c -> c != null).findFirst()
                    .orElseThrow(() -> new IllegalStateException(s + ": no API type " + simple + " in " + API_PACKAGES));
            if (java.util.Arrays.stream(type.getMethods()).noneMatch(x -> x.getName().equals(method))) {
                throw new IllegalStateException(s + ": " + type.getName() + " declares no method " + method);
            }
            out.add(type.getName() + "." + method);
        }
        return out;
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, SymbolCapabilities.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    /** @return the bnd instruction */
    public static String bnd() {
        return "# Generated from org.dmabuf.api.Symbol by " + SymbolCapabilities.class.getName() + "; do not edit\n"
                + "Provide-Capability: \\\n  " + String.join(",\\\n  ", clauses()) + "\n";
    }

    /** @param args the file to write */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Files.createDirectories(out.getParent());
        Files.writeString(out, bnd());
    }
}
