// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.api.fence.DmaResvUsage;
import org.junit.jupiter.api.Test;

/** The job timeout as a report: a fence pending past it is named once, with its buffer and issuer. */
class WatchdogTest {
    private final Fixture f = new Fixture();

    @Test
    void a_fence_pending_past_the_timeout_is_reported_once_and_forgotten_when_signalled() {
        DmaBuf buf = f.exporter.export(f.counting().info(4096));
        buf.setName("fb0");
        DmaFence job = new FenceView(f.exporter).contextAlloc("nvidia", "gfx").next();
        DmaResv resv = buf.resv();
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(job, DmaResvUsage.WRITE);
        } finally {
            resv.unlock();
        }
        Watchdog dog = new Watchdog(f.core, TimeUnit.SECONDS.toNanos(10));
        long t0 = 1_000_000_000L;
        assertThat(dog.scan(t0)).as("first seen").isEmpty();
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(9))).as("within the timeout").isEmpty();
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(12))).singleElement().satisfies(l -> assertThat(l)
                .isEqualTo("dma-buf ino " + buf.inode() + " (exporter, fb0): write fence nvidia gfx seq "
                        + job.seqno() + " pending for 12 s (timeout 10 s): its GPU may be hung, or nvidia forgot"
                        + " to signal it"));
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(13))).as("once").isEmpty();

        job.signal();
        assertThat(dog.scan(t0 + TimeUnit.SECONDS.toNanos(30))).as("signalled: nothing to say").isEmpty();
        buf.put();
    }
}
