// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;

import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.it.bundles.licence.NoopActivator;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;

/**
 * The deploy folder, through the real Apache Felix FileInstall the
 * distribution runs: the example out-of-tree driver (lima) dropped in,
 * configured by a {@code .cfg} file, replaced and deleted; a refused driver
 * reported with the licence gate's reason; the policy set by a {@code .cfg}.
 */
public class DeployIT extends PlatformTest {
    private static final String MALI = "1c40000.gpu";

    private Path deploy() {
        return Path.of(context.getProperty("felix.fileinstall.dir"));
    }

    private Path examples() {
        return Path.of(context.getProperty("dmabuf.home")).resolve("examples");
    }

    /** Waits for a bundle event of that symbolic name while {@code action} runs. */
    private Bundle awaitEvent(String bsn, int type, ThrowingRunnable action) throws Exception {
        CountDownLatch seen = new CountDownLatch(1);
        Bundle[] which = new Bundle[1];
        BundleListener l = e -> {
            if (bsn.equals(e.getBundle().getSymbolicName()) && e.getType() == type) {
                which[0] = e.getBundle();
                seen.countDown();
            }
        };
        context.addBundleListener(l);
        try {
            action.run();
            assertTrue(bsn + ": no bundle event " + type + " within " + TIMEOUT_MS + " ms",
                    seen.await(TIMEOUT_MS, TimeUnit.MILLISECONDS));
            return which[0];
        } finally {
            context.removeBundleListener(l);
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    public void a_driver_dropped_into_deploy_binds_its_device_is_updated_when_replaced_and_goes_when_deleted()
            throws Exception {
        Path jar = deploy().resolve("lima.jar");
        Path cfg = deploy().resolve("org.dmabuf.device-mali.cfg");
        Bundle lima = awaitEvent("lima", BundleEvent.STARTED,
                () -> Files.copy(examples().resolve("lima.jar"), jar, StandardCopyOption.REPLACE_EXISTING));
        assertEquals(Bundle.ACTIVE, lima.getState());

        // its device, from a .cfg file: lima binds it and shows frames through a dma-buf
        Files.copy(examples().resolve("org.dmabuf.device-mali.cfg"), cfg, StandardCopyOption.REPLACE_EXISTING);
        DisplayEngine display = await(DisplayEngine.class, "(dmabuf.device.name=" + MALI + ")");
        DisplayStats s = display.run(5, TimeUnit.SECONDS.toNanos(10));
        assertEquals(s.toString(), 5, s.good());

        // replaced by a new build: updated in place, bound again
        awaitEvent("lima", BundleEvent.UPDATED, () -> Files.write(jar, rebuilt(examples().resolve("lima.jar"))));
        display = await(DisplayEngine.class, "(dmabuf.device.name=" + MALI + ")");
        assertEquals(5, display.run(5, TimeUnit.SECONDS.toNanos(10)).good());

        // deleted: uninstalled, and it holds nothing any more
        awaitEvent("lima", BundleEvent.UNINSTALLED, () -> Files.delete(jar));
        assertNull("lima's view is closed", module("lima"));
        assertTrue(context.getServiceReferences(DisplayEngine.class, "(dmabuf.device.name=" + MALI + ")").isEmpty());

        // the device's .cfg deleted: unplugged
        CountDownLatch gone = new CountDownLatch(1);
        org.osgi.util.tracker.ServiceTracker<?, ?> t = new org.osgi.util.tracker.ServiceTracker<>(context,
                context.createFilter("(dmabuf.device.name=" + MALI + ")"), null) {
            @Override
            public void removedService(org.osgi.framework.ServiceReference<Object> r, Object o) {
                gone.countDown();
            }
        };
        t.open(true);
        try {
            Files.delete(cfg);
            assertTrue("the device is unplugged", gone.await(TIMEOUT_MS, TimeUnit.MILLISECONDS));
        } finally {
            t.close();
        }
    }

    @Test
    public void a_driver_the_gate_refuses_is_reported_with_the_gates_reason_not_swallowed() throws Exception {
        LogReaderService reader = await(LogReaderService.class, "");
        CountDownLatch reported = new CountDownLatch(1);
        LogListener l = (LogEntry e) -> {
            if (e.getBundle() != null && "org.apache.felix.fileinstall".equals(e.getBundle().getSymbolicName())
                    && LogLevel.WARN.implies(e.getLogLevel()) && String.valueOf(e.getException()).contains("blob_gpu")) {
                reported.countDown();
            }
        };
        reader.addLogListener(l);
        Path jar = deploy().resolve("blob_gpu.jar");
        try {
            Console.Captured<Boolean> c = Console.logged(() -> {
                try (InputStream in = TestBundles.bundle("blob_gpu").licence("Proprietary")
                        .activator(NoopActivator.class).symbols("dma_buf_export").namespaces("DMA_BUF").build()) {
                    Files.copy(in, jar, StandardCopyOption.REPLACE_EXISTING);
                    return reported.await(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue("FileInstall reported the failed start: " + c.log(), c.value());
            assertTrue(c.log(), c.log().contains("blob_gpu: Unknown symbol dma_buf_export (err -2)"));
            assertFalse("the build-time wording is modpost's, not the loader's: " + c.log(),
                    c.log().contains("GPL-incompatible module"));
            assertTrue(c.log(), c.log().contains("deploy: ") && c.log().contains("blob_gpu: Unknown symbol dma_buf_export"));
            assertEquals("stays Installed, as an unloadable module", Bundle.INSTALLED, bundleNamed("blob_gpu").getState());
        } finally {
            reader.removeLogListener(l);
            awaitEvent("blob_gpu", BundleEvent.UNINSTALLED, () -> Files.delete(jar));
        }
    }

    @Test
    public void a_policy_cfg_in_deploy_switches_the_export_policy() throws Exception {
        Path cfg = deploy().resolve("org.dmabuf.policy.cfg");
        awaitEvent("nvidia", BundleEvent.STARTED, () -> Files.writeString(cfg, "policy=export-symbol\n"));
        awaitEvent("nvidia", BundleEvent.STOPPED, () -> Files.writeString(cfg, "policy=gpl-only\n"));
        Files.delete(cfg);
    }

    private Bundle bundleNamed(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    /** The same bundle, rebuilt: one more entry, so FileInstall sees a new file. */
    private static byte[] rebuilt(Path jar) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar));
                JarOutputStream o = new JarOutputStream(out, in.getManifest())) {
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                o.putNextEntry(new JarEntry(e.getName()));
                in.transferTo(o);
                o.closeEntry();
            }
            o.putNextEntry(new JarEntry("BUILD"));
            OutputStream w = o;
            w.write(Long.toString(System.nanoTime()).getBytes());
            o.closeEntry();
        }
        return out.toByteArray();
    }
}
