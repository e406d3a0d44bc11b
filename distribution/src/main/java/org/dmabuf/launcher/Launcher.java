// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.felix.framework.FrameworkFactory;
import org.apache.felix.main.AutoProcessor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;

/**
 * Starts Felix with the bundles of {@code conf/config.properties}, then
 * either hands the terminal to the Gogo shell (no argument) or runs a Gogo
 * script (one argument) and exits with its status.
 */
public final class Launcher {
    /** Exit status when the command line or the distribution is wrong. */
    static final int USAGE = 2;

    private Launcher() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 1 || args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            System.err.println("usage: dmabuf [script.gogo]");
            System.err.println("  with no argument: the interactive Felix console");
            System.err.println("  with a script: runs it non-interactively; exit status 1 if any command failed");
            System.exit(args.length > 1 ? USAGE : 0);
        }
        Path home = Path.of(System.getProperty("dmabuf.home", ".")).toAbsolutePath().normalize();
        Path script = null;
        if (args.length == 1) {
            script = Path.of(args[0]).toAbsolutePath();
            if (!Files.isReadable(script)) {
                System.err.println("dmabuf: cannot read script " + args[0] + "; expected a readable Gogo script file");
                System.exit(USAGE);
            }
        }
        System.exit(new Launcher().run(home, script));
    }

    int run(Path home, Path script) throws Exception {
        loadSystemProperties(home.resolve("conf/system.properties"), home);
        Map<String, String> config = loadConfig(home.resolve("conf/config.properties"), home);
        ConsolePassword.Credentials console = ConsolePassword.apply(home, config);
        System.out.println("Web Console: http://" + config.getOrDefault("org.apache.felix.http.host", "127.0.0.1") + ":"
                + config.getOrDefault("org.osgi.service.http.port", "8080") + "/system/console/dmabuf (user "
                + console.user() + ", password " + (console.source().startsWith("set by") ? console.source()
                        : "in " + console.source()) + ")");
        if (script != null) {
            // the shell must neither read stdin nor stop the framework: the launcher runs the script
            config.put("gosh.args", "--nointeractive");
        } else if (System.console() != null && System.console().isTerminal()) {
            interactiveShell(config, home); // commands piped in (printf 'lb\n' | bin/dmabuf) keep the plain shell
        }
        Path storage = Files.createTempDirectory("dmabuf-felix-");
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        Map<String, Object> felixConfig = new java.util.HashMap<>(config);
        felixConfig.put("felix.log.logger", new FrameworkLog());
        @SuppressWarnings({"unchecked", "rawtypes"})
        Framework framework = new FrameworkFactory().newFramework((Map) felixConfig);
        Thread hook = new Thread(() -> stopQuietly(framework), "dmabuf shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            framework.init();
            BundleContext context = framework.getBundleContext();
            CountDownLatch started = new CountDownLatch(1);
            context.addFrameworkListener(e -> {
                if (e.getType() == FrameworkEvent.STARTED) {
                    started.countDown();
                }
            });
            AutoProcessor.process(config, context);
            framework.start();
            if (script == null) {
                FrameworkEvent stopped = framework.waitForStop(0); // until the shell or a signal stops it
                return stopped.getType() == FrameworkEvent.ERROR ? 1 : 0;
            }
            if (!started.await(60, TimeUnit.SECONDS)) {
                System.err.println("dmabuf: the framework did not reach its start level within 60 s");
                return 1;
            }
            int failures = new ScriptRunner(context).run(script);
            return failures == 0 ? 0 : 1;
        } finally {
            stopQuietly(framework);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: nothing to remove
            }
            deleteTree(storage);
        }
    }

    /**
     * The interactive console is Gogo's JLine shell (tab completion of
     * commands and their arguments, history, line editing) when the
     * distribution has it: the shell bundle in {@code felix.auto.start.*} is
     * swapped for {@code org.apache.felix.gogo.jline.jar}, and the system
     * bundle exports JLine ({@code lib/jline.jar}, on this launcher's class
     * path: JLine finds its terminal providers through the class path, which
     * a bundle's class loader does not see). Scripts and commands piped into
     * the console keep the plain shell: nobody types there, and JLine would
     * warn that it has no terminal.
     *
     * @param config the framework configuration, changed in place
     * @param home the distribution's home
     */
    static void interactiveShell(Map<String, String> config, Path home) {
        Path jline = home.resolve("lib/jline.jar");
        Path shell = home.resolve("bundle/org.apache.felix.gogo.jline.jar");
        if (!Files.isRegularFile(jline) || !Files.isRegularFile(shell)) {
            return; // the plain shell, as configured
        }
        String exports;
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(jline.toFile())) {
            java.util.jar.Manifest m = jar.getManifest();
            exports = m == null ? null : m.getMainAttributes().getValue(Constants.EXPORT_PACKAGE);
        } catch (IOException e) {
            System.err.println("dmabuf: cannot read " + jline + " (" + e.getMessage() + "); expected JLine's jar:"
                    + " the console is Gogo's plain shell");
            return;
        }
        if (exports == null) {
            System.err.println("dmabuf: " + jline + " exports no package; expected JLine's bundle manifest: the"
                    + " console is Gogo's plain shell");
            return;
        }
        config.replaceAll((k, v) -> k.startsWith("felix.auto.start.")
                ? v.replace("/bundle/org.apache.felix.gogo.shell.jar", "/bundle/org.apache.felix.gogo.jline.jar") : v);
        config.merge(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, exports, (a, b) -> a.isBlank() ? b : a + "," + b);
    }

    /**
     * Felix's own log ({@code felix.log.logger}), printed as Felix prints it,
     * but for a start the licence gate refused: the gate has said so already,
     * once, in the kernel's words ({@code nvidia: Unknown symbol ...}), and
     * Felix would say it again as an auto-start ERROR with the gate's
     * exception and its internal class name.
     */
    private static void stopQuietly(Framework framework) {
        try {
            if ((framework.getState() & (Framework.ACTIVE | Framework.STARTING)) != 0) {
                framework.stop();
            }
            framework.waitForStop(30_000);
        } catch (Exception e) {
            System.err.println("dmabuf: stopping the framework failed: " + e);
        }
    }

    static void loadSystemProperties(Path file, Path home) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        for (String k : p.stringPropertyNames()) {
            if (System.getProperty(k) == null) {
                System.setProperty(k, substitute(p.getProperty(k), home));
            }
        }
    }

    /**
     * Reads the framework configuration, replacing {@code ${name}} with the
     * distribution's home for {@code dmabuf.home} and with system properties
     * otherwise. Public for the integration tests, which boot the same set.
     */
    public static Map<String, String> loadConfig(Path file, Path home) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        Map<String, String> out = new HashMap<>();
        for (String k : p.stringPropertyNames()) {
            out.put(k, substitute(p.getProperty(k), home));
        }
        return out;
    }

    private static final Pattern VAR = Pattern.compile("\\$\\{([^}]+)}");

    static String substitute(String value, Path home) {
        Matcher m = VAR.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String v = name.equals("dmabuf.home") ? home.toUri().getPath().replaceAll("/$", "") : System.getProperty(name);
            if (v == null) {
                throw new IllegalArgumentException("dmabuf configuration: ${" + name + "} is not set; expected"
                        + " dmabuf.home or a system property");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("dmabuf: could not delete " + dir + ": " + e);
        }
    }
}
