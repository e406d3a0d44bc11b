// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jdk.jfr.consumer.RecordingStream;

/**
 * The page's recordings of the tracepoints: a few seconds of the
 * {@code org.dmabuf.*} JFR events (and nothing else), through a
 * {@link RecordingStream}, converted as they come into a
 * {@link ChromeTrace}. One at a time: each holds a Web Console thread for
 * its seconds. Nothing of the platform waits on it: the tracepoints only
 * commit events, the stream reads them from the recorder's repository, and
 * it is closed however the recording ends (the plugin stopping ends it at
 * once).
 */
final class TraceRecorder {
    static final int MIN_S = 1;
    static final int MAX_S = 10;
    static final int DEFAULT_S = 2;

    private static final String STOPPING = "the DMA-BUF page is stopping; expected it running (reload the page)";

    private final int maxEvents;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile ChromeTrace last;

    TraceRecorder(int maxEvents) {
        this.maxEvents = maxEvents;
    }

    /**
     * Records {@code seconds} of the tracepoints.
     *
     * @return the trace, also kept as {@link #last}; {@code null} when a recording runs already
     * @throws InterruptedException the request's thread was interrupted: nothing kept
     * @throws IllegalStateException the plugin stops, or the JDK's recorder cannot record (the message says
     *         which)
     */
    ChromeTrace record(int seconds) throws InterruptedException {
        if (seconds < MIN_S || seconds > MAX_S) {
            throw new IllegalArgumentException("seconds " + seconds + "; expected " + MIN_S + " to " + MAX_S);
        }
        if (closing.getCount() == 0) {
            throw new IllegalStateException(STOPPING);
        }
        if (!busy.compareAndSet(false, true)) {
            return null;
        }
        try {
            ChromeTrace trace = new ChromeTrace(maxEvents);
            RecordingStream rs;
            try {
                rs = new RecordingStream();
            } catch (RuntimeException e) { // a JVM without Flight Recorder, or with it disabled
                throw new IllegalStateException("the JDK's Flight Recorder cannot record here (" + e.getMessage()
                        + "); expected a JVM with JFR available", e);
            }
            try {
                for (String event : ChromeTrace.EVENTS) {
                    rs.enable(event).withThreshold(Duration.ZERO).withoutStackTrace();
                    rs.onEvent(event, trace::accept); // only ours, even when another recording enables more
                }
                rs.startAsync(); // the recording runs when it returns (the recorder's first start takes a while)
                Instant start = Instant.now();
                boolean stopping = closing.await(seconds, TimeUnit.SECONDS);
                if (stopping) {
                    throw new IllegalStateException(STOPPING);
                }
                Instant end = Instant.now();
                rs.stop(); // the events recorded until now are all delivered when it returns
                trace.window(start, end); // widened to any event delivered outside it
            } finally {
                rs.close();
            }
            last = trace;
            return trace;
        } finally {
            busy.set(false);
        }
    }

    /** @return the last recording made, or {@code null} */
    ChromeTrace last() {
        return last;
    }

    /** The plugin stops: a recording in progress ends now, and none starts. */
    void close() {
        closing.countDown();
    }
}
