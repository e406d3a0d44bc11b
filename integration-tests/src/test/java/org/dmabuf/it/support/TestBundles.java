// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.support;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

/**
 * Builds real bundles from classes of the test at run time: a manifest with
 * the given symbolic name, licence and activator, and the activator's classes
 * (its own and nested ones). Each test bundle imports only the DMA-BUF API and
 * the OSGi framework, as a third-party driver would.
 */
public final class TestBundles {
    private TestBundles() {
    }

    /** What a test bundle is made of. */
    public record Spec(String symbolicName, String license, Class<?> activator, Class<?>... more) {
    }

    /**
     * Builds and installs a bundle (not started).
     *
     * @param context the installing bundle's context
     * @param spec what the bundle is
     * @return the installed bundle
     */
    public static Bundle install(BundleContext context, Spec spec) throws BundleException {
        return context.installBundle("test:" + spec.symbolicName(), build(spec));
    }

    /** @return the bundle's jar */
    public static InputStream build(Spec spec) {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", spec.symbolicName());
        a.putValue("Bundle-Version", "1.0.0");
        if (spec.license() != null) {
            a.putValue("Bundle-License", spec.license());
        }
        a.putValue("Bundle-Activator", spec.activator().getName());
        a.putValue("Import-Package", "org.dmabuf.api;version=\"[1.0,2)\",org.osgi.framework;version=\"[1.10,2)\","
                + "org.osgi.util.tracker;version=\"[1.5,2)\"");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, mf)) {
            add(jar, spec.activator());
            for (Class<?> c : spec.more()) {
                add(jar, c);
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
        // anonymous classes are not declared classes: they are Outer$1, Outer$2, ...
        for (int n = 1; ; n++) {
            String anon = c.getName().replace('.', '/') + "$" + n + ".class";
            try (InputStream in = c.getClassLoader().getResourceAsStream(anon)) {
                if (in == null) {
                    break;
                }
                jar.putNextEntry(new JarEntry(anon));
                in.transferTo(jar);
                jar.closeEntry();
            }
        }
    }
}
