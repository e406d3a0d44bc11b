// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.frameworkStartLevel;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import org.dmabuf.launcher.ConsolePassword;
import org.dmabuf.launcher.Launcher;
import org.ops4j.pax.exam.Option;

/**
 * Boots the platform in Pax Exam exactly as {@code bin/dmabuf} does: the
 * bundles and start levels of the distribution's {@code conf/config.properties}
 * (one list for both), its framework and system properties, plus whatever a
 * test adds, such as the driver under test:
 *
 * <pre>{@code
 * @Configuration
 * public Option[] config() {
 *     return Platform.options(Platform.driver(Path.of("target/lima.jar")));
 * }
 * }</pre>
 *
 * The distribution is the unpacked {@code org.dmabuf:distribution} zip, found
 * through the system property {@code dmabuf.home} (default {@code target/dmabuf}).
 * This test-support bundle is installed too, so that {@link PlatformTest},
 * {@link Console} and {@link TestBundles} work inside the container.
 */
public final class Platform {
    private static final String AUTO_START = "felix.auto.start.";
    /** System property through which the booted bundles' locations reach the probe. */
    static final String LOCATIONS = "dmabuf.it.locations";

    private Platform() {
    }

    /** The start level of drivers in the distribution: a driver under test starts with its peers. */
    public static final int DRIVER_START_LEVEL = 3;

    /**
     * @return the distribution the tests run: the system property
     *         {@code dmabuf.home}, else {@code target/dmabuf}
     * @throws IllegalStateException when there is no distribution there
     */
    public static Path home() {
        Path home = Path.of(System.getProperty("dmabuf.home", "target/dmabuf"));
        if (!Files.isRegularFile(home.resolve("conf/config.properties"))) {
            throw new IllegalStateException("no distribution at " + home.toAbsolutePath() + " (system property "
                    + "dmabuf.home); expected the unpacked org.dmabuf:distribution zip, with conf/config.properties");
        }
        return home;
    }

    /**
     * @param jar a driver bundle's jar, such as the one the project under test builds
     * @return the option that installs and starts it with the distribution's drivers
     */
    public static Option driver(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no driver jar at " + jar.toAbsolutePath()
                    + "; expected the bundle built by the package phase");
        }
        return bundle(jar.toUri().toString()).startLevel(DRIVER_START_LEVEL).start();
    }

    /**
     * @return the Web Console's port for this test JVM: the system property
     *         {@code dmabuf.http.port}, set to a free port the first time
     */
    public static int httpPort() {
        String p = System.getProperty("dmabuf.http.port");
        if (p == null) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                p = String.valueOf(s.getLocalPort());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.setProperty("dmabuf.http.port", p);
        }
        return Integer.parseInt(p);
    }

    /**
     * The export policy the platform starts with, as the framework property {@code dmabuf.policy} sets it
     * (no policy configuration exists in a test's container, so it stays until a test switches it).
     *
     * @param policy the policy, such as {@link org.dmabuf.api.module.ExportPolicy#EXPORT_SYMBOL} for a driver
     *        written for it
     * @return the option
     */
    public static Option policy(org.dmabuf.api.module.ExportPolicy policy) {
        return frameworkProperty("dmabuf.policy").value(policy.label());
    }

    /** @return the Web Console's password: the one the distribution generated, as the launcher reads it */
    public static String consolePassword() {
        try {
            return Files.readString(home().resolve(ConsolePassword.FILE)).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("no Web Console password in " + home().resolve(ConsolePassword.FILE), e);
        }
    }

    private static String freshDeployDir() {
        try {
            Path dir = Files.createTempDirectory("dmabuf-deploy-");
            dir.toFile().deleteOnExit();
            return dir.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @return the location of this test-support jar, installed as a bundle
     *         beside the platform (after the gate is up, before the test's
     *         probe), so that tests inside the container use its helpers
     * @throws IllegalStateException when test-support is not loaded from its jar
     */
    public static String testSupportLocation() {
        try {
            Path p = Path.of(Platform.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException("test-support is loaded from " + p
                        + ", not from its jar; expected org.dmabuf:test-support as a jar dependency");
            }
            return p.toUri().toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A bundle of the distribution left out: see {@link #without}. */
    private record Without(String jar) implements Option {
    }

    /**
     * Leaves a bundle of the distribution out of the container, as deleting
     * it from {@code conf/config.properties} would: for instance the
     * simulated hardware ({@code simulated-gpu.jar}), when a test brings a
     * device provider of its own.
     *
     * @param jar the bundle's file name in the distribution's {@code bundle/} folder
     * @return an option for {@link #options}
     */
    public static Option without(String jar) {
        if (bundles().values().stream().flatMap(List::stream).noneMatch(u -> u.endsWith("/" + jar))) {
            throw new IllegalArgumentException("no bundle " + jar + " in the distribution; expected one of "
                    + bundles().values().stream().flatMap(List::stream).map(u -> u.substring(u.lastIndexOf('/') + 1))
                            .toList());
        }
        return new Without(jar);
    }

    /**
     * @param extra options of the test, added after the platform's; {@link #without} leaves bundles out
     * @return the platform's options
     */
    public static Option[] options(Option... extra) {
        List<String> left = Arrays.stream(extra).filter(o -> o instanceof Without).map(o -> ((Without) o).jar())
                .toList();
        extra = Arrays.stream(extra).filter(o -> !(o instanceof Without)).toArray(Option[]::new);
        TreeMap<Integer, List<String>> bundles = bundles();
        bundles.replaceAll((level, urls) -> urls.stream()
                .filter(u -> left.stream().noneMatch(j -> u.endsWith("/" + j))).toList());
        List<Option> out = new ArrayList<>();
        for (Map.Entry<Integer, List<String>> level : bundles.entrySet()) {
            for (String url : level.getValue()) {
                out.add(bundle(url).startLevel(level.getKey()).start());
            }
        }
        frameworkProperties().forEach((k, v) -> out.add(frameworkProperty(k).value(v)));
        systemProperties().forEach((k, v) -> out.add(systemProperty(k).value(v)));
        out.add(systemProperty(LOCATIONS).value(String.join(" ",
                bundles.values().stream().flatMap(List::stream).toList())));
        out.add(bundle(testSupportLocation()).startLevel(maxStartLevel()).start()); // after the gate is up, before the probe
        out.add(frameworkStartLevel(maxStartLevel() + 1)); // the probe comes after everything
        out.add(junitBundles());
        out.add(cleanCaches());
        out.addAll(Arrays.asList(extra));
        return out.toArray(Option[]::new);
    }

    /**
     * The framework properties of a test container: the distribution's
     * {@code conf/config.properties} as the launcher reads it (the Web
     * Console's credentials included), without its start levels, its storage
     * and its bundle lists, and with what a test needs instead: no console on
     * the test's standard input, a deploy folder of the container's own
     * (empty: what one test drops there never reaches another), displays
     * that scan out only when a test drives a frame, and debug mode (each
     * handle records the code that took it: {@code dmabuf:holders}, and the
     * warnings about what a module still held at its stop, name it). Both harnesses boot with
     * these: {@link #options} (Pax Exam) and the JUnit 5 engine
     * ({@link org.dmabuf.testsupport.jupiter.DmaBufPlatform}).
     *
     * @return the properties, in the order the configuration lists them
     * @throws UncheckedIOException when the distribution's configuration cannot be read
     */
    public static Map<String, String> frameworkProperties() {
        Path home = home();
        httpPort();
        Map<String, String> out = new java.util.LinkedHashMap<>();
        try {
            Map<String, String> config = Launcher.loadConfig(home.resolve("conf/config.properties"), home);
            ConsolePassword.apply(home, config); // the Web Console's credentials, as the launcher sets them
            config.forEach((k, v) -> {
                if (!k.startsWith(AUTO_START) && !k.startsWith("org.osgi.framework.startlevel")
                        && !k.startsWith("org.osgi.framework.storage")) {
                    out.put(k, v);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.put("gosh.args", "--nointeractive"); // no console on the test's stdin
        out.put("felix.fileinstall.dir", freshDeployDir());
        // displays do not scan out on their own: tests drive frames, so counts are theirs (override to test vblank)
        out.put("dmabuf.display.refresh", "0");
        // debug mode: every handle records the code that took it, so a leak names its origin (dmabuf:holders)
        out.put("dmabuf.debug", "true");
        return out;
    }

    /**
     * @return the system properties a test container sets from the
     *         distribution's {@code conf/system.properties}: the log's format
     *         ({@code org.slf4j.*}), so a test's output reads as the console's
     * @throws UncheckedIOException when the file cannot be read
     */
    public static Map<String, String> systemProperties() {
        Properties system = new Properties();
        try (InputStream in = Files.newInputStream(home().resolve("conf/system.properties"))) {
            system.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> out = new TreeMap<>();
        for (String k : system.stringPropertyNames()) {
            if (k.startsWith("org.slf4j.")) {
                out.put(k, system.getProperty(k));
            }
        }
        return out;
    }

    /**
     * @return inside the container: the locations of the distribution's
     *         bundles, as the configuration passed them in
     */
    public static List<String> locations() {
        String v = System.getProperty(LOCATIONS);
        if (v == null) {
            throw new IllegalStateException(LOCATIONS + " is not set; expected a container booted with Platform.options()");
        }
        return List.of(v.split(" "));
    }

    /** @return outside the container: the distribution's bundle URLs by start level */
    public static TreeMap<Integer, List<String>> bundles() {
        Path home = home();
        httpPort();
        TreeMap<Integer, List<String>> out = new TreeMap<>();
        try {
            Map<String, String> config = Launcher.loadConfig(home.resolve("conf/config.properties"), home);
            ConsolePassword.apply(home, config); // the Web Console's credentials, as the launcher sets them
            config.forEach((k, v) -> {
                if (k.startsWith(AUTO_START)) {
                    out.put(Integer.parseInt(k.substring(AUTO_START.length())),
                            Arrays.stream(v.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static int maxStartLevel() {
        return bundles().lastKey();
    }
}
