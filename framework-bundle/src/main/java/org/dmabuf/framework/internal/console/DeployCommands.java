// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.console;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

import org.apache.felix.service.command.Descriptor;
import org.dmabuf.api.module.ModuleTable;
import org.dmabuf.framework.internal.device.DeviceTable;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;

/**
 * {@code dmabuf:deploy} and {@code dmabuf:undeploy}: put a driver jar or a
 * {@code .cfg} file into {@code deploy/} (or take it out) and wait until
 * FileInstall has acted on it, as {@code insmod} returns when the module is
 * in. The folder does the work; these commands only save a shell's {@code cp}
 * and say what happened, with the licence gate's explanation when a driver
 * was refused.
 */
public class DeployCommands {
    /** The framework property FileInstall watches. */
    static final String DEPLOY_DIR = "felix.fileinstall.dir";
    private static final long WAIT_MS = 10_000;

    private final ModuleTable modules;
    private final DeviceTable devices;
    private final BundleContext context;

    /** The functions, for Gogo's {@code osgi.command.function}. */
    public static final String[] FUNCTIONS = {"deploy", "undeploy"};
    /** What deploy/ takes and gives back: a plain file name (no folder, no ..) of a jar or a configuration. */
    static final java.util.regex.Pattern DEPLOYABLE = java.util.regex.Pattern
            .compile("[A-Za-z0-9_][A-Za-z0-9._@+-]{0,127}\\.(jar|cfg|config)");
    /** The prefix of a device's .cfg file: factory configurations of the simulated hardware's devices. */
    static final String DEVICE_CFG = "org.dmabuf.device-";

    /**
     * @param modules the modules, to explain a refused driver
     * @param devices the devices present, to wait for one a .cfg file plugs
     * @param context the framework bundle's context
     */
    public DeployCommands(ModuleTable modules, DeviceTable devices, BundleContext context) {
        this.modules = modules;
        this.devices = devices;
        this.context = context;
    }

    // the device a .cfg file in deploy/ describes (org.dmabuf.device-<x>.cfg), or null
    private static String deviceOf(Path cfg) throws IOException {
        if (!cfg.getFileName().toString().startsWith(DEVICE_CFG)) {
            return null;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(cfg)) {
            p.load(in);
        }
        String name = p.getProperty("name");
        return name == null ? null : name.replace("\"", "").trim();
    }

    // copies or deletes a .cfg; for a device's, waits until it is plugged in (out) and its drivers (un)bound
    private String configFile(Path cfg, Runnable change, boolean in) throws Exception {
        String device = deviceOf(cfg);
        change.run();
        String what = "deploy/" + cfg.getFileName() + (in ? ": copied" : ": deleted");
        if (device == null) {
            return what + "; FileInstall applies it within a second";
        }
        if (!devices.await(device, in, WAIT_MS)) {
            return what + ", but device " + device + " was not plugged " + (in ? "in" : "out") + " within " + WAIT_MS
                    + " ms";
        }
        return what + "; device " + device + " plugged " + (in ? "in" : "out");
    }

    private Path deployDir() {
        String dir = context.getProperty(DEPLOY_DIR);
        if (dir == null) {
            throw new IllegalStateException("no deploy folder: the framework property " + DEPLOY_DIR
                    + " is not set; expected the distribution's conf/config.properties");
        }
        return Path.of(dir);
    }

    @Descriptor("copy a driver jar or a .cfg file into deploy/ and wait until it is installed and started"
            + " (a jar) or applied (a .cfg)")
    public String deploy(@Descriptor("the file: a path, or relative to the distribution's home") String file)
            throws Exception {
        Path src = Path.of(file);
        if (!Files.isRegularFile(src) && context.getProperty("dmabuf.home") != null) {
            src = Path.of(context.getProperty("dmabuf.home")).resolve(file);
        }
        if (!Files.isRegularFile(src)) {
            throw new IllegalArgumentException("no file " + Bundles.shown(file) + " (nor under dmabuf.home); expected a"
                    + " driver jar or"
                    + " a .cfg file");
        }
        if (!DEPLOYABLE.matcher(src.getFileName().toString()).matches()) {
            throw new IllegalArgumentException("deploy: " + src.getFileName() + " is not a driver jar nor a"
                    + " configuration; expected a file named *.jar, *.cfg or *.config");
        }
        Path dst = deployDir().resolve(src.getFileName());
        if (!src.getFileName().toString().endsWith(".jar")) {
            Path from = src;
            return configFile(src, () -> copy(from, dst), true);
        }
        String bsn = symbolicName(src);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch installed = new CountDownLatch(1);
        BundleListener l = e -> {
            if (bsn.equals(e.getBundle().getSymbolicName())) {
                if (e.getType() == BundleEvent.INSTALLED || e.getType() == BundleEvent.UPDATED) {
                    installed.countDown();
                } else if (e.getType() == BundleEvent.STARTED) {
                    started.countDown();
                }
            }
        };
        context.addBundleListener(l);
        try {
            Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
            if (!installed.await(WAIT_MS, TimeUnit.MILLISECONDS)) {
                return "deploy/" + dst.getFileName() + ": copied, but FileInstall did not install " + bsn + " within "
                        + WAIT_MS + " ms";
            }
            Bundle b = Bundles.find(context, bsn);
            if (b == null) {
                return "deploy/" + dst.getFileName() + ": copied; " + bsn + " was installed and is gone again";
            }
            if (started.await(WAIT_MS / 2, TimeUnit.MILLISECONDS) || b.getState() == Bundle.ACTIVE) {
                return bsn + " [" + b.getBundleId() + "]: installed from deploy/" + dst.getFileName()
                        + " and started";
            }
            return bsn + ": installed from deploy/" + dst.getFileName() + " but not started:\n"
                    + String.join("\n", modules.why(b.getBundleId()));
        } finally {
            context.removeBundleListener(l);
        }
    }

    @Descriptor("delete a file from deploy/: a driver jar is stopped and uninstalled (its buffers cleaned up as at"
            + " rmmod), a device's .cfg unplugs it")
    public String undeploy(@Descriptor("the file's name in deploy/") String name) throws Exception {
        if (name == null || !DEPLOYABLE.matcher(name).matches()) {
            throw new IllegalArgumentException("undeploy: '" + Bundles.shown(name) + "' is not a file name in deploy/;"
                    + " expected the name of"
                    + " a *.jar, *.cfg or *.config there, no folders: one of " + listDeploy());
        }
        Path f = deployDir().resolve(name);
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException("no file deploy/" + name + "; expected one of "
                    + listDeploy());
        }
        if (!name.endsWith(".jar")) {
            return configFile(f, () -> delete(f), false);
        }
        String bsn = symbolicName(f);
        CountDownLatch gone = new CountDownLatch(1);
        BundleListener l = e -> {
            if (bsn.equals(e.getBundle().getSymbolicName()) && e.getType() == BundleEvent.UNINSTALLED) {
                gone.countDown();
            }
        };
        context.addBundleListener(l);
        try {
            Files.delete(f);
            return gone.await(WAIT_MS, TimeUnit.MILLISECONDS) ? bsn + ": uninstalled (deploy/" + name + " deleted)"
                    : "deploy/" + name + " deleted, but FileInstall did not uninstall " + bsn + " within " + WAIT_MS + " ms";
        } finally {
            context.removeBundleListener(l);
        }
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot copy " + from + " to " + to, e);
        }
    }

    private static void delete(Path f) {
        try {
            Files.delete(f);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot delete " + f, e);
        }
    }

    private String listDeploy() throws IOException {
        try (var s = Files.list(deployDir())) {
            List<String> files = s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".txt")).sorted()
                    .toList();
            return files.isEmpty() ? "(none: deploy/ holds no jar nor .cfg)" : String.join(", ", files);
        }
    }

    private static String symbolicName(Path jar) throws IOException {
        try (InputStream in = Files.newInputStream(jar); JarInputStream j = new JarInputStream(in)) {
            Manifest mf = j.getManifest();
            String bsn = mf == null ? null : mf.getMainAttributes().getValue("Bundle-SymbolicName");
            if (bsn == null) {
                throw new IllegalArgumentException(jar + " is not a bundle: no Bundle-SymbolicName in its manifest;"
                        + " expected a driver bundle's jar");
            }
            return bsn.split(";")[0].trim();
        }
    }
}
