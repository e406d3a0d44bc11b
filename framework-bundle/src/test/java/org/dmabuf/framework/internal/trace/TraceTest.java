// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import org.dmabuf.framework.internal.fence.Fences;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.framework.internal.fence.FenceContextImpl;
import org.junit.jupiter.api.Test;

/** The tracepoints record what they say, and only while a recording enables them. */
class TraceTest {
    @Test
    void a_fence_s_life_is_recorded_while_enabled_and_not_otherwise() throws Exception {
        new FenceContextImpl(Fences.contextAlloc(1), "before", "tl", "test", s -> { }).create(1).signal(); // unrecorded
        Path file = Files.createTempFile("trace-test-", ".jfr");
        try (Recording r = new Recording()) {
            Trace.EVENTS.forEach(e -> r.enable(e).withoutStackTrace());
            r.start();
            DmaFence f = new FenceContextImpl(Fences.contextAlloc(1), "drv", "gfx", "test", s -> { }).create(7);
            f.signal();
            f.put();
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.delete(file);
        assertThat(events).extracting(e -> e.getEventType().getName()).containsSubsequence(
                "org.dmabuf.dma_fence_init", "org.dmabuf.dma_fence_signaled", "org.dmabuf.dma_fence_destroy");
        assertThat(events).allSatisfy(e -> assertThat(e.getString("driver")).isEqualTo("drv"));
        assertThat(events).filteredOn(e -> e.getEventType().getName().endsWith("signaled"))
                .singleElement().satisfies(e -> assertThat(e.getLong("seqno")).isEqualTo(7));
    }
}
