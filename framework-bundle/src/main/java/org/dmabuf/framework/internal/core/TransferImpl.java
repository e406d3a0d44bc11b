// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.util.concurrent.atomic.AtomicInteger;

import org.dmabuf.api.FdTransfer;

/** A file in flight between two bundles; holds one reference until received or cancelled. */
final class TransferImpl extends Tracked implements FdTransfer {
    static final int IN_FLIGHT = 0;
    static final int RECEIVED = 1;
    static final int CANCELLED = 2;

    final Object file;
    final Module sender;
    private final AtomicInteger state = new AtomicInteger(IN_FLIGHT);

    TransferImpl(Object file, Module sender) {
        this.file = file;
        this.sender = sender;
    }

    @Override
    public long inode() {
        return Files.ino(file);
    }

    @Override
    public long size() {
        return file instanceof BufferObject b ? b.size : 0;
    }

    @Override
    public boolean isConsumed() {
        return state.get() != IN_FLIGHT;
    }

    int state() {
        return state.get();
    }

    /** @return whether this call took the transfer out of flight */
    boolean claim(int to) {
        return state.compareAndSet(IN_FLIGHT, to);
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
