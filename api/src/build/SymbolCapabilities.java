// SPDX-License-Identifier: GPL-2.0-only
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.dmabuf.api.Symbol;

/**
 * The symbol table of {@link Symbol} as OSGi capabilities, written as a bnd
 * file the build includes, so that no manifest can drift from the table. A
 * build script (a single-file Java program, not part of any jar), run by
 * exec-maven-plugin after compiling:
 *
 * <ul>
 * <li>the framework bundle (the kernel) writes its {@code Provide-Capability}
 * with it: the symbols that are linked against at run time;</li>
 * <li>the API artifact (the headers) writes the same clauses as
 * {@code DmaBuf-Symvers}, a header that is not a capability (installing the
 * API jar provides no symbol): the kernel's {@code Module.symvers}, which
 * modpost checks a driver against at build time.</li>
 * </ul>
 *
 * Usage: {@code java -cp <api classes> SymbolCapabilities.java <header> <out.bnd>}
 */
final class SymbolCapabilities {
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
    private static final List<String> API_PACKAGES = List.of("org.dmabuf.api", "org.dmabuf.api.fence", "org.dmabuf.api.device");

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

    /** @param args the header (Provide-Capability or DmaBuf-Symvers) and the bnd file to write */
    public static void main(String[] args) throws IOException {
        if (args.length != 2 || !List.of("Provide-Capability", "DmaBuf-Symvers").contains(args[0])) {
            throw new IllegalArgumentException("usage: SymbolCapabilities.java Provide-Capability|DmaBuf-Symvers <out.bnd>");
        }
        Path out = Path.of(args[1]);
        Files.createDirectories(out.getParent());
        Files.writeString(out, "# Generated from org.dmabuf.api.Symbol by api/src/build/SymbolCapabilities.java; do not edit\n"
                + args[0] + ": \\\n  " + String.join(",\\\n  ", clauses()) + "\n");
    }
}
