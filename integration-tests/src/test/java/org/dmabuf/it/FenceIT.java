// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.it.bundles.fencer.FencerActivator;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.osgi.framework.Bundle;

/** Fences outliving their driver, across real bundles: waiters are released with ENODEV, never left hanging. */
public class FenceIT extends PlatformTest {

    @Test
    public void waiters_on_a_fence_of_an_exporter_that_stops_return_with_ENODEV() throws Exception {
        Bundle fencer = TestBundles.bundle("test.fencer").activator(FencerActivator.class).install(context);
        try {
            fencer.start();
            DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
            DmaFenceService fences = context.getService(context.getServiceReference(DmaFenceService.class));
            FdTransfer t = await(FdTransfer.class, "(test.rendering=*)");
            DmaBuf buf = dmabuf.get(dmabuf.receive(t));
            DmaFence job = fences.syncFileGetFence(buf.exportSyncFile(DmaBuf.SYNC_READ));
            assertEquals("test.fencer", job.driverName());
            assertEquals("pending", 0, job.getStatus());
            assertTrue(debug.bufinfo(), debug.bufinfo().contains("\twrite fence:test.fencer render seq 1 unsignalled"));

            // an explicit waiter, and an implicit one: a CPU reader of the buffer waits for its writer
            CompletableFuture<Integer> explicit = CompletableFuture.supplyAsync(() -> job.await(false));
            CompletableFuture<Void> implicit = CompletableFuture.runAsync(() -> buf.beginCpuAccess(DmaDirection.FROM_DEVICE));
            assertEquals("the job never completes by itself", 0, job.waitTimeout(TimeUnit.MILLISECONDS.toNanos(50), false));
            assertFalse(explicit.isDone());
            assertFalse(implicit.isDone());

            fencer.stop();

            assertEquals("the wait returns with the ENODEV error", Errno.ENODEV.code(),
                    (int) explicit.get(10, TimeUnit.SECONDS));
            implicit.get(10, TimeUnit.SECONDS);
            buf.endCpuAccess(DmaDirection.FROM_DEVICE);
            assertEquals(-19, job.getStatus());
            assertTrue("the fence stays safe to query after its issuer is gone", job.isSignaled());
            assertTrue(buf.resv().testSignaled(DmaResvUsage.BOOKKEEP));
            assertTrue(debug.bufinfo(), debug.bufinfo().contains("\twrite fence:test.fencer render seq 1 signalled"));
            assertEquals("the buffer outlives its exporter for its importer", 4096, buf.size());
            buf.put();
        } finally {
            fencer.uninstall();
        }
    }
}
