// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.memory;

import java.lang.foreign.MemorySegment;

/**
 * Off-heap memory backing one buffer: a whole number of pages, zero-filled
 * when handed out, freed exactly once by {@link #free()}.
 */
public final class Pages {
    private final PageAllocator allocator;
    private final PageAllocator.Arena0 arena;
    private final MemorySegment segment;
    private final long requested;
    private boolean freed; // guarded by allocator

    Pages(PageAllocator allocator, PageAllocator.Arena0 arena, MemorySegment segment, long requested) {
        this.allocator = allocator;
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
        return allocator.isFreed(this);
    }

    /**
     * Returns the pages to the allocator.
     *
     * @throws IllegalStateException on a second free
     */
    public void free() {
        allocator.free(this);
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
