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
            out.add(c.toString());
        }
        for (String ns : namespaces) {
            out.add(Symbol.NAMESPACE_CAPABILITY + ';' + Symbol.NAMESPACE_CAPABILITY + '=' + ns);
        }
        return out;
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
