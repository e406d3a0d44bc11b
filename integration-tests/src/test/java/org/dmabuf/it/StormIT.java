// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.management.ObjectName;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.Mapping;
import org.dmabuf.api.debugfs.ModuleInfo;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.api.fence.FenceContext;
import org.dmabuf.api.module.ExportPolicy;
import org.dmabuf.api.module.ExportPolicyControl;
import org.dmabuf.it.bundles.faulty.FaultyActivator;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.Platform;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceReference;

/**
 * The storm: a seeded soak of random operations from several threads while
 * the displays run, with the drivers (the distribution's, a third-party one
 * from {@code deploy/}'s examples, and fault-injecting ones) started,
 * stopped, updated, uninstalled and reinstalled under it, devices plugged
 * and unplugged, the policy switched, console allocations, fence waits,
 * exports, imports and sync files. After every batch: bufinfo answers, no
 * deadlock, the probe holds nothing, no leak is listed. At the end, with the
 * platform put back as it was: no buffer, fd, attachment, mapping, heap byte
 * or native byte (native memory tracking) more than before, no frame counted
 * good that was not whole, no wait past its timeout, no thread left behind,
 * no unexpected exception.
 *
 * <p>{@code -Ddmabuf.storm.ops=N} (default 1000, the short form CI runs),
 * {@code -Ddmabuf.storm.seed=S} (default 14), {@code -Ddmabuf.storm.threads=T} (default 4).
 */
public class StormIT extends PlatformTest {
    private static final int OPS = Integer.getInteger("dmabuf.storm.ops", 1000);
    private static final long SEED = Long.getLong("dmabuf.storm.seed", 14);
    private static final int THREADS = Integer.getInteger("dmabuf.storm.threads", 4);
    private static final int BATCH = 50;
    private static final long WAIT_SLACK_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Faulty drivers' callbacks, release left out: a release that throws leaks by design (LeakTest). */
    private static final String FAULTED_OPS = "attach,detach,map_dma_buf,unmap_dma_buf,vmap,begin_cpu_access,"
            + "end_cpu_access,mmap";

    @Override
    @Configuration
    public Option[] config() {
        return Platform.options(frameworkProperty("dmabuf.stop.timeout.ms").value("1000"));
    }

    private DmaBufService dmabuf;
    private DmaFenceService fences;
    private Console console;
    private final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger expected = new AtomicInteger();
    private final AtomicLong waitsPast = new AtomicLong();
    private final AtomicLong badFrames = new AtomicLong();
    private final AtomicLong goodFrames = new AtomicLong();
    private final Map<String, AtomicInteger> done = new ConcurrentHashMap<>();
    private final ReentrantReadWriteLock policyLock = new ReentrantReadWriteLock();

    /** A bundle the storm plays with: how to install it again, and its current incarnation. */
    private final class Driver {
        final String name;
        final String location;
        final java.util.function.Supplier<java.io.InputStream> content; // null: from its location
        final boolean wasActive;
        final ReentrantLock lock = new ReentrantLock();
        volatile Bundle bundle;

        Driver(Bundle b, java.util.function.Supplier<java.io.InputStream> content) {
            this.name = b.getSymbolicName();
            this.location = b.getLocation();
            this.content = content;
            this.wasActive = b.getState() == Bundle.ACTIVE;
            this.bundle = b;
        }

        void install() throws BundleException {
            bundle = content == null ? context.installBundle(location) : context.installBundle(location, content.get());
        }
    }

    private static TestBundles faulty(String bsn, String fault, String... headers) {
        TestBundles b = TestBundles.bundle(bsn).activator(FaultyActivator.class).header(FaultyActivator.HEADER, fault);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    @Test
    public void a_seeded_storm_of_operations_leaves_the_platform_as_it_found_it() throws Exception {
        dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        fences = context.getService(context.getServiceReference(DmaFenceService.class));
        console = new Console(context);
        ExportPolicyControl policy = context.getService(context.getServiceReference(ExportPolicyControl.class));
        int probeFds = dmabuf.fds().length;
        long buffersBefore = debug.bufferCount();
        long offHeapBefore = debug.offHeapBytes();
        long nativeBefore = nativeOtherKb();

        List<Driver> drivers = new ArrayList<>();
        for (String bsn : List.of("i915", "nvidia", "tegra_drm")) {
            drivers.add(new Driver(bundle(bsn), null));
        }
        Path lima = Path.of(context.getProperty("dmabuf.home")).resolve("examples/lima.jar");
        Bundle limaBundle = context.installBundle("storm:lima", Files.newInputStream(lima));
        limaBundle.start();
        drivers.add(new Driver(limaBundle, () -> open(lima)));
        for (TestBundles t : List.of(faulty("storm.throw", "throw", FaultyActivator.OPS_HEADER, FAULTED_OPS),
                faulty("storm.error", "error", FaultyActivator.OPS_HEADER, FAULTED_OPS),
                faulty("storm.nosignal", "no-signal", FaultyActivator.FENCE_TIMEOUT_HEADER, "500"),
                faulty("storm.doubleput", "double-put"), faulty("storm.uar", "use-after-release"))) {
            Bundle b = t.install(context);
            b.start();
            drivers.add(new Driver(b, t::build));
        }

        AtomicBoolean running = new AtomicBoolean(true);
        CompletableFuture<Void> displays = CompletableFuture.runAsync(() -> pipelines(running),
                r -> daemon(r, "storm displays"));
        Phaser batch = new Phaser(THREADS) {
            @Override
            protected boolean onAdvance(int phase, int parties) {
                invariants("after batch " + phase);
                return parties == 0;
            }
        };
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int w = 0; w < THREADS; w++) {
            int id = w;
            workers.add(CompletableFuture.runAsync(() -> worker(id, drivers, policy, batch),
                    r -> daemon(r, "storm worker " + id)));
        }
        try {
            for (CompletableFuture<Void> w : workers) {
                w.get(10, TimeUnit.MINUTES); // a stuck worker fails the test here
            }
        } finally {
            running.set(false);
            displays.get(1, TimeUnit.MINUTES);
        }
        long took = System.nanoTime() - t0;

        // put the platform back as it was
        policy.switchTo(ExportPolicy.GPL_ONLY).toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        for (Driver d : drivers) {
            Bundle b = d.bundle;
            if (b.getState() == Bundle.UNINSTALLED) {
                d.install();
                b = d.bundle;
            }
            if (d.location.startsWith("storm:") || d.location.startsWith("test:")) {
                b.uninstall();
            } else if (d.wasActive && b.getState() != Bundle.ACTIVE) {
                b.start();
            }
        }
        for (String device : List.copyOf(plugged)) {
            console.run("dmabuf:unplug " + device);
        }
        // with every driver stopped, nothing may be left: what is left then is a leak
        List<Bundle> holders = new ArrayList<>();
        for (String bsn : List.of("i915", "tegra_drm", "nvidia", "drm", "simgpu")) {
            Bundle b = bundle(bsn);
            if (b.getState() == Bundle.ACTIVE) {
                b.stop();
                holders.add(b);
            }
        }
        long buffersStopped = debug.bufferCount();
        String bufinfoStopped = debug.bufinfo();
        long heapStopped = debug.offHeapBytes();
        long nativeStopped = nativeOtherKb();
        for (Bundle b : holders.reversed()) {
            b.start();
        }
        everyDistributionBundleIsActive();

        System.out.printf("StormIT: %d operations (seed %d, %d threads) in %d ms: %s; %d expected refusals,"
                + " %d frames good, %d bad; with every driver stopped: buffers %d -> %d, heap bytes %d -> %d, native"
                + " (NMT Other) %d KB -> %d KB%n",
                OPS, SEED, THREADS, TimeUnit.NANOSECONDS.toMillis(took), new java.util.TreeMap<>(done), expected.get(),
                goodFrames.get(), badFrames.get(), buffersBefore, buffersStopped, offHeapBefore, heapStopped,
                nativeBefore, nativeStopped);
        assertEquals("unexpected exceptions: " + unexpected, List.of(), unexpected);
        assertEquals("frames shown that were not whole", 0, badFrames.get());
        assertEquals("waits past their timeout", 0, waitsPast.get());
        ModuleInfo probe = module(context.getBundle().getSymbolicName());
        assertHolds(probe, 0, 0, 0);
        assertEquals("the probe's fds", probeFds, dmabuf.fds().length);
        assertEquals(bufinfoStopped, buffersBefore, buffersStopped);
        assertEquals("heap bytes", offHeapBefore, heapStopped);
        assertTrue("native memory (NMT, Other) grew from " + nativeBefore + " KB to " + nativeStopped + " KB",
                nativeBefore < 0 || nativeStopped - nativeBefore < 1024);
        assertNull("no deadlock", ManagementFactory.getThreadMXBean().findDeadlockedThreads());
    }

    private static java.io.InputStream open(Path p) {
        try {
            return Files.newInputStream(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    // --- the workers ---------------------------------------------------------------------

    private final List<String> plugged = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger deviceNames = new AtomicInteger();

    private void worker(int id, List<Driver> drivers, ExportPolicyControl policy, Phaser batch) {
        Random rnd = new Random(SEED * 31 + id);
        FenceContext ring = fences.contextAlloc("storm", "worker" + id);
        int mine = OPS / THREADS + (id < OPS % THREADS ? 1 : 0);
        try {
            for (int i = 0; i < mine; i++) {
                int dice = rnd.nextInt(100);
                String op = dice < 14 ? "bundle" : dice < 20 ? "device" : dice < 22 ? "policy" : dice < 32 ? "console"
                        : dice < 47 ? "fence" : dice < 72 ? "share" : dice < 82 ? "syncfile" : "faulty";
                try {
                    switch (op) {
                        case "bundle" -> bundleOp(rnd, drivers);
                        case "device" -> deviceOp(rnd);
                        case "policy" -> policyOp(rnd, policy);
                        case "console" -> consoleOp(rnd);
                        case "fence" -> fenceOp(rnd, ring);
                        case "share" -> shareOp(rnd);
                        case "syncfile" -> syncFileOp(ring);
                        default -> faultyOp(rnd);
                    }
                    done.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
                } catch (Throwable t) {
                    if (expectedFailure(op, t)) {
                        expected.incrementAndGet();
                    } else {
                        unexpected.add(op + ": " + stack(t));
                    }
                }
                if ((i + 1) % BATCH == 0) {
                    batch.arriveAndAwaitAdvance();
                }
            }
        } finally {
            batch.arriveAndDeregister();
        }
    }

    // what the platform may rightly answer while drivers and devices come and go under the operation
    private static boolean expectedFailure(String op, Throwable t) {
        Throwable c = t;
        while (c != null) {
            if (c instanceof DmaBufException e) {
                return switch (e.errno()) {
                    case ENODEV, EBADF, EIO, ENOENT, ETIMEDOUT -> true; // gone, unplugged, faulty driver
                    case EINVAL -> op.equals("faulty"); // a transfer received by another worker first
                    case EBUSY -> op.equals("share") || op.equals("faulty"); // scattered pages, a device without IOMMU
                    default -> false;
                };
            }
            if (c instanceof BundleException && op.equals("bundle")) {
                return true; // nvidia refused under gpl-only; a bundle another thread changed meanwhile
            }
            if (c instanceof IllegalStateException && op.equals("bundle") && String.valueOf(c.getMessage())
                    .contains("uninstalled")) {
                return true;
            }
            if (c instanceof NullPointerException && c.getStackTrace().length > 0
                    && c.getStackTrace()[0].getClassName().startsWith("org.apache.felix.framework.")) {
                return true; // Felix's service lookup racing a bundle's uninstall (a revision gone): not the platform's
            }
            if (c instanceof IllegalArgumentException && op.equals("device")) {
                return true; // unplug of a device another worker unplugged
            }
            c = c.getCause();
        }
        return false;
    }

    private static String stack(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    private void bundleOp(Random rnd, List<Driver> drivers) throws Exception {
        Driver d = drivers.get(rnd.nextInt(drivers.size()));
        int action = rnd.nextInt(4);
        policyLock.readLock().lock();
        d.lock.lock();
        try {
            Bundle b = d.bundle;
            switch (action) {
                case 0 -> b.start();
                case 1 -> b.stop();
                case 2 -> {
                    if (d.content == null) {
                        b.update();
                    } else {
                        b.update(d.content.get());
                    }
                }
                default -> {
                    b.uninstall();
                    d.install();
                    d.bundle.start();
                }
            }
        } finally {
            d.lock.unlock();
            policyLock.readLock().unlock();
        }
    }

    private void deviceOp(Random rnd) throws Exception {
        if (rnd.nextBoolean() || plugged.isEmpty()) {
            String name = "storm-" + deviceNames.incrementAndGet();
            String kind = List.of("intel", "nvidia", "mali").get(rnd.nextInt(3));
            console.run("dmabuf:plug " + kind + " " + name);
            plugged.add(name);
        } else {
            String name;
            synchronized (plugged) {
                if (plugged.isEmpty()) {
                    return;
                }
                name = plugged.remove(rnd.nextInt(plugged.size()));
            }
            console.run("dmabuf:unplug " + name);
        }
    }

    private void policyOp(Random rnd, ExportPolicyControl policy) throws Exception {
        policyLock.writeLock().lock();
        try {
            policy.switchTo(rnd.nextBoolean() ? ExportPolicy.EXPORT_SYMBOL : ExportPolicy.GPL_ONLY)
                    .toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } finally {
            policyLock.writeLock().unlock();
        }
    }

    private static final Pattern FD = Pattern.compile("^fd (\\d+):");

    private void consoleOp(Random rnd) throws Exception {
        String out = console.run("dmabuf:alloc " + (rnd.nextBoolean() ? "system" : "default_cma_region") + " "
                + (1 + rnd.nextInt(64)) + "K");
        Matcher m = FD.matcher(out.trim());
        assertTrue(out, m.find());
        console.run("dmabuf:close " + m.group(1));
    }

    private void fenceOp(Random rnd, FenceContext ring) throws Exception {
        DmaFence f = ring.next();
        try {
            if (rnd.nextBoolean()) {
                // signalled by another thread while this one waits
                CompletableFuture<Void> signaller = CompletableFuture.runAsync(f::signal);
                timedWait(f, TimeUnit.SECONDS.toNanos(5));
                signaller.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                assertTrue(f.isSignaled());
            } else {
                // never signalled in time: the wait ends at its timeout
                long left = timedWait(f, TimeUnit.MILLISECONDS.toNanos(1 + rnd.nextInt(20)));
                assertEquals(0, left);
                f.signal();
            }
        } finally {
            f.put();
        }
    }

    private long timedWait(DmaFence f, long timeout) {
        long t0 = System.nanoTime();
        long left = f.waitTimeout(timeout, false);
        if (System.nanoTime() - t0 > timeout + WAIT_SLACK_NANOS) {
            waitsPast.incrementAndGet();
        }
        return left;
    }

    private Device anyDevice(Random rnd) throws Exception {
        List<ServiceReference<Device>> refs = new ArrayList<>(context.getServiceReferences(Device.class, null));
        return refs.isEmpty() ? null : context.getService(refs.get(rnd.nextInt(refs.size())));
    }

    private void shareOp(Random rnd) throws Exception {
        int fd = dmabuf.heap(rnd.nextInt(4) == 0 ? "default_cma_region" : "system")
                .allocate(4096L << rnd.nextInt(8));
        try {
            int other = dmabuf.receive(dmabuf.send(fd)); // to itself, as to another process
            DmaBuf buf = dmabuf.get(other);
            try {
                Device d = anyDevice(rnd);
                if (d != null) {
                    Attachment a = buf.attach(d);
                    try {
                        Mapping m = a.mapAttachment(DmaDirection.BIDIRECTIONAL);
                        m.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1);
                        a.unmapAttachment(m);
                    } finally {
                        buf.detach(a);
                    }
                }
                buf.beginCpuAccess(DmaDirection.FROM_DEVICE);
                buf.endCpuAccess(DmaDirection.FROM_DEVICE);
            } finally {
                buf.put();
                dmabuf.close(other);
            }
        } finally {
            dmabuf.close(fd);
        }
    }

    private void syncFileOp(FenceContext ring) throws Exception {
        int fd = dmabuf.heap("system").allocate(4096);
        DmaBuf buf = dmabuf.get(fd);
        DmaFence job = ring.next();
        try {
            DmaResv resv = buf.resv();
            resv.lock();
            try {
                resv.reserveFences(1);
                resv.addFence(job, DmaResvUsage.WRITE);
            } finally {
                resv.unlock();
            }
            int sync = buf.exportSyncFile(DmaBuf.SYNC_READ);
            int merged = fences.syncFileMerge("storm", sync, sync);
            buf.importSyncFile(merged, DmaBuf.SYNC_READ);
            job.signal();
            dmabuf.close(sync);
            dmabuf.close(merged);
            buf.beginCpuAccess(DmaDirection.BIDIRECTIONAL); // waits for the job: signalled
            buf.endCpuAccess(DmaDirection.BIDIRECTIONAL);
        } finally {
            job.signal();
            job.put();
            buf.put();
            dmabuf.close(fd);
        }
    }

    private void faultyOp(Random rnd) throws Exception {
        java.util.Collection<ServiceReference<FdTransfer>> refs = context.getServiceReferences(FdTransfer.class,
                "(test.fault=*)");
        if (refs.isEmpty()) {
            return;
        }
        ServiceReference<FdTransfer> r = new ArrayList<>(refs).get(rnd.nextInt(refs.size()));
        FdTransfer t = context.getService(r);
        if (t == null) {
            return;
        }
        int fd = dmabuf.receive(t);
        try {
            DmaBuf buf = dmabuf.get(fd);
            try {
                Device d = anyDevice(rnd);
                if (d != null) {
                    Attachment a = buf.attach(d);
                    try {
                        a.unmapAttachment(a.mapAttachment(DmaDirection.TO_DEVICE));
                    } finally {
                        buf.detach(a);
                    }
                }
            } finally {
                buf.put();
            }
        } finally {
            dmabuf.close(fd);
        }
    }

    // --- the pipelines and the invariants ----------------------------------------------------

    private void pipelines(AtomicBoolean running) {
        org.osgi.util.tracker.ServiceTracker<DisplayEngine, DisplayEngine> tracker =
                new org.osgi.util.tracker.ServiceTracker<>(context, DisplayEngine.class, null);
        tracker.open();
        try {
            while (running.get()) {
                try {
                    if (tracker.waitForService(200) == null) {
                        continue; // every display's driver is stopped just now
                    }
                } catch (InterruptedException e) {
                    return;
                }
                pipelinesOnce(tracker);
            }
        } finally {
            tracker.close();
        }
    }

    private void pipelinesOnce(org.osgi.util.tracker.ServiceTracker<DisplayEngine, DisplayEngine> tracker) {
        {
            try {
                ServiceReference<DisplayEngine>[] refs = tracker.getServiceReferences();
                for (ServiceReference<DisplayEngine> r : refs == null ? List.<ServiceReference<DisplayEngine>>of()
                        : List.of(refs)) {
                    DisplayEngine e = context.getService(r);
                    if (e == null) {
                        continue;
                    }
                    try {
                        DisplayStats s = e.run(3, TimeUnit.SECONDS.toNanos(2));
                        badFrames.addAndGet(s.bad());
                        goodFrames.addAndGet(s.good());
                    } catch (DmaBufException | IllegalStateException gone) {
                        expected.incrementAndGet(); // its driver or device went mid-run
                    } finally {
                        context.ungetService(r);
                    }
                }
            } catch (Throwable t) {
                unexpected.add("display: " + stack(t));
            }
        }
    }

    private void invariants(String when) {
        try {
            String bufinfo = CompletableFuture.supplyAsync(debug::bufinfo).get(1, TimeUnit.SECONDS);
            if (bufinfo.contains("Leaked")) {
                unexpected.add(when + ": a leak is listed:\n" + bufinfo);
            }
            if (ManagementFactory.getThreadMXBean().findDeadlockedThreads() != null) {
                unexpected.add(when + ": deadlocked threads");
            }
            // every worker is between operations: the probe holds nothing
            ModuleInfo p = module(context.getBundle().getSymbolicName());
            if (p != null && p.fds() + p.references() + p.attachments() + p.vmaps() + p.transfers() != 0) {
                unexpected.add(when + ": the probe still holds " + p);
            }
        } catch (Exception e) {
            unexpected.add(when + ": bufinfo did not answer within a second: " + e);
        }
    }

    private static final Pattern OTHER = Pattern.compile("- +Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");

    /** @return native memory of category Other (off-heap allocations), committed, in KB; -1 without NMT */
    private static long nativeOtherKb() {
        try {
            String s = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
            Matcher m = OTHER.matcher(s);
            return m.find() ? Long.parseLong(m.group(2)) : -1;
        } catch (Exception e) {
            return -1;
        }
    }
}
