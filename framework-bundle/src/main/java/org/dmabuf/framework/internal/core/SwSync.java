// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.util.ArrayList;
import java.util.List;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.SwSyncTimeline;
import org.dmabuf.framework.internal.fence.FenceContextImpl;
import org.dmabuf.framework.internal.fence.FenceImpl;

/**
 * {@code drivers/dma-buf/sw_sync.c}: a timeline a test advances by hand. Its
 * fences are ordinary fences of a fence context the owner issued (so
 * {@code dmabuf:fences} lists them and the owner's stop signals them); the
 * timeline's own monitor guards its value, and fences are signalled outside
 * it, in order of value.
 */
final class SwSync implements SwSyncTimeline {
    /** The longest name the kernel's structures hold ({@code char name[32]}). */
    static final int NAME_MAX = 32;
    /** The largest fence value: the kernel's {@code __u32 value}. */
    static final long VALUE_MAX = 0xFFFF_FFFFL;

    private final LoadedModule owner;
    private final FenceContextImpl context;
    private final String name;
    private long value; // guarded by this
    private boolean closed; // guarded by this

    private SwSync(LoadedModule owner, FenceContextImpl context, String name) {
        this.owner = owner;
        this.context = context;
        this.name = name;
    }

    /** {@code sw_sync_debugfs_open}: a timeline of {@code owner}'s, at 0. */
    static SwSync open(LoadedModule owner, String name) {
        checkName("sw_sync timeline", name);
        SwSync t = new SwSync(owner, owner.newContext("sw_sync", name, false), name);
        t.context.unlinkOnRelease(); // timeline_fence_release: a fence nobody holds leaves the timeline
        t.context.valueSource(() -> {
            synchronized (t) {
                return t.closed ? -1 : t.value;
            }
        });
        return t;
    }

    static void checkName(String what, String name) {
        if (name == null || name.isEmpty() || name.length() > NAME_MAX) {
            String shown = name == null ? "null" : "'" + (name.length() > 40 ? name.substring(0, 37) + "..." : name)
                    + "' (" + name.length() + " characters)";
            throw new DmaBufException(Errno.EINVAL, what + " name " + shown + "; expected 1 to " + NAME_MAX
                    + " characters");
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long context() {
        return context.context();
    }

    @Override
    public synchronized long value() {
        return value;
    }

    /** @return whether the timeline is closed */
    synchronized boolean closed() {
        return closed;
    }

    @Override
    public int createFence(String fenceName, long at) {
        checkName("SW_SYNC_IOC_CREATE_FENCE: sync file", fenceName);
        if (at < 0 || at > VALUE_MAX) {
            throw new DmaBufException(Errno.EINVAL, "SW_SYNC_IOC_CREATE_FENCE: value " + at + " on " + name
                    + "; expected 0 to " + VALUE_MAX + " (__u32)");
        }
        FenceImpl f;
        synchronized (this) {
            if (closed) {
                throw new DmaBufException(Errno.EBADF, "SW_SYNC_IOC_CREATE_FENCE: the sw_sync timeline " + name
                        + " is closed; expected an open timeline");
            }
            f = (FenceImpl) context.create(at);
            if (at <= value) {
                f.signal(); // reached already, as sync_pt_create finds it: under the lock, before anyone can wait
            }
        }
        try {
            return FenceView.createSyncFile(owner, f, fenceName); // the sync file takes the fence's reference
        } catch (RuntimeException e) {
            f.put();
            throw e;
        }
    }

    @Override
    public void inc(long count) {
        if (count < 0 || count > Integer.MAX_VALUE) {
            throw new DmaBufException(Errno.EINVAL, "SW_SYNC_IOC_INC: " + count + " on " + name + "; expected 0 to "
                    + Integer.MAX_VALUE);
        }
        long now;
        synchronized (this) {
            if (closed) {
                throw new DmaBufException(Errno.EBADF, "SW_SYNC_IOC_INC: the sw_sync timeline " + name
                        + " is closed; expected an open timeline");
            }
            value = Math.min(VALUE_MAX, value + count);
            now = value;
        }
        // sync_timeline_signal: every fence at or below the new value, lowest first
        List<FenceImpl> due = new ArrayList<>();
        for (FenceImpl f : context.pendingFences()) {
            if (f.seqno() <= now) {
                due.add(f);
            }
        }
        due.sort((a, b) -> Long.compare(a.seqno(), b.seqno()));
        for (FenceImpl f : due) {
            f.signal();
        }
    }

    @Override
    public void close() {
        long reached;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            reached = value;
        }
        // what the timeline reached is signalled, even if an inc racing with this close has not got to it yet;
        // sw_sync_debugfs_release: what was never reached is signalled with -ENOENT
        for (FenceImpl f : context.pendingFences()) {
            if (f.seqno() <= reached) {
                f.signal();
            }
        }
        context.abandon(Errno.ENOENT.code());
        owner.forgetContext(context);
    }

    @Override
    public String toString() {
        return "sw_sync " + name + " (context " + context.context() + ", " + owner.name() + ")";
    }
}
