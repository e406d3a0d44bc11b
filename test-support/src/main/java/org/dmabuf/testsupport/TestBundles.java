// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.dmabuf.api.Symbol;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

/**
 * Builds real bundles from classes of the test at run time, as a third-party
 * driver would be built: a manifest with the licence, the symbols it links
 * and the namespaces it imports, and its classes (nested and anonymous ones
 * included). By default a bundle is GPL-2.0-only, in-tree, and links every
 * symbol of the DMA-BUF core and the heaps.
 *
 * <pre>{@code
 * Bundle b = TestBundles.bundle("test.blob").licence("Proprietary").activator(Holder.class).install(context);
 * }</pre>
 */
public final class TestBundles {
    private final String symbolicName;
    private String licence = "GPL-2.0-only";
    private Class<?> activator;
    private final List<Class<?>> classes = new ArrayList<>();
    private List<String> symbols = Arrays.stream(Symbol.values()).map(Symbol::symbolName).toList();
    private List<String> namespaces = List.of(Symbol.DMA_BUF, Symbol.DMA_BUF_HEAP);
    private boolean intree = true;
    private final List<String> imports = new ArrayList<>(List.of("org.dmabuf.api;version=\"[1.0,2)\"",
            "org.dmabuf.api.fence;version=\"[1.0,2)\"",
            "org.osgi.framework;version=\"[1.10,2)\"", "org.osgi.util.tracker;version=\"[1.5,2)\""));
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Map<String, byte[]> entries = new LinkedHashMap<>();

    private TestBundles(String symbolicName) {
        this.symbolicName = symbolicName;
    }

    /** The DMA-BUF core's and the heaps' symbols: what the 2012 policy switch is about. */
    public static final String[] CORE = Arrays.stream(Symbol.values())
            .filter(s -> s.namespace() != null).map(Symbol::symbolName).toArray(String[]::new);

    /**
     * @param symbolicName its Bundle-SymbolicName: the module's name in every message
     * @return a bundle of that symbolic name, with the defaults
     */
    public static TestBundles bundle(String symbolicName) {
        return new TestBundles(symbolicName);
    }

    /**
     * @param l the Bundle-License header, or {@code null} for none
     * @return this
     */
    public TestBundles licence(String l) {
        this.licence = l;
        return this;
    }

    /**
     * @param c the Bundle-Activator
     * @return this
     */
    public TestBundles activator(Class<?> c) {
        this.activator = c;
        return this;
    }

    /**
     * @param cs more classes to pack
     * @return this
     */
    public TestBundles classes(Class<?>... cs) {
        classes.addAll(List.of(cs));
        return this;
    }

    /**
     * @param names the symbols it links (none for none)
     * @return this
     */
    public TestBundles symbols(String... names) {
        this.symbols = List.of(names);
        return this;
    }

    /**
     * @param ns the symbol namespaces it imports
     * @return this
     */
    public TestBundles namespaces(String... ns) {
        this.namespaces = List.of(ns);
        return this;
    }

    /**
     * @param y whether it carries {@code DmaBuf-Intree: Y}
     * @return this
     */
    public TestBundles intree(boolean y) {
        this.intree = y;
        return this;
    }

    /**
     * @param clauses the whole Import-Package, in place of the defaults (the API and the framework's
     *        packages); none for no Import-Package header
     * @return this
     */
    public TestBundles importsOnly(String... clauses) {
        imports.clear();
        imports.addAll(List.of(clauses));
        return this;
    }

    /**
     * @param clause one more Import-Package clause
     * @return this
     */
    public TestBundles imports(String clause) {
        imports.add(clause);
        return this;
    }

    /**
     * @param name a header
     * @param value its value
     * @return this
     */
    public TestBundles header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /**
     * @param symbols the symbols, by the kernel's names
     * @param namespaces the symbol namespaces
     * @return the Require-Capability clauses for the symbols and namespaces
     */
    public static String requireCapability(List<String> symbols, List<String> namespaces) {
        List<String> clauses = new ArrayList<>();
        for (String ns : namespaces) {
            clauses.add(Symbol.NAMESPACE_CAPABILITY + ";filter:=\"(" + Symbol.NAMESPACE_CAPABILITY + "=" + ns + ")\"");
        }
        for (String s : symbols) {
            clauses.add(Symbol.CAPABILITY + ";filter:=\"(" + Symbol.CAPABILITY + "=" + s + ")\"");
        }
        return String.join(",", clauses);
    }

    /**
     * Builds and installs the bundle (not started).
     *
     * @param context a bundle context in the container
     * @return the bundle, installed from location {@code test:<symbolicName>}
     * @throws BundleException when the framework refuses to install it
     */
    public Bundle install(BundleContext context) throws BundleException {
        return context.installBundle("test:" + symbolicName, build());
    }

    /**
     * Adds an entry as it is, for instance a class file generated by the test
     * (with {@code java.lang.classfile}): a class the test's own probe must
     * not contain.
     *
     * @param path the entry's path in the jar, such as {@code org/acme/Deep.class}
     * @param content its bytes
     * @return this
     */
    public TestBundles entry(String path, byte[] content) {
        entries.put(path, content.clone());
        return this;
    }

    /** @return the bundle's jar */
    public InputStream build() {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", symbolicName);
        a.putValue("Bundle-Version", "1.0.0");
        if (licence != null) {
            a.putValue("Bundle-License", licence);
        }
        if (activator != null) {
            a.putValue("Bundle-Activator", activator.getName());
        }
        if (intree) {
            a.putValue("DmaBuf-Intree", "Y");
        }
        if (!imports.isEmpty()) {
            a.putValue("Import-Package", String.join(",", imports));
        }
        String req = requireCapability(symbols, namespaces);
        if (!req.isEmpty()) {
            a.putValue("Require-Capability", req);
        }
        headers.forEach(a::putValue);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, mf)) {
            if (activator != null) {
                add(jar, activator);
            }
            for (Class<?> c : classes) {
                add(jar, c);
            }
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ByteArrayInputStream(bytes.toByteArray());
    }

    private static void add(JarOutputStream jar, Class<?> c) throws IOException {
        String name = c.getName().replace('.', '/') + ".class";
        try (InputStream in = c.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("no class file for " + c.getName());
            }
            jar.putNextEntry(new JarEntry(name));
            in.transferTo(jar);
            jar.closeEntry();
        }
        for (Class<?> nested : c.getDeclaredClasses()) {
            add(jar, nested);
        }
        // anonymous classes are not declared classes: they are Outer$1, Outer$2, ..., and may have their own
        for (int n = 1; ; n++) {
            Class<?> anon;
            try {
                anon = Class.forName(c.getName() + "$" + n, false, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                break;
            }
            add(jar, anon);
        }
    }
}
