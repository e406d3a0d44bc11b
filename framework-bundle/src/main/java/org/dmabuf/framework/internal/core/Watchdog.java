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
import org.dmabuf.framework.internal.fence.FenceContextImpl;
import org.dmabuf.framework.internal.fence.FenceImpl;
import org.dmabuf.framework.internal.fence.ResvImpl;

/**
 * What the kernel's hung-task detector and the DRM scheduler's job timeout
 * do, as one scan about once a second, off every hot path and never blocking
 * on a driver:
 * <ul>
 * <li>a fence pending in a buffer's reservation object longer than its
 * timeout (its context's, else the platform's) is named once, with its
 * issuer, its timeline and the buffer;</li>
 * <li>a fence of a context that signals on its timeout
 * ({@link org.dmabuf.api.fence.FenceContext#setTimeout}) is signalled with
 * {@code -ETIMEDOUT} once past it, naming its issuer and waiters;</li>
 * <li>a reservation lock held in a driver's code (one of its callbacks, or
 * its own {@code dma_resv_lock}) longer than the callback timeout is named
 * once, with the driver, the operation, the thread and its stack;</li>
 * <li>in debug mode, a thread found waiting at two scans in a row inside a
 * callback that must not block is reported by lockdep ({@code BUG: sleeping
 * function called from invalid context});</li>
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
    // callbacks in flight without the lock, when first seen, and whether reported; guarded by this
    private final Map<DmaBufObject, ResvImpl.Seen> calls = new java.util.IdentityHashMap<>();

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
        org.dmabuf.framework.internal.fence.Lockdep.sample(); // callbacks that must not block, found waiting
        List<String> out = new ArrayList<>();
        Set<Pending> seen = new HashSet<>();
        Map<DmaFence, List<Long>> inBuffers = new java.util.IdentityHashMap<>();
        Set<DmaBufObject> inCall = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Set<ResvImpl> busy = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (DmaBufObject b : core.live()) { // no copy, no sort: a million buffers cost a few ms a scan
            fences(b, now, seen, out, inBuffers);
            if (callbackTimeoutNanos > 0) {
                if (lock(b, now, out)) {
                    busy.add(b.resvIfAny());
                }
                call(b, now, out, inCall);
            }
        }
        contexts(now, seen, out, inBuffers);
        calls.keySet().retainAll(inCall); // returned: forgotten
        core.lockSeen.keySet().retainAll(busy); // released, or its buffer gone: forgotten
        firstSeen.keySet().retainAll(seen); // signalled or gone: forgotten
        reported.retainAll(seen);
        stops(now);
        return out;
    }

    // a context's own timeout, else the platform's; 0: none
    private long timeoutOf(DmaFence f) {
        if (f instanceof FenceImpl fi && fi.issuer() != null && fi.issuer().timeoutNanos() > 0) {
            return fi.issuer().timeoutNanos();
        }
        return fenceTimeoutNanos;
    }

    private void fences(DmaBufObject b, long now, Set<Pending> seen, List<String> out,
            Map<DmaFence, List<Long>> inBuffers) {
        for (ResvImpl.Entry e : b.fenceSnapshot()) {
            DmaFence f = e.fence();
            if (f.isSignaled()) {
                continue;
            }
            inBuffers.computeIfAbsent(f, x -> new ArrayList<>(1)).add(b.ino);
            long timeout = timeoutOf(f);
            if (timeout <= 0) {
                continue;
            }
            Pending p = new Pending(b.ino, f.context(), f.seqno());
            seen.add(p);
            long since = firstSeen.computeIfAbsent(p, x -> now);
            if (now - since >= timeout && reported.add(p)) {
                out.add(buffer(b)
                        + "): " + e.usage().label() + " fence " + f.driverName() + " " + f.timelineName()
                        + " seq " + Long.toUnsignedString(f.seqno()) + " pending for "
                        + TimeUnit.NANOSECONDS.toSeconds(now - since) + " s (timeout "
                        + seconds(timeout) + " s, " + waiters(f) + "): its GPU may be hung, or "
                        + f.driverName() + " forgot to signal it");
            }
        }
    }

    // "dma-buf ino 7 (exporter, name": how each report names its buffer
    private static String buffer(DmaBufObject b) {
        return "dma-buf ino " + b.ino + " (" + b.expName + (b.name() == null ? "" : ", " + b.name());
    }

    private static String waiters(DmaFence f) {
        int n = f instanceof FenceImpl fi ? fi.waiters() : 0;
        return n + " waiter" + (n == 1 ? "" : "s");
    }

    private static String seconds(long nanos) {
        return nanos % 1_000_000_000L == 0 ? String.valueOf(nanos / 1_000_000_000L)
                : String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
    }

    /*
     * The contexts with a job timeout of their own that signal on it: their fences past it are signalled with
     * -ETIMEDOUT, in a buffer or not, as timedout_job fails the jobs of a hung ring.
     */
    private void contexts(long now, Set<Pending> seen, List<String> out, Map<DmaFence, List<Long>> inBuffers) {
        for (LoadedModule m : core.openModules()) {
            for (FenceContextImpl c : m.contexts()) {
                if (!c.signalOnTimeout()) {
                    continue;
                }
                long timeout = c.timeoutNanos();
                for (FenceImpl f : c.pendingFences()) {
                    Pending p = new Pending(-1, f.context(), f.seqno());
                    seen.add(p);
                    long since = firstSeen.computeIfAbsent(p, x -> now);
                    if (now - since < timeout) {
                        continue;
                    }
                    int waiters = f.waiters();
                    if (!f.isSignaled()) {
                        // the waiters' callbacks run on a thread of their own: the watchdog never runs a driver
                        Thread.ofVirtual().name("dma-buf job timeout " + f.driverName() + ":" + f.timelineName())
                                .start(() -> f.signalWithError(org.dmabuf.api.Errno.ETIMEDOUT.code()));
                        List<Long> inos = inBuffers.getOrDefault(f, List.of());
                        out.add("dma_fence " + f.driverName() + ":" + f.timelineName() + " seq "
                                + Long.toUnsignedString(f.seqno()) + " (issued by " + c.owner() + ") timed out after "
                                + seconds(now - since) + " s (its context's job timeout " + seconds(timeout)
                                + " s): signalled with -ETIMEDOUT, waking " + waiters + " waiter"
                                + (waiters == 1 ? "" : "s") + (inos.isEmpty() ? "" : " on ino "
                                + String.join(" ", inos.stream().map(String::valueOf).toList())));
                    }
                }
            }
        }
    }

    // a hold is the same while its owner, its holder and the count of releases are: then it has lasted since seen
    /** @return whether the buffer's lock is held in a driver's code */
    private boolean lock(DmaBufObject b, long now, List<String> out) {
        ResvImpl r = b.resvIfAny();
        ResvImpl.Hold h = r == null ? null : r.hold();
        if (h == null) {
            return false; // the common case: nothing to remember (a stale entry is pruned after the scan)
        }
        if (h.holder() instanceof LoadedModule m && m.revoked()) {
            // a revocation that found the hold in the framework's code, when it looked: again now (a closed
            // module's holds are the stop's: it waits for them up to the bound, then revokes them)
            core.revoke(m);
            return false;
        }
        ResvImpl.Seen s = core.lockSeen.get(r);
        if (s == null || !s.hold().equals(h)) {
            core.lockSeen.put(r, new ResvImpl.Seen(h, now, false));
            return true;
        }
        if (!s.reported() && now - s.since() >= callbackTimeoutNanos) {
            core.lockSeen.put(r, new ResvImpl.Seen(h, s.since(), true));
            out.add(buffer(b) + "): "
                    + h.holder() + " has held the reservation lock in " + h.op() + " for "
                    + TimeUnit.NANOSECONDS.toSeconds(now - s.since()) + " s (thread \"" + h.owner().getName()
                    + "\"; report at " + TimeUnit.NANOSECONDS.toSeconds(callbackTimeoutNanos) + " s): every"
                    + " other user of the buffer waits. Call Trace:" + DmaBufCore.stack(h.owner()));
        }
        return true;
    }

    // an exporter callback without the lock, the same thread in the same operation since first seen
    private void call(DmaBufObject b, long now, List<String> out, Set<DmaBufObject> inCall) {
        Thread t = b.callbackThread();
        if (t == null) {
            return;
        }
        inCall.add(b);
        String op = b.callbackOp();
        ResvImpl.Seen s = calls.get(b);
        if (s == null || s.hold().owner() != t || !s.hold().op().equals(op)) {
            calls.put(b, new ResvImpl.Seen(new ResvImpl.Hold(t, b.exporter, op, 0), now, false));
            return;
        }
        boolean report = !s.reported() && now - s.since() >= callbackTimeoutNanos;
        calls.put(b, new ResvImpl.Seen(new ResvImpl.Hold(t, b.exporter, op, 0), s.since(), s.reported() || report));
        if (report) {
            out.add(buffer(b) + "): "
                    + b.exporter.name() + " has been in " + op + " for "
                    + TimeUnit.NANOSECONDS.toSeconds(now - s.since()) + " s (thread \"" + t.getName() + "\"; report at "
                    + TimeUnit.NANOSECONDS.toSeconds(callbackTimeoutNanos) + " s), without the reservation lock:"
                    + " its caller waits. Call Trace:" + DmaBufCore.stack(t));
        }
    }

    /** @return the fences reported pending past their timeout and pending still, one line each */
    public synchronized List<String> overdueFences() {
        List<String> out = new ArrayList<>();
        for (Pending p : reported) {
            out.add((p.ino() < 0 ? "" : "ino " + p.ino() + ": ") + "fence context " + p.context() + " seq "
                    + Long.toUnsignedString(p.seqno()));
        }
        out.sort(null);
        return out;
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
