// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.memory;

import java.lang.foreign.MemorySegment;

/**
 * Off-heap memory backing one buffer: a whole number of pages, zero-filled
 * when handed out, freed exactly once by {@link #free()}.
 *
 * <p>A heap's record of its memory extends this class rather than holding
 * one ({@code DeviceMemoryImpl}): one object per buffer instead of two, 32
 * bytes less for every live buffer. The allocator carves the pages and the
 * caller's factory makes the record of them
 * ({@link PageAllocator#allocate(long, java.util.function.Function)}), its
 * fields final, safe to hand to any thread.
 */
public class Pages {
    private final PageAllocator.Arena0 arena; // knows its allocator
    private final MemorySegment segment;
    private final long requested;
    private boolean freed; // guarded by the allocator

    /** Pages just carved, for a record's constructor: nothing else can make or read one. */
    public static final class Carved {
        final PageAllocator.Arena0 arena;
        final MemorySegment segment;
        final long requested;

        Carved(PageAllocator.Arena0 arena, MemorySegment segment, long requested) {
            this.arena = arena;
            this.segment = segment;
            this.requested = requested;
        }
    }

    /** @param c the pages the allocator carved, handed to the factory */
    protected Pages(Carved c) {
        this.arena = c.arena;
        this.segment = c.segment;
        this.requested = c.requested;
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
