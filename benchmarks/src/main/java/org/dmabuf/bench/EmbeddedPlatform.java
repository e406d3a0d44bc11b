// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.apache.felix.framework.FrameworkFactory;
import org.dmabuf.api.Symbol;
import org.dmabuf.launcher.Launcher;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * The platform as the distribution runs it (its own conf/config.properties),
 * embedded in the benchmark's JVM: the real Felix, the real bundles.
 */
final class EmbeddedPlatform implements AutoCloseable {
    private static final String AUTO_START = "felix.auto.start.";
    final Framework framework;
    final BundleContext context;
    final Path home;
    private final Path storage;

    EmbeddedPlatform() throws Exception {
        home = Path.of(System.getProperty("dmabuf.home", "target/dmabuf"));
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "off");
        }
        if (System.getProperty("dmabuf.http.port") == null) {
            try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
                System.setProperty("dmabuf.http.port", String.valueOf(free.getLocalPort()));
            }
        }
        Map<String, String> config = Launcher.loadConfig(home.resolve("conf/config.properties"), home);
        org.dmabuf.launcher.ConsolePassword.apply(home, config);
        storage = Files.createTempDirectory("dmabuf-bench-");
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put("gosh.args", "--nointeractive");
        config.put("dmabuf.display.refresh", "0");
        config.put("org.apache.felix.http.enable", "false"); // no Web Console traffic in a measurement
        Map<String, Object> felix = new java.util.HashMap<>(config);
        felix.put("felix.log.logger", new org.dmabuf.launcher.FrameworkLog()); // the gate's refusal, said once
        @SuppressWarnings({"unchecked", "rawtypes"})
        Map<String, String> felixConfig = (Map) felix;
        framework = new FrameworkFactory().newFramework(felixConfig);
        framework.init();
        context = framework.getBundleContext();
        CountDownLatch started = new CountDownLatch(1);
        context.addFrameworkListener(e -> {
            if (e.getType() == FrameworkEvent.STARTED) {
                started.countDown();
            }
        });
        for (var e : config.entrySet()) {
            if (e.getKey().startsWith(AUTO_START)) {
                int level = Integer.parseInt(e.getKey().substring(AUTO_START.length()));
                for (String url : e.getValue().trim().split("\\s+")) {
                    Bundle b = context.installBundle(url);
                    b.adapt(BundleStartLevel.class).setStartLevel(level);
                    b.start();
                }
            }
        }
        framework.start();
        if (!started.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the platform did not start within 60 s");
        }
    }

    Bundle bundle(String bsn) {
        return Arrays.stream(context.getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new IllegalStateException("no bundle " + bsn));
    }

    byte[] jar(String name) throws IOException {
        return Files.readAllBytes(home.resolve("bundle").resolve(name));
    }

    /** @return a bundle with a manifest and nothing else: Felix's bare cycle */
    static byte[] trivialBundle(String bsn) throws IOException {
        return manifestOnly(bsn, List.of());
    }

    /** The component property of the trivial DS bundle's service. */
    static final String DS_PROPERTY = "bench.ds";
    /** The property of the service the trivial DS bundle references. */
    static final String REFERENCED_PROPERTY = "bench.referenced";

    /**
     * @return a Declarative Services bundle with one component: one static reference to a {@code Runnable} with
     *         {@value #REFERENCED_PROPERTY}{@code =true}, one registered {@code Runnable} with
     *         {@value #DS_PROPERTY}{@code =<bsn>}, the component class {@code ds.TrivialComponent} and nothing else
     */
    static byte[] dsBundle(String bsn) throws IOException {
        String cls = org.dmabuf.bench.ds.TrivialComponent.class.getName();
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"" + bsn
                + "\" immediate=\"true\">\n"
                + "  <implementation class=\"" + cls + "\"/>\n"
                + "  <property name=\"" + DS_PROPERTY + "\" value=\"" + bsn + "\"/>\n"
                + "  <service><provide interface=\"java.lang.Runnable\"/></service>\n"
                + "  <reference name=\"referenced\" interface=\"java.lang.Runnable\" target=\"(" + REFERENCED_PROPERTY
                + "=true)\" bind=\"bind\"/>\n"
                + "</scr:component>\n";
        Manifest mf = manifest(bsn, List.of("Service-Component", "OSGI-INF/trivial.xml"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, mf);
                InputStream code = org.dmabuf.bench.ds.TrivialComponent.class.getResourceAsStream(
                        "TrivialComponent.class")) {
            jar.putNextEntry(new java.util.jar.JarEntry("OSGI-INF/trivial.xml"));
            jar.write(xml.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            jar.putNextEntry(new java.util.jar.JarEntry(cls.replace('.', '/') + ".class"));
            code.transferTo(jar);
        }
        return out.toByteArray();
    }

    /** @return a GPL, in-tree bundle linking every symbol, with no code: a client of the views */
    static byte[] clientBundle(String bsn) throws IOException {
        List<String> req = new ArrayList<>();
        req.add(Symbol.NAMESPACE_CAPABILITY + ";filter:=\"(" + Symbol.NAMESPACE_CAPABILITY + "=" + Symbol.DMA_BUF + ")\"");
        req.add(Symbol.NAMESPACE_CAPABILITY + ";filter:=\"(" + Symbol.NAMESPACE_CAPABILITY + "=" + Symbol.DMA_BUF_HEAP + ")\"");
        for (Symbol s : Symbol.values()) {
            req.add(Symbol.CAPABILITY + ";filter:=\"(" + Symbol.CAPABILITY + "=" + s.symbolName() + ")\"");
        }
        return manifestOnly(bsn, List.of("Require-Capability", String.join(",", req), "Bundle-License", "GPL-2.0-only",
                "DmaBuf-Intree", "Y", "Import-Package", "org.dmabuf.api"));
    }

    private static byte[] manifestOnly(String bsn, List<String> headers) throws IOException {
        Manifest mf = manifest(bsn, headers);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, mf)) {
            // nothing but the manifest
        }
        return out.toByteArray();
    }

    private static Manifest manifest(String bsn, List<String> headers) {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", "1.0.0");
        for (int i = 0; i < headers.size(); i += 2) {
            a.putValue(headers.get(i), headers.get(i + 1));
        }
        return mf;
    }

    static InputStream in(byte[] bytes) {
        return new ByteArrayInputStream(bytes);
    }

    @Override
    public void close() throws Exception {
        framework.stop();
        framework.waitForStop(30_000);
        try (var s = Files.walk(storage)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
