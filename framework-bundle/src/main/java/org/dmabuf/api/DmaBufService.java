// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The DMA-BUF core as one bundle sees it: the entry points of
 * {@code drivers/dma-buf/dma-buf.c} and the bundle's own fd table.
 *
 * <p>The service is handed out per bundle (a service factory): each bundle
 * gets its own view, tied to its fd table and its licence. References,
 * attachments and fds made through a view belong to its bundle; when the
 * bundle stops (or ungets the service) the framework drops them all,
 * unmapping and detaching first, and logs what it had to clean up.
 *
 * <p>Fds are small integers, valid only in the bundle that owns them: the
 * same number in another bundle is another file or none. The lowest free
 * number is used first; 0, 1 and 2 are taken at start by the bundle's
 * standard streams (which are not dma-bufs), as in a process. Giving a
 * buffer to another bundle is an explicit act: {@link #send} and
 * {@link #receive}.
 *
 * <p>All methods are thread-safe and none takes a lock shared by all
 * buffers: the fd table has its own lock and each buffer its own.
 */
@ProviderType
public interface DmaBufService {

    /**
     * {@code dma_buf_export}: wraps the exporter's memory and callbacks into a
     * new buffer. The calling bundle is its owner (the kernel's
     * {@code THIS_MODULE}).
     *
     * @param <T> the exporter's private type
     * @param info what to export
     * @return the first reference to the buffer, owned by the caller
     * @throws DmaBufException {@link Errno#EINVAL} when {@code info}, its ops, its
     *         private object, or one of {@code map}, {@code unmap},
     *         {@code release} is missing, when only one of {@code pin} and
     *         {@code unpin} is given, for a size of 0 or less, or unknown file
     *         flags; {@link Errno#ENOENT} when the calling bundle is stopping
     */
    <T> DmaBuf export(ExportInfo<T> info);

    /**
     * {@code dma_buf_get}: takes a reference to the buffer behind an fd of
     * the caller's fd table.
     *
     * @param fd an fd of the caller
     * @return a new reference, owned by the caller
     * @throws DmaBufException {@link Errno#EBADF} when the fd is not open;
     *         {@link Errno#EINVAL} when it is open but not a dma-buf
     */
    DmaBuf get(int fd);

    /**
     * {@code dup}: a second fd for the same buffer.
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
     * Sends a buffer to another bundle, as {@code sendmsg} with {@code SCM_RIGHTS}:
     * takes a new reference for the transfer; the caller's fd stays open.
     *
     * @param fd an fd of the caller, of a dma-buf
     * @return the transfer; hand it to the receiving bundle
     * @throws DmaBufException {@link Errno#EBADF} when the fd is not open;
     *         {@link Errno#EINVAL} when it is not a dma-buf
     */
    FdTransfer send(int fd);

    /**
     * Receives a buffer sent by {@link #send}: installs it in the caller's fd
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
     * Opens a heap, as {@code open("/dev/dma_heap/<name>")}.
     *
     * @param name {@code system} or {@code default_cma_region}
     * @return the heap
     * @throws DmaBufException {@link Errno#ENOENT} when there is no heap of that name
     */
    Heap heap(String name);

    /** @return the heaps, in the order they were registered */
    List<Heap> heaps();

    /**
     * @return the fds open in the caller's table, in increasing order, the
     *         standard streams included (as {@code ls /proc/self/fd})
     */
    int[] fds();
}
