// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.peer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.framework.internal.memory.Memfd;
import org.dmabuf.framework.internal.memory.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fds of processes that the platform watches, on one thread with
 * {@code poll(2)}: the eventfds they signal, and the references they hold.
 *
 * <p>References: each buffer a process is handed comes with a reference fd,
 * the write end of a pipe whose read end the platform keeps; when every copy
 * of it is closed (the process closed it, or exited), the read end hangs up
 * and the platform drops the process's reference, as the kernel drops a
 * dma-buf's when its file's last fd is closed. An fd in flight in a socket is
 * still open, so nothing is dropped before the process received it.
 *
 * <p>Fences that processes signal: each is an {@code eventfd} a process sent
 * (its release fence for a frame it read, its write-done fence for a frame
 * it filled), watched by one thread with {@code poll(2)}. When the eventfd
 * becomes readable its fence is signalled, with the error the process put in
 * it ({@code (1 << 32) | errno}, as the platform's own eventfds carry); a
 * process that never signals is timed out, as the watchdog times out a
 * driver's fence, and a process that leaves has its fences signalled
 * {@code -ENODEV}. The counter is read from {@code /proc/self/fdinfo},
 * never with {@code read(2)}: the process's file may be blocking, and it may
 * read the counter too, and nothing of the platform waits on a process.
 */
final class FdWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");
    /** The most fds watched at once, over every process: 64 processes holding 128 buffers each, and fences. */
    static final int MAX_WATCHED = 16384;

    /** One watched fd: an eventfd and the fence it stands for, or a reference's read end and what its end does. */
    private record Watch(int eventfd, DmaFence fence, long deadline, Object owner, String what, Reference ref) {
        boolean reference() {
            return ref != null;
        }
    }

    /** A reference's watch, for {@link #cancel}. */
    static final class Reference {
        private final Runnable hangup;
        private volatile boolean cancelled;

        Reference(Runnable hangup) {
            this.hangup = hangup;
        }
    }

    private final int wake;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Watch> added = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Object> leaving = new ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;

    FdWatcher() throws IOException {
        wake = Native.eventfd();
        thread = new Thread(this::loop, "dmabuf-peer-fences");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Watches {@code eventfd} (which becomes ours: closed once it fired, timed out or its owner left) and
     * signals {@code fence} when it is readable; the fence's reference is ours too, put then.
     *
     * @param eventfd the process's eventfd
     * @param fence the fence it stands for
     * @param timeoutNanos how long the process has
     * @param owner the process, for {@link #forget}
     * @param what for the log: what the fence is
     * @return false when too many are watched (nothing taken: the caller keeps both)
     */
    boolean watch(int eventfd, DmaFence fence, long timeoutNanos, Object owner, String what) {
        if (count.incrementAndGet() > MAX_WATCHED || closed) {
            count.decrementAndGet();
            return false;
        }
        added.add(new Watch(eventfd, fence, System.nanoTime() + timeoutNanos, owner, what, null));
        poke();
        return true;
    }

    /**
     * Watches the read end of a reference's pipe (which becomes ours, closed once it hung up or was cancelled)
     * and runs {@code hangup} on this thread when every copy of the write end is closed; never when cancelled
     * or when the owner left first.
     *
     * @param readEnd the pipe's read end, non-blocking
     * @param owner the process
     * @param hangup what its end does: drops the process's reference; must not block
     * @return the watch, for {@link #cancel}; {@code null} when too many are watched (nothing taken)
     */
    Reference watchReference(int readEnd, Object owner, Runnable hangup) {
        if (count.incrementAndGet() > MAX_WATCHED || closed) {
            count.decrementAndGet();
            return null;
        }
        Reference r = new Reference(hangup);
        added.add(new Watch(readEnd, null, Long.MAX_VALUE, owner, "reference", r));
        poke();
        return r;
    }

    /** Stops watching a reference (the process said CLOSE): its end does nothing. */
    void cancel(Reference r) {
        if (r != null && !r.cancelled) {
            r.cancelled = true;
            cancelled.add(r);
            poke();
        }
    }

    private final ConcurrentLinkedQueue<Reference> cancelled = new ConcurrentLinkedQueue<>();

    /** The process left: its fences are signalled {@code -ENODEV}, its eventfds closed, soon. */
    void forget(Object owner) {
        leaving.add(owner);
        poke();
    }

    /** @return the eventfds watched now */
    int watching() {
        return count.get();
    }

    private void poke() {
        try {
            Native.signal(wake, 1);
        } catch (IOException e) {
            // the counter is full: the thread is awake anyway
        }
    }

    private void loop() {
        List<Watch> watches = new ArrayList<>();
        while (!closed) {
            for (Watch w; (w = added.poll()) != null;) {
                watches.add(w);
            }
            for (Reference c; (c = cancelled.poll()) != null;) {
                Reference r = c;
                watches.removeIf(w -> w.ref() == r && finish(w, 0, null));
            }
            for (Object o; (o = leaving.poll()) != null;) {
                Object owner = o;
                // what it signalled before it left stands (its last frame's fence, say); the rest: -ENODEV
                watches.removeIf(w -> w.owner() == owner && finish(w, w.reference() ? Errno.ENODEV.code()
                        : statusAtEnd(w.eventfd()), null));
            }
            long now = System.nanoTime();
            long next = Long.MAX_VALUE;
            for (var it = watches.iterator(); it.hasNext();) {
                Watch w = it.next();
                if (w.reference()) {
                    continue; // no deadline: held as long as the process holds it
                }
                if (w.fence().isSignaled()) { // the watchdog or the process's leaving signalled it first
                    finish(w, 0, null);
                    it.remove();
                } else if (now - w.deadline() >= 0) {
                    finish(w, Errno.ETIMEDOUT.code(), "not signalled within its time; signalled -ETIMEDOUT");
                    it.remove();
                } else {
                    next = Math.min(next, w.deadline() - now);
                }
            }
            int[] fds = new int[watches.size() + 1];
            short[] events = new short[fds.length];
            fds[0] = wake;
            events[0] = Native.POLLIN;
            for (int i = 0; i < watches.size(); i++) {
                fds[i + 1] = watches.get(i).eventfd();
                // a reference's read end: its hang-up only, so what a process writes into it never wakes us
                events[i + 1] = watches.get(i).reference() ? 0 : Native.POLLIN;
            }
            short[] ready;
            try {
                ready = Native.poll(fds, events, next == Long.MAX_VALUE ? 1000
                        : (int) Math.max(1, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(next) + 1)));
                if (ready[0] != 0) {
                    Native.drain(wake);
                }
            } catch (IOException e) {
                LOG.error("dma-buf peers: poll failed: {}; the fences of processes are timed out instead",
                        e.getMessage());
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                continue;
            }
            List<Watch> done = new ArrayList<>();
            for (int i = 1; i < fds.length; i++) {
                if (ready[i] == 0) {
                    continue;
                }
                Watch w = watches.get(i - 1);
                if (w.reference()) {
                    if ((ready[i] & Native.POLL_BROKEN) == 0) {
                        continue; // not asked for: only a hang-up wakes a reference
                    }
                    if (!w.ref().cancelled) {
                        // every copy of the write end is closed: the reference goes, on a thread of its own, since
                        // dropping the last one calls the exporter's release, a driver this thread never waits on
                        Runnable hangup = w.ref().hangup;
                        Thread.ofVirtual().name("dma-buf peer reference").start(() -> {
                            try {
                                hangup.run();
                            } catch (RuntimeException e) {
                                LOG.warn("dma-buf peers: dropping a reference failed: {}", e.getMessage());
                            }
                        });
                    }
                    finish(w, 0, null);
                    done.add(w);
                    continue;
                }
                int status;
                if ((ready[i] & Native.POLL_BROKEN) != 0) {
                    status = Errno.EBADF.code();
                } else {
                    status = statusOf(w.eventfd());
                }
                finish(w, status, status < 0 ? "signalled with " + status : null);
                done.add(w);
            }
            watches.removeAll(done);
        }
        for (Watch w : watches) {
            finish(w, Errno.ENODEV.code(), null);
        }
        for (Watch w; (w = added.poll()) != null;) {
            finish(w, Errno.ENODEV.code(), null);
        }
    }

    // at the process's end: what it signalled before it left stands; the rest is -ENODEV
    private static int statusAtEnd(int eventfd) {
        try {
            long v = Native.eventfdCount(eventfd);
            return v == 0 ? Errno.ENODEV.code() : status(v);
        } catch (IOException | NumberFormatException e) {
            return Errno.ENODEV.code();
        }
    }

    // the value the process wrote: 1 when its work is done; (1 << 32) | errno when it failed
    private static int statusOf(int eventfd) {
        try {
            return status(Native.eventfdCount(eventfd));
        } catch (IOException | NumberFormatException e) {
            return Errno.EBADF.code(); // the process sent something that is not an eventfd
        }
    }

    private static int status(long v) {
        if ((v & PeerServer.ERROR_BIT) != 0) {
            int errno = (int) (v & 0xFFFF_FFFFL);
            return errno > 0 && errno < 4096 ? -errno : Errno.EIO.code();
        }
        return 0;
    }

    // signals and lets go of one watch (a reference's: only closes it); true, for removeIf
    private boolean finish(Watch w, int status, String why) {
        if (w.reference()) {
            Memfd.closeFd(w.eventfd());
            count.decrementAndGet();
            return true;
        }
        try {
            if (!w.fence().isSignaled()) {
                if (status < 0) {
                    w.fence().setError(status);
                }
                w.fence().signal();
                if (why != null) {
                    LOG.warn("dma-buf peers: {}: {}", w.what(), why);
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("dma-buf peers: {}: {}", w.what(), e.getMessage());
        } finally {
            w.fence().put();
            Memfd.closeFd(w.eventfd());
            count.decrementAndGet();
        }
        return true;
    }

    @Override
    public void close() {
        closed = true;
        poke();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            Memfd.closeFd(wake); // only once its thread is gone: a number it still polls is never another file's
        }
    }
}
