// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.dmabuf.api.FdTransfer;

/** A file in flight between two bundles; holds one reference until received or cancelled. */
final class TransferImpl extends Tracked implements FdTransfer {
    static final int IN_FLIGHT = 0;
    static final int RECEIVED = 1;
    static final int CANCELLED = 2;

    final Object file;
    final LoadedModule sender;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(TransferImpl.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through STATE: no AtomicInteger per transfer on the handoff path
    private volatile int state = IN_FLIGHT;

    TransferImpl(Object file, LoadedModule sender) {
        this.file = file;
        this.sender = sender;
    }

    @Override
    public long inode() {
        return Files.ino(file);
    }

    @Override
    public long size() {
        return file instanceof DmaBufObject b ? b.size : 0;
    }

    @Override
    public boolean isConsumed() {
        return state != IN_FLIGHT;
    }

    int state() {
        return state;
    }

    /** @return whether this call took the transfer out of flight */
    boolean claim(int to) {
        return STATE.compareAndSet(this, IN_FLIGHT, to);
    }

    /**
     * SCM_RIGHTS's receipt, an operation of the transfer: installs its file
     * in the receiver's fd table and leaves the sender's list, once.
     *
     * @param fds the receiver's fd table
     * @return the fd, or -1 when the transfer was received or cancelled already
     */
    int receiveInto(FdTable fds) {
        int fd = fds.receive(this);
        if (fd >= 0) {
            sender.untrack(this);
        }
        return fd;
    }

    @Override
    public void cancel() {
        if (claim(CANCELLED)) {
            sender.untrack(this);
            Files.release(file);
        }
    }

    @Override
    public String toString() {
        return "transfer of ino " + inode() + " from " + sender.name();
    }
}
