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
 * What the kernel's hung-task detector and the DRM scheduler's job timeout
 * do, as one scan about once a second, off every hot path and never blocking
 * on a driver:
 * <ul>
 * <li>a fence pending in a buffer's reservation object longer than the fence
 * timeout is named once, with its issuer, its timeline and the buffer;</li>
 * <li>a reservation lock held in a driver's code (one of its callbacks, or
 * its own {@code dma_resv_lock}) longer than the callback timeout is named
 * once, with the driver, the operation, the thread and its stack;</li>
 * <li>a module whose bundle has been stopping longer than the stop bound is
 * revoked ({@link DmaBufCore#revoke}): its own stop code may be waiting on a
 * lock that one of its stuck callbacks holds.</li>
 * </ul>
 */
public final class Watchdog {
    private record Pending(long ino, long context, long seqno) {
    }

    private final DmaBufCore core;
    private final long fenceTimeoutNanos;
    private final long callbackTimeoutNanos;
    private final Map<Pending, Long> firstSeen = new HashMap<>(); // guarded by this
    private final Set<Pending> reported = new HashSet<>(); // guarded by this

    /**
     * @param core the buffers
     * @param fenceTimeoutNanos how long a fence may stay pending before it is reported; 0 for never
     * @param callbackTimeoutNanos how long a driver may hold a reservation lock before it is reported; 0 for never
     */
    public Watchdog(DmaBufCore core, long fenceTimeoutNanos, long callbackTimeoutNanos) {
        this.core = core;
        this.fenceTimeoutNanos = fenceTimeoutNanos;
        this.callbackTimeoutNanos = callbackTimeoutNanos;
    }

    /** A watchdog for fences only (no lock reports). */
    public Watchdog(DmaBufCore core, long fenceTimeoutNanos) {
        this(core, fenceTimeoutNanos, 0);
    }

    /**
     * @param now {@link System#nanoTime()}, or a test's clock
     * @return one line for each fence pending, or lock held, longer than its timeout and not reported before
     */
    public synchronized List<String> scan(long now) {
        List<String> out = new ArrayList<>();
        Set<Pending> seen = new HashSet<>();
        for (DmaBufObject b : core.live()) { // no copy, no sort: a million buffers cost a few ms a scan
            if (fenceTimeoutNanos > 0) {
                fences(b, now, seen, out);
            }
            if (callbackTimeoutNanos > 0) {
                lock(b, now, out);
            }
        }
        firstSeen.keySet().retainAll(seen); // signalled or gone: forgotten
        reported.retainAll(seen);
        stops(now);
        return out;
    }

    private void fences(DmaBufObject b, long now, Set<Pending> seen, List<String> out) {
        for (ResvImpl.Entry e : b.resv.snapshot()) {
            DmaFence f = e.fence();
            if (f.isSignaled()) {
                continue;
            }
            Pending p = new Pending(b.ino, f.context(), f.seqno());
            seen.add(p);
            long since = firstSeen.computeIfAbsent(p, x -> now);
            if (now - since >= fenceTimeoutNanos && reported.add(p)) {
                out.add("dma-buf ino " + b.ino + " (" + b.expName + (b.name() == null ? "" : ", " + b.name())
                        + "): " + e.usage().label() + " fence " + f.driverName() + " " + f.timelineName()
                        + " seq " + Long.toUnsignedString(f.seqno()) + " pending for "
                        + TimeUnit.NANOSECONDS.toSeconds(now - since) + " s (timeout "
                        + TimeUnit.NANOSECONDS.toSeconds(fenceTimeoutNanos) + " s): its GPU may be hung, or "
                        + f.driverName() + " forgot to signal it");
            }
        }
    }

    // a hold is the same while its owner, its holder and the count of releases are: then it has lasted since seen
    private void lock(DmaBufObject b, long now, List<String> out) {
        ResvImpl r = b.resv;
        ResvImpl.Hold h = r.hold();
        if (h == null) {
            r.seen = null;
            return;
        }
        ResvImpl.Seen s = r.seen;
        if (s == null || !s.hold().equals(h)) {
            r.seen = new ResvImpl.Seen(h, now, false);
            return;
        }
        if (!s.reported() && now - s.since() >= callbackTimeoutNanos) {
            r.seen = new ResvImpl.Seen(h, s.since(), true);
            out.add("dma-buf ino " + b.ino + " (" + b.expName + (b.name() == null ? "" : ", " + b.name()) + "): "
                    + h.holder() + " has held the reservation lock in " + h.op() + " for "
                    + TimeUnit.NANOSECONDS.toSeconds(now - s.since()) + " s (thread \"" + h.owner().getName()
                    + "\"; report at " + TimeUnit.NANOSECONDS.toSeconds(callbackTimeoutNanos) + " s): every"
                    + " other user of the buffer waits. Call Trace:" + DmaBufCore.stack(h.owner()));
        }
    }

    private void stops(long now) {
        long bound = core.stopTimeoutNanos();
        for (LoadedModule m : core.openModules()) {
            if (m.revoked() || !m.stopping()) {
                m.stoppingSeen = 0;
                continue;
            }
            if (m.stoppingSeen == 0) {
                m.stoppingSeen = now;
            } else if (now - m.stoppingSeen >= bound) {
                LoadedModule.LOG.warn("{}: still stopping after {} ms; revoking what it holds", m.name(),
                        TimeUnit.NANOSECONDS.toMillis(now - m.stoppingSeen));
                core.revoke(m);
            }
        }
    }
}
