// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A bundle's fd table: the system calls every bundle may make, whatever its
 * licence ({@code close}, {@code dup}, and passing fds as over a Unix socket).
 * It holds dma-bufs and sync files. Both per-bundle services,
 * {@link DmaBufService} and {@link org.dmabuf.api.fence.DmaFenceService},
 * are views of the same table.
 */
@ProviderType
public interface FileDescriptors {
    /**
     * {@code dup}: a second fd for the same file.
     *
     * @param fd an fd of the caller
     * @return the lowest free fd
     * @throws DmaBufException {@link Errno#EBADF} when the fd is not open;
     *         {@link Errno#EMFILE} when the table is full
     */
    int dup(int fd);

    /**
     * {@code close}: drops an fd and the reference it holds.
     *
     * @param fd an fd of the caller
     * @throws DmaBufException {@link Errno#EBADF} when the fd is not open
     */
    void close(int fd);

    /**
     * Sends a file (a dma-buf or a sync file) to another bundle, as
     * {@code sendmsg} with {@code SCM_RIGHTS}: takes a new reference for the
     * transfer; the caller's fd stays open.
     *
     * @param fd an fd of the caller
     * @return the transfer; hand it to the receiving bundle
     * @throws DmaBufException {@link Errno#EBADF} when the fd is not open;
     *         {@link Errno#EINVAL} when it is a standard stream
     */
    FdTransfer send(int fd);

    /**
     * Receives a file sent by {@link #send}: installs it in the caller's fd
     * table. A transfer can be received once.
     *
     * @param transfer the transfer
     * @return the new fd in the caller's table
     * @throws DmaBufException {@link Errno#EINVAL} for null or a transfer not made
     *         by this framework; {@link Errno#EBADF} when it was already received or
     *         cancelled; {@link Errno#EMFILE} when the table is full
     */
    int receive(FdTransfer transfer);

    /**
     * @return the fds open in the caller's table, in increasing order, the
     *         standard streams included (as {@code ls /proc/self/fd})
     */
    int[] fds();

    /**
     * For a library that takes a bundle's view at an entry point (the drm
     * helpers' engines, say): checks that the code that called the library
     * may use this view: the view's own bundle, or a library that bundle
     * links (docs/security.md, "The owner rule"). Without it a bundle holding
     * a stolen view could pass it to a library the owner links, and have the
     * library act with the owner's rights.
     *
     * <p>Called by the library, on the caller's thread, at the entry point,
     * before it keeps the view. Costs a walk of the stack (about a
     * microsecond): for constructors and setup, not for hot paths. Outside
     * OSGi nothing is judged.
     *
     * @throws DmaBufException {@link Errno#EBADF} when the library's caller may not use the view
     * @since 1.3
     */
    default void checkLibraryCaller() {
    }
}
