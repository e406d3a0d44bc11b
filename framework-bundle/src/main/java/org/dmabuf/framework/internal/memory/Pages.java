// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.memory;

import java.lang.foreign.MemorySegment;

/**
 * Off-heap memory backing one buffer: a whole number of pages, zero-filled
 * when handed out, freed exactly once by {@link #free()}.
 *
 * <p>A heap's record of its memory extends this class rather than holding
 * one ({@code DeviceMemoryImpl}): one object per buffer instead of two, 32
 * bytes less for every live buffer. The allocator fills a blank record in
 * ({@link PageAllocator#allocate(long, Pages)}); its fields are written once,
 * before the record is handed out.
 */
public class Pages {
    private PageAllocator.Arena0 arena; // knows its allocator
    private MemorySegment segment;
    private long requested;
    private boolean freed; // guarded by the allocator

    /** A blank record, for {@link PageAllocator#allocate(long, Pages)} to fill in. */
    protected Pages() {
    }

    final void fill(PageAllocator.Arena0 arena, MemorySegment segment, long requested) {
        this.arena = arena;
        this.segment = segment;
        this.requested = requested;
    }

    /**
     * @return the memory; after {@link #free()} it stays safe to touch: it
     *         either still reads this buffer's old bytes (the range is never
     *         handed to anyone else) or, once its arena is closed, fails with
     *         {@link IllegalStateException}
     */
    public MemorySegment segment() {
        return segment;
    }

    /** @return the size in bytes, whole pages */
    public long size() {
        return segment.byteSize();
    }

    /** @return the size asked for, before rounding up to pages */
    public long requested() {
        return requested;
    }

    /** @return whether the pages were freed */
    public boolean isFreed() {
        return arena.owner.isFreed(this);
    }

    /**
     * Returns the pages to the allocator.
     *
     * @throws IllegalStateException on a second free
     */
    public void free() {
        arena.owner.free(this);
    }

    PageAllocator.Arena0 arena() {
        return arena;
    }

    boolean freedFlag() {
        return freed;
    }

    void markFreed() {
        freed = true;
    }
}
