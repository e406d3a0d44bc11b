// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Mapping;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Many threads at once never corrupt a count nor lose (or repeat) a release. */
class ConcurrencyTest {
    static final int THREADS = 8;
    final Fixture f = new Fixture();
    final Fixture.CountingExporter x = f.counting();
    final ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }

    void runAll(Runnable task) throws Exception {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            fs.add(pool.submit(() -> {
                try {
                    task.run();
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        for (Future<?> fu : fs) {
            fu.get(60, TimeUnit.SECONDS);
        }
        assertThat(errors).isEmpty();
    }

    @Test
    void full_cycles_on_many_threads_release_every_buffer_exactly_once() throws Exception {
        int perThread = 2000;
        runAll(() -> {
            for (int i = 0; i < perThread; i++) {
                DmaBuf exp = f.exporter.export(x.info(4096));
                int fd = exp.fd(0);
                int ifd = f.importer.receive(f.exporter.send(fd));
                DmaBuf imp = f.importer.get(ifd);
                Attachment a = imp.attach(f.igpu);
                Mapping m = a.mapAttachment(DmaDirection.FROM_DEVICE);
                a.unmapAttachment(m);
                imp.detach(a);
                imp.put();
                f.importer.close(ifd);
                f.exporter.close(fd);
            }
        });
        assertThat(x.release.get()).isEqualTo(THREADS * perThread);
        assertThat(x.attach.get()).isEqualTo(x.detach.get());
        assertThat(x.map.get()).isEqualTo(x.unmap.get());
        assertThat(f.core.bufferCount()).isZero();
        assertThat(f.importer.holdings()).isEqualTo(new LoadedModule.Holdings(3, 0, 0, 0, 0));
        assertThat(f.systemPages.liveAllocations()).isZero();
    }

    @Test
    void one_buffer_hammered_from_every_side_keeps_its_count() throws Exception {
        DmaBuf exp = f.exporter.export(x.info(x.dynamicOps(), 4096));
        int fd = exp.get().fd(0);
        runAll(() -> {
            for (int i = 0; i < 3000; i++) {
                switch (i % 4) {
                    case 0 -> f.exporter.get(fd).put();
                    case 1 -> f.exporter.close(f.exporter.dup(fd));
                    case 2 -> {
                        DmaBuf r = exp.get();
                        Attachment a = r.dynamicAttach(f.igpu, org.dmabuf.api.ImporterOps.builder()
                                .invalidateMappings(Fixture::noop).build());
                        a.pin();
                        a.mapAttachment(DmaDirection.TO_DEVICE).close();
                        a.unpin();
                        r.detach(a);
                        r.put();
                    }
                    default -> {
                        exp.invalidateMappings();
                        exp.vunmap(exp.vmap());
                    }
                }
            }
        });
        assertThat(f.core.buffers().getFirst().count()).as("the fd and the first reference").isEqualTo(2);
        assertThat(x.pin.get()).isEqualTo(x.unpin.get());
        exp.put();
        f.exporter.close(fd);
        assertThat(x.release.get()).isEqualTo(1);
    }

    @Test
    void racing_last_puts_release_once() throws Exception {
        for (int round = 0; round < 200; round++) {
            DmaBuf exp = f.exporter.export(x.info(4096));
            List<DmaBuf> refs = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                refs.add(exp.get());
            }
            exp.put();
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<?>> fs = new ArrayList<>();
            for (DmaBuf r : refs) {
                fs.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    r.put();
                    return null;
                }));
            }
            for (Future<?> fu : fs) {
                fu.get(10, TimeUnit.SECONDS);
            }
            assertThat(x.release.get()).as("round %d", round).isEqualTo(round + 1);
        }
    }

    @Test
    void a_bundle_stopping_while_its_threads_still_work_leaks_nothing() throws Exception {
        for (int round = 0; round < 20; round++) {
            LoadedModule victim = f.core.openModule("victim" + round, 100 + round);
            CyclicBarrier start = new CyclicBarrier(THREADS + 1);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                fs.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (int i = 0; i < 500; i++) {
                        var info = x.info(4096);
                        DmaBuf b;
                        try {
                            b = victim.export(info);
                        } catch (DmaBufException refused) {
                            info.priv().free(); // a refused export leaves priv with the exporter
                            continue;
                        }
                        try {
                            Attachment a = b.attach(f.igpu);
                            a.mapAttachment(DmaDirection.TO_DEVICE);
                            int fd = b.get().fd(0);
                            victim.send(fd);
                            b.vmap();
                        } catch (DmaBufException expected) {
                            // the module closed under us: ENOENT or EBADF, and nothing leaked
                        }
                    }
                    return null;
                }));
            }
            start.await(10, TimeUnit.SECONDS);
            victim.close();
            for (Future<?> fu : fs) {
                fu.get(30, TimeUnit.SECONDS);
            }
            assertThat(f.core.bufferCount()).as("round %d", round).isZero();
        }
        assertThat(f.systemPages.liveAllocations()).isZero();
    }
}
