// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.framework.internal.fence.ResvImpl;

/**
 * The DRM scheduler's job timeout, as a report: a fence that stays pending in
 * a buffer's reservation object longer than the timeout is named once, with
 * its issuer, its timeline and the buffer, so a hung GPU or a driver that
 * forgot to signal is found while it happens, not when its bundle stops.
 * Off every hot path: it looks at the buffers' reservation objects (a volatile
 * array each, usually empty) when {@link #scan} runs, about once a second.
 */
public final class FenceWatchdog {
    private record Pending(long ino, long context, long seqno) {
    }

    private final DmaBufCore core;
    private final long timeoutNanos;
    private final Map<Pending, Long> firstSeen = new HashMap<>(); // guarded by this
    private final Set<Pending> reported = new HashSet<>(); // guarded by this

    /**
     * @param core the buffers
     * @param timeoutNanos how long a fence may stay pending before it is reported
     */
    public FenceWatchdog(DmaBufCore core, long timeoutNanos) {
        this.core = core;
        this.timeoutNanos = timeoutNanos;
    }

    /**
     * @param now {@link System#nanoTime()}, or a test's clock
     * @return one line for each fence pending longer than the timeout and not reported before
     */
    public synchronized List<String> scan(long now) {
        List<String> out = new ArrayList<>();
        Set<Pending> seen = new HashSet<>();
        for (DmaBufObject b : core.live()) { // no copy, no sort: a million buffers cost a few ms a scan
            for (ResvImpl.Entry e : b.resv.snapshot()) {
                DmaFence f = e.fence();
                if (f.isSignaled()) {
                    continue;
                }
                Pending p = new Pending(b.ino, f.context(), f.seqno());
                seen.add(p);
                long since = firstSeen.computeIfAbsent(p, x -> now);
                if (now - since >= timeoutNanos && reported.add(p)) {
                    out.add("dma-buf ino " + b.ino + " (" + b.expName + (b.name() == null ? "" : ", " + b.name())
                            + "): " + e.usage().label() + " fence " + f.driverName() + " " + f.timelineName()
                            + " seq " + Long.toUnsignedString(f.seqno()) + " pending for "
                            + TimeUnit.NANOSECONDS.toSeconds(now - since) + " s (timeout "
                            + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s): its GPU may be hung, or "
                            + f.driverName() + " forgot to signal it");
                }
            }
        }
        firstSeen.keySet().retainAll(seen); // signalled or gone: forgotten
        reported.retainAll(seen);
        return out;
    }
}
