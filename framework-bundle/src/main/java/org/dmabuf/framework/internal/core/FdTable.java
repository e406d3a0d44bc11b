// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;

/**
 * One bundle's fd table ({@code struct files_struct}): small integers to open
 * files. The lowest free number is used first, as {@code alloc_fd} does.
 * Guarded by its own lock, never by a lock shared between bundles.
 *
 * <p>A slot is taken in two steps, {@link #reserve()} then {@link #install},
 * so a caller can find out that the table is full before it changes anything
 * else, as the kernel's {@code get_unused_fd_flags} and {@code fd_install}.
 */
final class FdTable {
    /** The most fds a table can hold, as the kernel's default {@code nr_open}. */
    static final int NR_OPEN = 1 << 20;

    /** A file that is not a dma-buf: the standard streams every table starts with. */
    enum StdStream {
        STDIN, STDOUT, STDERR
    }

    private static final Object RESERVED = new Object() {
        @Override
        public String toString() {
            return "reserved";
        }
    };

    private final String owner;
    private final int max;
    private Object[] files = new Object[4]; // the standard streams and one more; doubled as needed
    private int lowestFree; // no free slot below this
    private int open;
    private boolean closed;

    /** @param owner the module's name, for messages */
    FdTable(String owner) {
        this(owner, NR_OPEN);
    }

    FdTable(String owner, int max) {
        this.owner = owner;
        this.max = max;
        files[0] = StdStream.STDIN;
        files[1] = StdStream.STDOUT;
        files[2] = StdStream.STDERR;
        lowestFree = 3;
        open = 3;
    }

    /**
     * @return the lowest free fd, now reserved
     * @throws DmaBufException EMFILE when the table is full, EBADF when it is closed
     */
    synchronized int reserve() {
        return reserveLocked();
    }

    private int reserveLocked() {
        if (closed) {
            throw new DmaBufException(Errno.EBADF, owner + " has stopped: its fd table is closed; expected a call"
                    + " from a bundle that is running");
        }
        int fd = lowestFree;
        while (fd < files.length && files[fd] != null) {
            fd++;
        }
        if (fd >= max) {
            throw new DmaBufException(Errno.EMFILE,
                    "fd table is full: " + max + " fds open, expected fewer than nr_open");
        }
        if (fd >= files.length) {
            files = Arrays.copyOf(files, Math.min(max, Math.max(files.length * 2, fd + 1)));
        }
        files[fd] = RESERVED;
        lowestFree = fd + 1;
        open++;
        return fd;
    }

    /**
     * Fills a slot taken by {@link #reserve()}.
     *
     * @return false when the table was closed meanwhile: the caller still owns
     *         what it meant to install and must drop it
     */
    synchronized boolean install(int fd, Object file) {
        if (closed) {
            return false;
        }
        if (files[fd] != RESERVED) {
            throw new IllegalStateException("fd " + fd + " was not reserved");
        }
        files[fd] = file;
        return true;
    }

    /**
     * Receives a transfer into the lowest free fd, in one hold of the lock
     * (the receive of a handoff): a slot is found first, so a full or closed
     * table leaves the transfer in flight, then the transfer is claimed.
     *
     * @return the fd now holding the transfer's file, or -1 when the transfer
     *         was no longer in flight (nothing changed)
     * @throws DmaBufException EMFILE when the table is full, EBADF when it is closed
     */
    synchronized int receive(TransferImpl t) {
        int fd = reserveLocked();
        if (!t.claim(TransferImpl.RECEIVED)) {
            unreserveLocked(fd);
            return -1;
        }
        files[fd] = t.file;
        return fd;
    }

    /** Gives back a slot taken by {@link #reserve()} and not installed. */
    synchronized void unreserve(int fd) {
        unreserveLocked(fd);
    }

    private void unreserveLocked(int fd) {
        if (files[fd] == RESERVED) {
            files[fd] = null;
            open--;
            if (fd < lowestFree) {
                lowestFree = fd;
            }
        }
    }

    /**
     * @return the file open at {@code fd}
     * @throws DmaBufException EBADF when nothing is open there
     */
    synchronized Object lookup(int fd, String func) {
        if (closed) { // a call racing its bundle's stop: the stop is what to say, not the fd
            throw new DmaBufException(Errno.EBADF, func + ": " + owner + " has stopped: its fd table is closed;"
                    + " expected a call from a bundle that is running");
        }
        Object f = fd >= 0 && fd < files.length ? files[fd] : null;
        if (f == null || f == RESERVED) {
            throw new DmaBufException(Errno.EBADF, func + ": fd " + fd
                    + " is not open in this bundle's fd table; expected an fd from dma_buf_fd, dup, receive or a heap");
        }
        return f;
    }

    /**
     * Runs {@code action} on the file at {@code fd} while the table's lock is
     * held, so the file cannot be closed under it.
     */
    synchronized <R> R withFile(int fd, String func, java.util.function.Function<Object, R> action) {
        return action.apply(lookup(fd, func));
    }

    /**
     * @return the file that was open at {@code fd}, now closed
     * @throws DmaBufException EBADF when nothing is open there
     */
    synchronized Object remove(int fd, String func) {
        Object f = lookup(fd, func);
        files[fd] = null;
        open--;
        if (fd < lowestFree) {
            lowestFree = fd;
        }
        return f;
    }

    /** @return the open fds in increasing order */
    synchronized int[] fds() {
        int[] out = new int[open];
        int n = 0;
        for (int fd = 0; fd < files.length && n < out.length; fd++) {
            if (files[fd] != null && files[fd] != RESERVED) {
                out[n++] = fd;
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** @return the buffers open in the table */
    synchronized List<DmaBufObject> buffers() {
        List<DmaBufObject> out = new ArrayList<>();
        for (Object f : files) {
            if (f instanceof DmaBufObject b) {
                out.add(b);
            }
        }
        return out;
    }

    /** @return whether nothing is open but the three standard streams, where they were put */
    synchronized boolean onlyStandardStreams() {
        return open <= 3 && files[0] == StdStream.STDIN && files[1] == StdStream.STDOUT && files[2] == StdStream.STDERR;
    }

    /** @return the number of open fds, standard streams included */

    synchronized int openCount() {
        return open;
    }

    /**
     * Closes the table if nothing is open but the standard streams (a view got and ungot), in one hold of
     * its lock. @return whether it closed it
     */
    synchronized boolean closeIfOnlyStandardStreams() {
        if (!onlyStandardStreams()) {
            return false;
        }
        closed = true;
        files[0] = files[1] = files[2] = null;
        open = 0;
        return true;
    }

    /** Closes the table: nothing can be reserved any more. @return the files that were open, by fd */
    synchronized List<Entry> close() {
        if (closeIfOnlyStandardStreams()) {
            return List.of(); // only the standard streams: the common case, nothing to give back
        }
        closed = true;
        List<Entry> out = new ArrayList<>();
        for (int fd = 0; fd < files.length; fd++) {
            Object f = files[fd];
            if (f != null && f != RESERVED) {
                out.add(new Entry(fd, f));
            }
            files[fd] = null;
        }
        open = 0;
        return out;
    }

    /** An fd and its file. */
    record Entry(int fd, Object file) {
    }
}
