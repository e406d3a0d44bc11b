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
        Trace.open(); // as the framework bundle's start does: the recorder tells the tracepoints of recordings
        try (Recording r = new Recording()) {
            Trace.EVENTS.forEach(e -> r.enable(e).withoutStackTrace());
            r.start();
            DmaFence f = new FenceContextImpl(Fences.contextAlloc(1), "drv", "gfx", "test", s -> { }).create(7);
            f.signal();
            f.put();
            r.stop();
            r.dump(file);
        } finally {
            Trace.close();
        }
        // fences of other tests in this JVM may be made or dropped meanwhile: only this one's are looked at
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("org.dmabuf.dma_fence_")
                        && !"before".equals(e.getString("driver")))
                .filter(e -> "drv".equals(e.getString("driver"))).toList();
        assertThat(events).extracting(e -> e.getEventType().getName()).containsSubsequence(
                "org.dmabuf.dma_fence_init", "org.dmabuf.dma_fence_signaled", "org.dmabuf.dma_fence_destroy");
        assertThat(RecordingFile.readAllEvents(file).stream().filter(e -> e.getEventType().getName()
                .startsWith("org.dmabuf.dma_fence_") && "before".equals(e.getString("driver")))).as("before the recording")
                .isEmpty();
        assertThat(events).filteredOn(e -> e.getEventType().getName().endsWith("signaled"))
                .singleElement().satisfies(e -> assertThat(e.getLong("seqno")).isEqualTo(7));
        Files.delete(file);
    }
}
