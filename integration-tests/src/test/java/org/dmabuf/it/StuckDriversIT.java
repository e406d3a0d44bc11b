// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.it.bundles.faulty.FaultyActivator;
import org.dmabuf.it.bundles.licence.NoopActivator;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.Platform;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.ServiceReference;

/**
 * Two drivers that never give back what they hold, deployed through
 * {@code deploy/}: one blocked forever in its {@code map_dma_buf} (deaf to
 * interrupts), one whose thread took its buffer's reservation lock and
 * parked forever. The platform does not wait on them: bufinfo and the Web
 * Console answer, both are stopped and uninstalled by FileInstall within the
 * stop bound (what they held revoked), a jar dropped meanwhile is deployed,
 * and nothing is left behind.
 */
public class StuckDriversIT extends PlatformTest {
    private static final long BOUND_MS = 1000;
    private static final String IGPU = "0000:00:02.0";

    @Override
    @Configuration
    public Option[] config() {
        return Platform.options(frameworkProperty("dmabuf.stop.timeout.ms").value(String.valueOf(BOUND_MS)));
    }

    private Path deploy() {
        return Path.of(context.getProperty("felix.fileinstall.dir"));
    }

    /** Counts down each bundle event of those symbolic names and type. */
    private BundleListener on(int type, Set<String> bsns, CountDownLatch latch) {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        BundleListener l = e -> {
            if (e.getType() == type && bsns.contains(e.getBundle().getSymbolicName())
                    && seen.add(e.getBundle().getSymbolicName())) {
                latch.countDown();
            }
        };
        context.addBundleListener(l);
        return l;
    }

    private static TestBundles faulty(String bsn, String fault) {
        return TestBundles.bundle(bsn).activator(FaultyActivator.class).header(FaultyActivator.HEADER, fault);
    }

    private DmaBuf take(DmaBufService dmabuf, String fault) throws Exception {
        FdTransfer t = await(FdTransfer.class, "(test.fault=" + fault + ")");
        return dmabuf.get(dmabuf.receive(t));
    }

    @Test
    public void drivers_stuck_forever_are_stopped_within_the_bound_and_nothing_waits_on_them() throws Exception {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        Device igpu = await(Device.class, "(" + Device.PROP_NAME + "=" + IGPU + ")");
        int fdsBefore = dmabuf.fds().length;

        // deployed as a user would: jars dropped into deploy/
        CountDownLatch started = new CountDownLatch(2);
        BundleListener l = on(BundleEvent.STARTED, Set.of("test.stuck", "test.holdlock"), started);
        try {
            Files.copy(faulty("test.stuck", "block").header(FaultyActivator.OPS_HEADER, "map_dma_buf").build(),
                    deploy().resolve("stuck.jar"));
            Files.copy(faulty("test.holdlock", "hold-lock").build(), deploy().resolve("holdlock.jar"));
            assertTrue("both deployed", started.await(TIMEOUT_MS, TimeUnit.MILLISECONDS));
        } finally {
            context.removeBundleListener(l);
        }

        // a render thread maps the stuck driver's buffer: blocked forever in its map_dma_buf, holding the lock
        DmaBuf stuck = take(dmabuf, "block");
        Attachment onStuck = stuck.attach(igpu);
        Thread render = new Thread(() -> onStuck.mapAttachment(DmaDirection.BIDIRECTIONAL), "probe render thread");
        render.setDaemon(true); // it never comes back: the driver ignores interrupts
        render.start();
        await(Object.class, "(test.fault.entered=map_dma_buf)");
        // another waits for the lock that the other driver's thread holds forever
        DmaBuf locked = take(dmabuf, "hold-lock");
        CompletableFuture<Attachment> waiter = CompletableFuture.supplyAsync(() -> locked.attach(igpu),
                r -> {
                    Thread t = new Thread(r, "probe waiting for a lock");
                    t.setDaemon(true);
                    t.start();
                });

        // introspection answers: bufinfo within a second, naming both holders
        String bufinfo = CompletableFuture.supplyAsync(() -> {
            try {
                return new Console(context).run("dmabuf:bufinfo");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).get(1, TimeUnit.SECONDS);
        assertTrue(bufinfo, bufinfo.contains("Busy (reservation lock held in a driver's code):\n"));
        assertTrue(bufinfo, bufinfo.contains("ino " + stuck.inode() + ": locked by test.stuck in map_dma_buf"));
        assertTrue(bufinfo, bufinfo.contains("ino " + locked.inode() + ": locked by test.holdlock in dma_resv_lock"));
        // and the Web Console's page loads
        HttpResponse<String> page = HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(
                URI.create("http://localhost:" + Platform.httpPort() + "/system/console/dmabuf"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:"
                        + Platform.consolePassword()).getBytes(StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString()).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        assertEquals(200, page.statusCode());
        assertTrue(page.body(), page.body().contains("ino " + stuck.inode() + ": locked by test.stuck in map_dma_buf"));

        // both jars deleted, and a third dropped meanwhile: FileInstall's one thread uninstalls both within the
        // bound (twice: the cleanup, then again after revoking) and goes on to install the third
        CountDownLatch gone = new CountDownLatch(2);
        CountDownLatch deployed = new CountDownLatch(1);
        BundleListener g = on(BundleEvent.UNINSTALLED, Set.of("test.stuck", "test.holdlock"), gone);
        BundleListener d = on(BundleEvent.STARTED, Set.of("test.noop"), deployed);
        long t0 = System.nanoTime();
        try {
            Files.delete(deploy().resolve("stuck.jar"));
            Files.delete(deploy().resolve("holdlock.jar"));
            Files.copy(TestBundles.bundle("test.noop").activator(NoopActivator.class).build(),
                    deploy().resolve("noop.jar"));
            assertTrue("both uninstalled", gone.await(TIMEOUT_MS, TimeUnit.MILLISECONDS));
            assertTrue("the jar dropped meanwhile is deployed", deployed.await(TIMEOUT_MS, TimeUnit.MILLISECONDS));
        } finally {
            context.removeBundleListener(g);
            context.removeBundleListener(d);
        }
        System.out.println("StuckDriversIT: two stuck drivers uninstalled and one deployed in "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms (stop bound " + BOUND_MS + " ms)");
        assertNull(module("test.stuck"));
        assertNull(module("test.holdlock"));

        // the waiter went on: the lock was revoked, the buffer is served by the framework
        Attachment onLocked = waiter.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        assertTrue(render.isAlive()); // still parked in the departed driver's code, holding nothing
        String after = new Console(context).run("dmabuf:bufinfo");
        assertTrue(after, !after.contains("Busy"));

        // the probe lets go as usual, and nothing is left
        stuck.detach(onStuck);
        locked.detach(onLocked);
        stuck.put();
        locked.put();
        for (int fd : dmabuf.fds()) {
            if (fd >= fdsBefore) {
                dmabuf.close(fd);
            }
        }
        assertEquals(debug.bufinfo(), 0, debug.bufferCount());
        assertEquals("every heap byte back", 0, debug.offHeapBytes());
        Files.delete(deploy().resolve("noop.jar"));
        ServiceReference<?>[] refs = context.getAllServiceReferences(FdTransfer.class.getName(), "(test.fault=*)");
        assertNull("the drivers' services are gone", refs);
    }
}
