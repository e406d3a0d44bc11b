// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.fence.WwAcquireCtx;
import org.dmabuf.drm.DrmExec;
import org.dmabuf.testsupport.PlatformTest;
import org.junit.Test;

/**
 * Two shared buffers locked together, as a blit from one into the other
 * needs: with an acquire context (the drm helpers' {@link DrmExec}), threads
 * taking them in opposite orders never deadlock, and lockdep, on in these
 * tests, has nothing to say; the API's errors are the kernel's.
 */
public class DrmExecIT extends PlatformTest {
    private static final int ROUNDS = 300;

    @Test
    public void blits_in_both_directions_at_once_never_deadlock() throws Exception {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        DmaFenceService fences = context.getService(context.getServiceReference(DmaFenceService.class));
        new org.dmabuf.testsupport.Console(context).run("dmabuf:lockdep clear");
        int fa = dmabuf.heap("system").allocate(4096);
        int fb = dmabuf.heap("system").allocate(4096);
        DmaBuf a = dmabuf.get(fa);
        DmaBuf b = dmabuf.get(fb);
        MemorySegment va = a.vmap();
        MemorySegment vb = b.vmap();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CyclicBarrier start = new CyclicBarrier(2);
        try {
            List<Future<Integer>> workers = new ArrayList<>();
            for (DmaBuf[] dir : new DmaBuf[][] {{a, b}, {b, a}}) {
                MemorySegment src = dir[0] == a ? va : vb;
                MemorySegment dst = dir[0] == a ? vb : va;
                workers.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    int retries = 0;
                    for (int i = 0; i < ROUNDS; i++) {
                        try (DrmExec exec = new DrmExec(fences, DrmExec.IGNORE_DUPLICATES)) {
                            exec.untilAllLocked(e -> {
                                if (!e.prepareObj(dir[0].resv(), 1)) {
                                    return;
                                }
                                if (!e.prepareObj(dir[1].resv(), 1)) {
                                    return;
                                }
                                e.lockObj(dir[0].resv()); // a duplicate, ignored
                            });
                            assertEquals(2, exec.objects().size());
                            // the blit: both counters move under both locks, written without atomics
                            long n = src.get(ValueLayout.JAVA_LONG, 0) + 1;
                            src.set(ValueLayout.JAVA_LONG, 0, n);
                            dst.set(ValueLayout.JAVA_LONG, 8, dst.get(ValueLayout.JAVA_LONG, 8) + 1);
                            retries += exec.retries();
                        }
                    }
                    return retries;
                }));
            }
            for (Future<Integer> w : workers) {
                w.get(60, TimeUnit.SECONDS); // a deadlock would end here
            }
            assertEquals("every blit counted once: the locks excluded each other", 2L * ROUNDS,
                    va.get(ValueLayout.JAVA_LONG, 0) + vb.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(2L * ROUNDS, va.get(ValueLayout.JAVA_LONG, 8) + vb.get(ValueLayout.JAVA_LONG, 8));
            assertTrue("lockdep is quiet about locks taken with an acquire context: " + debug.debugReports(),
                    debug.debugReports().stream().noneMatch(r -> r.contains("DrmExecIT")));
        } finally {
            pool.shutdownNow();
            a.vunmap(va);
            b.vunmap(vb);
            a.put();
            b.put();
            dmabuf.close(fa);
            dmabuf.close(fb);
        }
    }

    @Test
    public void the_acquire_context_says_what_the_kernel_says() throws Exception {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        DmaFenceService fences = context.getService(context.getServiceReference(DmaFenceService.class));
        int fd = dmabuf.heap("system").allocate(4096);
        DmaBuf buf = dmabuf.get(fd);
        try (WwAcquireCtx ctx = fences.wwAcquireInit()) {
            buf.resv().lock(ctx);
            assertEquals(1, ctx.acquired());
            DmaBufException again = expect(() -> buf.resv().lock(ctx));
            assertEquals(Errno.EALREADY, again.errno());
            DmaBufException early = expect(ctx::close);
            assertTrue(early.getMessage(), early.getMessage().startsWith("ww_acquire_fini: 1 reservation lock is"
                    + " still held in this acquire context; expected dma_resv_unlock of each first"));
            buf.resv().unlock();
            assertEquals(0, ctx.acquired());
        }
        DmaBufException foreign = expect(() -> buf.resv().lock(new WwAcquireCtx() {
            @Override
            public void done() {
            }

            @Override
            public int acquired() {
                return 0;
            }

            @Override
            public boolean wounded() {
                return false;
            }

            @Override
            public void close() {
            }
        }));
        assertEquals(Errno.EINVAL, foreign.errno());
        assertTrue(foreign.getMessage(), foreign.getMessage().contains("expected one from"
                + " DmaFenceService.wwAcquireInit()"));
        buf.put();
        dmabuf.close(fd);
    }

    private static DmaBufException expect(Runnable r) {
        try {
            r.run();
        } catch (DmaBufException e) {
            return e;
        }
        throw new AssertionError("expected a DmaBufException");
    }
}
