// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands out off-heap pages for buffers, with two promises: every allocation
 * is zero-filled, and a stale view of freed pages never reads another
 * buffer's data nor crashes the JVM.
 *
 * <p>Why it is built this way (measured on a 2-core machine with JDK 25):
 * closing an {@code Arena.ofShared()} costs about 32 µs whatever it holds,
 * because it is a JVM-wide handshake, while zero-filling 4 KB costs about
 * 100 ns. One shared arena per buffer would make every small release cost
 * 32 µs. So small allocations are carved from shared slabs: a range is never
 * reused while its slab is open, so a freed range stays readable (its own
 * old bytes, nobody else's) until the last range of the slab is freed and
 * the slab's arena is closed, one handshake for all of them; from then on
 * every view of it fails with {@link IllegalStateException}. Large
 * allocations, where zero-filling costs more than the handshake, get an arena
 * of their own, closed when they are freed, so their stale views fail at once.
 * In debug mode every allocation gets its own arena (as
 * {@code CONFIG_DMABUF_DEBUG} trades speed for catching misuse).
 *
 * <p>Fresh arena memory is zeroed by the JVM, and ranges are never reused, so
 * no allocation needs a second zeroing pass.
 */
public final class PageAllocator {
    /** The page size. */
    public static final long PAGE_SIZE = 4096;
    /** Allocations of at least this many bytes get an arena of their own. */
    public static final long LARGE = 1L << 20;
    /** The size of a slab that small allocations are carved from. */
    public static final long SLAB = 4L << 20;

    private final String name;
    private final long capacity;
    private final boolean debug;
    private final AtomicLong used = new AtomicLong();       // bytes handed out and not freed
    private final AtomicLong reserved = new AtomicLong();   // bytes held in open arenas
    private final AtomicLong allocations = new AtomicLong();
    private Arena0 slab; // the slab being carved, guarded by this

    /**
     * @param name the name in error messages
     * @param capacity the most bytes that may be handed out at once
     * @param debug whether every allocation gets its own arena
     */
    public PageAllocator(String name, long capacity, boolean debug) {
        this.name = name;
        this.capacity = capacity;
        this.debug = debug;
    }

    /** @return the name */
    public String name() {
        return name;
    }

    /** @return the most bytes that may be handed out at once */
    public long capacity() {
        return capacity;
    }

    /** @return bytes handed out and not freed (whole pages) */
    public long usedBytes() {
        return used.get();
    }

    /** @return bytes of off-heap memory still held by open arenas, freed or not */
    public long reservedBytes() {
        return reserved.get();
    }

    /** @return the number of allocations not freed */
    public long liveAllocations() {
        return allocations.get();
    }

    /**
     * @param size bytes, at least 1; rounded up to whole pages
     * @return zero-filled pages
     * @throws OutOfMemoryError when the capacity or the machine's memory is exhausted
     * @throws IllegalArgumentException for a size below 1
     */
    public Pages allocate(long size) {
        return allocate(size, Pages::new);
    }

    /**
     * As {@link #allocate(long)}, the record of the pages of the caller's
     * making (a heap's, which extends {@link Pages}).
     *
     * @param <P> the record's type
     * @param size bytes, at least 1; rounded up to whole pages
     * @param record makes the record of the carved pages; must not throw
     * @return the record
     * @throws OutOfMemoryError when the capacity or the machine's memory is exhausted
     * @throws IllegalArgumentException for a size below 1
     */
    public <P extends Pages> P allocate(long size, java.util.function.Function<Pages.Carved, P> record) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be at least 1, was " + size);
        }
        long rounded = roundUp(size);
        if (rounded < size) {
            throw new OutOfMemoryError(name + ": " + size + " bytes cannot be rounded to pages");
        }
        long now = used.addAndGet(rounded);
        if (now > capacity || now < 0) {
            used.addAndGet(-rounded);
            throw new OutOfMemoryError(name + ": " + rounded + " bytes do not fit, "
                    + (now - rounded) + " of " + capacity + " in use");
        }
        Pages.Carved c;
        try {
            c = debug || rounded >= LARGE ? dedicated(size, rounded) : carve(size, rounded);
        } catch (OutOfMemoryError | RuntimeException e) {
            used.addAndGet(-rounded);
            throw e;
        }
        allocations.incrementAndGet();
        try {
            return record.apply(c);
        } catch (OutOfMemoryError | RuntimeException e) {
            new Pages(c).free(); // no record made: the pages go back
            throw e;
        }
    }

    private Pages.Carved dedicated(long size, long rounded) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg = arena.allocate(rounded, PAGE_SIZE);
            reserved.addAndGet(rounded);
            Arena0 a = new Arena0(this, arena, seg, rounded);
            a.top = rounded;
            a.retired = true;
            a.live = 1;
            return new Pages.Carved(a, seg, size);
        } catch (OutOfMemoryError | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private synchronized Pages.Carved carve(long size, long rounded) {
        Arena0 s = slab;
        if (s == null || s.base.byteSize() - s.top < rounded) {
            if (s != null) {
                retire(s);
            }
            Arena arena = Arena.ofShared();
            try {
                MemorySegment base = arena.allocate(SLAB, PAGE_SIZE);
                reserved.addAndGet(SLAB);
                s = new Arena0(this, arena, base, SLAB);
            } catch (OutOfMemoryError | RuntimeException e) {
                arena.close();
                throw e;
            }
            slab = s;
        }
        MemorySegment seg = s.base.asSlice(s.top, rounded);
        s.top += rounded;
        s.live++;
        return new Pages.Carved(s, seg, size);
    }

    // a slab that is no longer carved from closes once its last range is freed
    private void retire(Arena0 s) {
        s.retired = true;
        if (s.live == 0) {
            close(s);
        }
    }

    synchronized boolean isFreed(Pages p) {
        return p.freedFlag();
    }

    void free(Pages p) {
        Arena0 toClose = null;
        synchronized (this) {
            if (p.freedFlag()) {
                throw new IllegalStateException(name + ": pages freed twice");
            }
            p.markFreed();
            Arena0 a = p.arena();
            a.live--;
            if (a.retired && a.live == 0) {
                toClose = a;
            }
        }
        used.addAndGet(-p.size());
        allocations.decrementAndGet();
        if (toClose != null) {
            close(toClose); // the 32 µs handshake, outside the allocator's lock
        }
    }

    private void close(Arena0 a) {
        a.arena.close();
        reserved.addAndGet(-a.capacity);
    }

    /**
     * Closes the slab being carved if nothing in it is live, so that an idle
     * allocator holds no memory at all. The next allocation opens a new one.
     */
    public void trim() {
        Arena0 toClose = null;
        synchronized (this) {
            if (slab != null && slab.live == 0) {
                toClose = slab;
                slab = null;
            }
        }
        if (toClose != null) {
            close(toClose);
        }
    }

    public static long roundUp(long size) {
        return (size + PAGE_SIZE - 1) & -PAGE_SIZE;
    }

    /** An arena and the bookkeeping of the ranges carved from it. */
    static final class Arena0 {
        final PageAllocator owner;
        final Arena arena;
        final MemorySegment base;
        final long capacity;
        long top;        // next free offset, guarded by the allocator
        int live;        // ranges not freed, guarded by the allocator
        boolean retired; // no longer carved from, guarded by the allocator

        Arena0(PageAllocator owner, Arena arena, MemorySegment base, long capacity) {
            this.owner = owner;
            this.arena = arena;
            this.base = base;
            this.capacity = capacity;
        }
    }
}
