// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport.jupiter.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.dmabuf.api.Symbol;
import org.dmabuf.api.module.ExportPolicy;
import org.dmabuf.launcher.FrameworkLog;
import org.dmabuf.testsupport.Platform;
import org.dmabuf.testsupport.TestBundles;
import org.dmabuf.testsupport.jupiter.DmaBufPlatform;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleWiring;

/**
 * One booted platform for {@link DmaBufPlatform} tests: Felix with the
 * distribution's bundles at their start levels, the drivers under test, this
 * jar as a bundle, and the probe made of the test's classes.
 */
final class Container implements AutoCloseable {
    /** How long the framework may take to reach its start level, or to stop. */
    static final long TIMEOUT_S = 60;

    /**
     * Classes whose jars the system bundle exports to the probe: JUnit,
     * osgi-test and the assertion libraries run from the class path (the
     * engine's own classes), so the probe must see the same ones. More with
     * the system property {@code dmabuf.test.shared} (class names, {@code ,}).
     * A jar that is not a bundle (exports nothing) is not shared: the probe
     * cannot see it.
     */
    private static final List<String> SHARED = List.of("org.junit.jupiter.api.Test",
            "org.junit.jupiter.params.ParameterizedTest", "org.junit.platform.commons.support.AnnotationSupport",
            "org.opentest4j.AssertionFailedError", "org.apiguardian.api.API",
            "org.osgi.test.common.context.CloseableBundleContext", "org.osgi.test.junit5.context.BundleContextExtension",
            "org.osgi.test.assertj.bundle.BundleAssert", "org.assertj.core.api.Assertions", "org.hamcrest.Matcher");

    /**
     * Classes whose jars are installed as bundles, not shared from the class
     * path: they use services of platform bundles (osgi-test's Configuration
     * Admin support), so their classes must wire to those bundles.
     */
    private static final List<String> INSTALLED = List.of("org.osgi.test.junit5.cm.ConfigurationExtension");

    private final Framework framework;
    private final Bundle probe;
    private final Path storage;

    private Container(Framework framework, Bundle probe, Path storage) {
        this.framework = framework;
        this.probe = probe;
        this.storage = storage;
    }

    /** @return the probe's class loader: where the test's classes are loaded to run */
    ClassLoader loader() {
        return probe.adapt(BundleWiring.class).getClassLoader();
    }

    /**
     * Boots the platform for a test class.
     *
     * @param cfg the class's {@link DmaBufPlatform}
     * @param testClass the class, as the class path loaded it: where its classes are
     * @return the running container
     * @throws Exception with a message naming what did not start and why
     */
    static Container boot(DmaBufPlatform cfg, Class<?> testClass) throws Exception {
        List<Path> drivers = drivers(cfg);
        Manifest first = drivers.isEmpty() ? null : manifest(drivers.get(0));
        String licence = !cfg.probeLicence().isEmpty() ? cfg.probeLicence()
                : first != null && first.getMainAttributes().getValue("Bundle-License") != null
                        ? first.getMainAttributes().getValue("Bundle-License") : "GPL-2.0-only";
        boolean intree = first == null || "Y".equalsIgnoreCase(first.getMainAttributes().getValue("DmaBuf-Intree"));
        String probeName = (first == null ? "dmabuf" : bsn(first)) + "-tests";

        Platform.systemProperties().forEach((k, v) -> {
            if (System.getProperty(k) == null) {
                System.setProperty(k, v);
            }
        });
        Map<String, Object> props = new HashMap<>(Platform.frameworkProperties());
        props.put("dmabuf.policy", cfg.policy().label());
        props.put("felix.log.logger", new FrameworkLog()); // the gate's refusals are said once, by the gate
        String extra = (String) props.get(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA);
        String shared = sharedExports();
        props.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA,
                extra == null || extra.isBlank() ? shared : extra + "," + shared);
        for (String p : cfg.properties()) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("@DmaBufPlatform(properties) \"" + p
                        + "\" is not a framework property; expected name=value");
            }
            props.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
        }
        for (String jar : cfg.without()) {
            Platform.without(jar); // the same check and message as the Pax Exam option
        }
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, Container.class.getClassLoader())
                .findFirst().orElseThrow(() -> new IllegalStateException(
                        "no OSGi framework on the class path; expected org.apache.felix:org.apache.felix.framework"));
        Path storage = Files.createTempDirectory("dmabuf-junit5-");
        props.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        Framework fw = null;
        try {
            @SuppressWarnings({"unchecked", "rawtypes"})
            Framework created = factory.newFramework((Map) props); // felix.log.logger is an object
            fw = created;
            fw.init();
            BundleContext sys = fw.getBundleContext();
            Map<Long, Throwable> errors = new ConcurrentHashMap<>();
            sys.addFrameworkListener(e -> {
                if (e.getType() == FrameworkEvent.ERROR && e.getBundle() != null) {
                    errors.putIfAbsent(e.getBundle().getBundleId(), e.getThrowable());
                }
            });
            fw.start();

            TreeMap<Integer, List<String>> dist = Platform.bundles();
            List<String> leftOut = Arrays.asList(cfg.without());
            List<Bundle> installed = new ArrayList<>();
            List<Bundle> distribution = new ArrayList<>();
            for (Map.Entry<Integer, List<String>> level : dist.entrySet()) {
                for (String url : level.getValue()) {
                    if (leftOut.stream().noneMatch(j -> url.endsWith("/" + j))) {
                        distribution.add(install(sys, url, level.getKey()));
                    }
                }
            }
            installed.addAll(distribution);
            int top = dist.lastKey();
            installed.add(install(sys, Platform.testSupportLocation(), top));
            for (String cls : INSTALLED) {
                Path jar = jarOf(cls);
                if (jar != null) {
                    installed.add(install(sys, jar.toUri().toString(), top));
                }
            }
            for (Path d : drivers) {
                installed.add(install(sys, d.toUri().toString(), Platform.DRIVER_START_LEVEL));
            }
            Path probeJar = storage.resolve(probeName + ".jar");
            writeProbe(probeJar, classesOf(testClass), probeName, licence, intree, cfg.policy());
            Bundle probe = install(sys, probeJar.toUri().toString(), top + 1);
            installed.add(probe);

            for (Bundle b : installed) { // all installed first: a bundle at the current level resolves as it starts
                try {
                    b.start(); // persistently: the rest start when the framework reaches their level
                } catch (BundleException e) {
                    errors.putIfAbsent(b.getBundleId(), e);
                }
            }
            CountDownLatch reached = new CountDownLatch(1);
            fw.adapt(FrameworkStartLevel.class).setStartLevel(top + 1, e -> reached.countDown());
            if (!reached.await(TIMEOUT_S, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the platform did not reach start level " + (top + 1) + " within "
                        + TIMEOUT_S + " s");
            }
            List<String> wrong = new ArrayList<>();
            for (Bundle b : installed) {
                if (b.getState() == Bundle.ACTIVE) {
                    continue;
                }
                Throwable why = errors.get(b.getBundleId());
                if (distribution.contains(b) && FrameworkLog.refusedByTheGate(why)) {
                    continue; // nvidia under gpl-only: refused by design, and said once by the gate
                }
                wrong.add(b.getSymbolicName() + " (" + b.getLocation() + ") is not active"
                        + (why == null ? "" : ": " + rootMessage(why)));
            }
            if (!wrong.isEmpty()) {
                throw new IllegalStateException("the platform did not start for " + testClass.getName() + ": "
                        + String.join("; ", wrong));
            }
            return new Container(fw, probe, storage);
        } catch (Throwable e) {
            // what did not start is the error; a failure to stop what did is told beside it
            try {
                if (fw != null) {
                    stop(fw);
                }
                deleteTree(storage);
            } catch (RuntimeException stopping) {
                e.addSuppressed(stopping);
            }
            throw e;
        }
    }

    @Override
    public void close() {
        stop(framework); // a platform that did not stop keeps its storage: it may still be writing there
        deleteTree(storage);
    }

    private static void stop(Framework fw) {
        try {
            fw.stop();
            FrameworkEvent e = fw.waitForStop(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
            if (e.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                throw new IllegalStateException("the platform did not stop within " + TIMEOUT_S + " s; expected "
                        + "every bundle to stop (a bundle's stop that does not return?)");
            }
        } catch (BundleException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("the platform did not stop: " + e, e);
        }
    }

    private static Bundle install(BundleContext sys, String location, int level) throws BundleException {
        Bundle b = sys.installBundle(location);
        b.adapt(BundleStartLevel.class).setStartLevel(level);
        return b;
    }

    private static String rootMessage(Throwable t) {
        Throwable x = t;
        while (x.getCause() != null && x.getCause() != x) {
            x = x.getCause();
        }
        return x == t ? String.valueOf(t.getMessage()) : t.getMessage() + " (" + x.getMessage() + ")";
    }

    // --- the drivers and the probe -----------------------------------------------------------

    private static List<Path> drivers(DmaBufPlatform cfg) {
        List<String> names = new ArrayList<>(Arrays.asList(cfg.drivers()));
        if (names.isEmpty() && System.getProperty("driver.jar") != null) {
            names.addAll(Arrays.asList(System.getProperty("driver.jar").split(",")));
        }
        List<Path> out = new ArrayList<>();
        for (String n : names) {
            Path p = Path.of(n.trim()).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException("no driver jar at " + p + "; expected the bundle built by the "
                        + "package phase (@DmaBufPlatform(drivers) or the system property driver.jar)");
            }
            out.add(p);
        }
        return out;
    }

    private static Manifest manifest(Path jar) throws IOException {
        try (JarFile f = new JarFile(jar.toFile())) {
            Manifest m = f.getManifest();
            if (m == null || m.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME) == null) {
                throw new IllegalStateException(jar + " is not a bundle; expected a Bundle-SymbolicName");
            }
            return m;
        }
    }

    private static String bsn(Manifest m) {
        return m.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME).split(";")[0].trim();
    }

    private static Path classesOf(Class<?> testClass) {
        try {
            var source = testClass.getProtectionDomain().getCodeSource();
            if (source == null) {
                throw new IllegalStateException(testClass.getName() + " has no code source; expected a class loaded "
                        + "from a folder of compiled test classes (target/test-classes)");
            }
            Path p = Path.of(source.getLocation().toURI());
            if (!Files.isDirectory(p)) {
                throw new IllegalStateException(testClass.getName() + " is loaded from " + p
                        + "; expected a folder of compiled test classes (target/test-classes)");
            }
            return p;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The probe: the test's classes as a bundle of the driver's licence that
     * links every symbol the licence may link under the policy, and imports
     * whatever it uses (as Pax Exam's probe does).
     */
    private static void writeProbe(Path jar, Path classes, String name, String licence, boolean intree,
            ExportPolicy policy) throws IOException {
        // the gate's own parser (compiled in, as modpost has it): the probe links what the gate will let it link
        boolean gpl = org.dmabuf.framework.internal.licence.LicenceParser.parse(licence).gplCompatible();
        List<String> symbols = Arrays.stream(Symbol.values())
                .filter(s -> gpl || s.export() == Symbol.Export.EXPORT_SYMBOL || s.namespace() != null)
                .map(Symbol::symbolName).toList();
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, name);
        a.putValue(Constants.BUNDLE_VERSION, "0.0.0");
        a.putValue(Constants.BUNDLE_NAME, name + ": the tests, as a module (" + policy.label() + ")");
        a.putValue("Bundle-License", licence);
        if (intree) {
            a.putValue("DmaBuf-Intree", "Y");
        }
        a.putValue(Constants.REQUIRE_CAPABILITY,
                TestBundles.requireCapability(symbols, List.of(Symbol.DMA_BUF, Symbol.DMA_BUF_HEAP)));
        a.putValue(Constants.DYNAMICIMPORT_PACKAGE, "*");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os, m);
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String entry = classes.relativize(f).toString().replace('\\', '/');
                if (entry.equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                out.putNextEntry(new JarEntry(entry));
                try (InputStream in = Files.newInputStream(f)) {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
    }

    // --- what the probe shares with the engine -------------------------------------------------

    private static String sharedExports() throws IOException {
        List<String> classes = new ArrayList<>(SHARED);
        String more = System.getProperty("dmabuf.test.shared");
        if (more != null) {
            Arrays.stream(more.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(classes::add);
        }
        Map<Path, String> exports = new LinkedHashMap<>();
        for (String c : classes) {
            Path jar = jarOf(c);
            if (jar == null || exports.containsKey(jar)) {
                continue;
            }
            String e;
            try (JarFile f = new JarFile(jar.toFile())) {
                Manifest m = f.getManifest();
                e = m == null ? null : m.getMainAttributes().getValue(Constants.EXPORT_PACKAGE);
            }
            if (e != null) {
                exports.put(jar, e);
            }
        }
        return String.join(",", exports.values());
    }

    /** @return the jar a class is loaded from, or {@code null} when it is absent or not in a jar */
    private static Path jarOf(String className) {
        try {
            Class<?> c = Class.forName(className, false, Container.class.getClassLoader());
            var src = c.getProtectionDomain().getCodeSource();
            if (src == null) {
                return null;
            }
            Path p = Path.of(src.getLocation().toURI());
            return Files.isRegularFile(p) ? p : null;
        } catch (ClassNotFoundException | LinkageError | URISyntaxException e) {
            return null;
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder: what is left is the system's to clean
        }
    }
}
