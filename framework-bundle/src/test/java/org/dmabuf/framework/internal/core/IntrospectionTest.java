// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.fence.DmaResv;
import org.junit.jupiter.api.Test;

/** bufinfo never waits on a buffer's lock: a driver that holds a reservation lock forever cannot hang it. */
class IntrospectionTest {
    private final Fixture f = new Fixture();

    @Test
    void bufinfo_answers_while_a_driver_holds_a_reservation_lock() throws Exception {
        Fixture.CountingExporter x = f.counting();
        DmaBuf buf = f.exporter.export(x.info(4096));
        Attachment a = buf.attach(f.igpu);
        DmaResv resv = buf.resv();
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            resv.lock();
            try {
                locked.countDown();
                letGo.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                resv.unlock();
            }
        }, "a driver holding the lock");
        holder.start();
        try {
            assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();
            String text = CompletableFuture.supplyAsync(f.core::bufinfo).get(10, TimeUnit.SECONDS);
            assertThat(text).contains("\tAttached Devices:\n\t0000:00:02.0\n").contains("Total 1 objects, 4096 bytes");
            assertThat(CompletableFuture.supplyAsync(f.core::buffers).get(10, TimeUnit.SECONDS)).singleElement()
                    .satisfies(b -> assertThat(b.attachedDevices()).containsExactly("0000:00:02.0"));
        } finally {
            letGo.countDown();
            holder.join(10_000);
        }
        buf.detach(a);
        buf.put();
    }
}
