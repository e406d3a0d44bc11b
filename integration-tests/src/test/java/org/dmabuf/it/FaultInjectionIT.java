// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.lang.foreign.MemorySegment;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.it.bundles.faulty.FaultyActivator;
import org.dmabuf.testsupport.Platform;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceRegistration;

/**
 * Each fault of {@code docs/reliability.md}, injected by a real driver
 * bundle ({@link FaultyActivator}, the fault chosen by its manifest): the
 * platform answers with the kernel's errno, stays consistent, stops the
 * driver within the bound, and after it nothing is left: no buffer, no heap
 * byte, no module. (A callback blocked forever and a lock held forever:
 * {@code StuckDriversIT}.)
 */
public class FaultInjectionIT extends PlatformTest {
    private static final String IGPU = "0000:00:02.0";
    private DmaBufService dmabuf;
    private Device igpu;
    private Bundle driver;
    private int fdsBefore;

    @Override
    @Configuration
    public Option[] config() {
        return Platform.options(frameworkProperty("dmabuf.stop.timeout.ms").value("1000"));
    }

    @Before
    public void views() throws Exception {
        dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        igpu = await(Device.class, "(" + Device.PROP_NAME + "=" + IGPU + ")");
        fdsBefore = dmabuf.fds().length;
    }

    /** After each fault: the driver stops within the bound and nothing is left. */
    @After
    public void nothingLeft() throws Exception {
        if (driver != null) {
            long t0 = System.nanoTime();
            driver.uninstall();
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue("uninstalled in " + ms + " ms", ms < TIMEOUT_MS);
        }
        for (int fd : dmabuf.fds()) {
            if (fd >= fdsBefore) {
                dmabuf.close(fd);
            }
        }
        assertNull(module("test.faulty"));
        assertEquals(debug.bufinfo(), 0, debug.bufferCount());
        assertEquals("every heap byte back", 0, debug.offHeapBytes());
    }

    private Bundle start(String fault, String... headers) throws Exception {
        TestBundles b = TestBundles.bundle("test.faulty").activator(FaultyActivator.class)
                .header(FaultyActivator.HEADER, fault);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        driver = b.install(context);
        driver.start();
        return driver;
    }

    private DmaBuf take() throws Exception {
        FdTransfer t = await(FdTransfer.class, "(test.fault=*)");
        return dmabuf.get(dmabuf.receive(t));
    }

    private String result() throws Exception {
        return await(String.class, "(test.result=*)");
    }

    private static void assertEio(String op, Throwable t, String thrown) {
        assertTrue(op + ": " + t, t instanceof DmaBufException);
        DmaBufException e = (DmaBufException) t;
        assertEquals(op, Errno.EIO, e.errno());
        assertTrue(e.getMessage(), e.getMessage().startsWith("exporter test-faulty failed in " + op + " for ino "));
        assertTrue(e.getMessage(), e.getMessage().contains(thrown + ": injected fault in " + op));
    }

    private static Throwable thrown(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException | Error e) {
            return e;
        }
        fail("expected the call to fail");
        return null;
    }

    private void everyCallbackFails(String fault, String thrownClass) throws Exception {
        start(fault, FaultyActivator.OPS_HEADER, "attach");
        DmaBuf buf = take();
        assertEio("attach", thrown(() -> buf.attach(igpu)), thrownClass);
        buf.put();
        driver.uninstall();

        start(fault, FaultyActivator.OPS_HEADER, "map_dma_buf,unmap_dma_buf,detach,vmap,begin_cpu_access,"
                + "end_cpu_access,mmap");
        DmaBuf b = take();
        Attachment a = b.attach(igpu);
        assertEio("map_dma_buf", thrown(() -> a.mapAttachment(DmaDirection.BIDIRECTIONAL)), thrownClass);
        assertEio("vmap", thrown(b::vmap), thrownClass);
        assertEio("begin_cpu_access", thrown(() -> b.beginCpuAccess(DmaDirection.FROM_DEVICE)), thrownClass);
        assertEio("end_cpu_access", thrown(() -> b.endCpuAccess(DmaDirection.FROM_DEVICE)), thrownClass);
        assertEio("mmap", thrown(() -> b.mmap(0, FaultyActivator.SIZE)), thrownClass);
        b.detach(a); // its detach throws: logged, and the attachment is gone all the same
        assertFalse(a.isAttached());
        assertEquals(List.of(), debug.buffers().get(0).attachedDevices());
        b.put();
    }

    @Test
    public void runtime_exceptions_from_every_callback_are_EIO_and_change_nothing() throws Exception {
        everyCallbackFails("throw", "java.lang.IllegalStateException");
    }

    @Test
    public void errors_from_every_callback_are_EIO_and_change_nothing() throws Exception {
        everyCallbackFails("error", "java.lang.AssertionError");
    }

    @Test
    public void a_fence_never_signalled_times_out_on_its_contexts_job_timeout() throws Exception {
        start("no-signal", FaultyActivator.FENCE_TIMEOUT_HEADER, "1000");
        DmaBuf buf = take();
        List<DmaFence> writers = buf.resv().getFences(DmaResvUsage.WRITE);
        assertEquals(1, writers.size());
        DmaFence job = writers.get(0);
        // the watchdog scans once a second: within the timeout and two scans it is signalled -ETIMEDOUT
        int status = CompletableFuture.supplyAsync(() -> job.await(false)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        assertEquals(Errno.ETIMEDOUT.code(), status);
        job.put();
        buf.put();
    }

    @Test
    public void a_fence_never_signalled_is_signalled_ENODEV_when_its_driver_stops() throws Exception {
        start("no-signal");
        DmaBuf buf = take();
        DmaFence job = buf.resv().getFences(DmaResvUsage.WRITE).get(0);
        CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(() -> job.await(false));
        driver.stop();
        assertEquals(Errno.ENODEV.code(), (int) waiter.get(TIMEOUT_MS, TimeUnit.MILLISECONDS));
        job.put();
        buf.put();
    }

    @Test
    public void a_double_put_is_EINVAL_and_the_count_is_untouched() throws Exception {
        start("double-put");
        assertEquals("EINVAL: dma_buf_put: this reference to ino " + debug.buffers().get(0).ino() + " was already"
                + " put or moved into an fd; expected one put per reference (-EINVAL: Invalid argument)", result());
        assertEquals("its fd and the transfer in flight, as before the double put", 2, debug.buffers().get(0).count());
    }

    @Test
    public void a_view_used_after_release_fails_and_reads_nobodys_bytes() throws Exception {
        start("use-after-release");
        String r = result();
        assertTrue(r, r.startsWith("IllegalStateException: "));
        assertTrue(r, r.contains("closed"));
    }

    @Test
    public void detaching_another_bundles_attachment_does_nothing() throws Exception {
        int fd = dmabuf.heap("system").allocate(FaultyActivator.SIZE);
        DmaBuf mine = dmabuf.get(fd);
        Attachment a = mine.attach(igpu);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("test.victim", mine.inode());
        ServiceRegistration<Attachment> ra = context.registerService(Attachment.class, a, props);
        ServiceRegistration<FdTransfer> rx = context.registerService(FdTransfer.class,
                dmabuf.send(dmabuf.dup(fd)), props);
        try {
            start("detach-foreign");
            assertEquals("no error; still attached: true", result());
            assertTrue(a.isAttached());
            MemorySegment s = a.mapAttachment(DmaDirection.TO_DEVICE).segment();
            assertEquals(FaultyActivator.SIZE, s.byteSize());
        } finally {
            ra.unregister();
            rx.unregister();
        }
        mine.detach(a); // the mapping with it
        mine.put();
    }

    @Test
    public void a_thread_outliving_its_bundle_is_refused_and_leaves_nothing() throws Exception {
        start("thread");
        @SuppressWarnings("unchecked")
        CompletableFuture<String> end = (CompletableFuture<String>) driver.loadClass(
                FaultyActivator.class.getName()).getField("THREAD_END").get(null);
        assertFalse("the thread runs while its bundle does", end.isDone());
        driver.stop();
        String why = end.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        assertTrue(why, why.startsWith("test.faulty has stopped") || why.contains(": test.faulty has stopped"));
    }
}
