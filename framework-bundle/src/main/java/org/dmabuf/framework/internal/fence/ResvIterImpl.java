// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResvIter;
import org.dmabuf.api.fence.DmaResvUsage;

/**
 * {@code struct dma_resv_iter}. Locked: walks the current fences, signalled
 * or not. Unlocked: walks a snapshot, skipping signalled fences, and starts
 * over when the fences changed meanwhile (then {@link #isRestarted()} is true
 * again).
 */
public final class ResvIterImpl implements DmaResvIter {
    private final ResvImpl resv;
    private final DmaResvUsage usage;
    private final boolean unlocked;
    private ResvImpl.Entry[] list;
    private int index;
    private DmaResvUsage lastUsage;
    private boolean restarted;

    /** @param unlocked whether this is an unlocked cursor */
    public ResvIterImpl(ResvImpl resv, DmaResvUsage usage, boolean unlocked) {
        this.resv = resv;
        this.usage = usage;
        this.unlocked = unlocked;
    }

    @Override
    public DmaFence first() {
        list = resv.snapshot();
        index = 0;
        restarted = true;
        return walk();
    }

    @Override
    public DmaFence next() {
        if (list == null) {
            return first();
        }
        restarted = false;
        if (unlocked && !resv.current(list)) {
            return first();
        }
        return walk();
    }

    private DmaFence walk() {
        while (index < list.length) {
            ResvImpl.Entry e = list[index++];
            if (e.usage().ordinal() > usage.ordinal()) {
                continue;
            }
            if (unlocked && e.fence().isSignaled()) {
                continue;
            }
            lastUsage = e.usage();
            return e.fence();
        }
        return null;
    }

    @Override
    public DmaResvUsage usage() {
        return lastUsage;
    }

    @Override
    public boolean isRestarted() {
        return restarted;
    }
}
