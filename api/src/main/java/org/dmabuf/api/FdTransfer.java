// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A file (a dma-buf or a sync file) in flight from one bundle to another, as an fd sent over a Unix
 * socket with {@code SCM_RIGHTS}: made by {@link DmaBufService#send}, taken
 * by {@link DmaBufService#receive} in the receiving bundle, exactly once.
 *
 * <p>While in flight it holds a reference to the buffer, so the buffer
 * cannot go away between the two bundles. A transfer that is never received
 * is dropped when the sender {@link #cancel cancels} it or when the sending
 * bundle stops. Whoever holds the object can receive it: pass it only to the
 * bundle it is meant for.
 */
@ProviderType
public interface FdTransfer {
    /** @return the inode number of the file in flight (for a dma-buf, as {@link DmaBuf#inode()}) */
    long inode();

    /** @return the size of the buffer in flight in bytes, 0 for a sync file */
    long size();

    /** @return whether it was received or cancelled, and so can no longer be received */
    boolean isConsumed();

    /**
     * Drops the transfer and its reference if it was not received yet;
     * does nothing otherwise.
     */
    void cancel();
}
