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
 * {@link #receive}. The fd operations ({@link FileDescriptors}) are system
 * calls: open to every bundle; the rest are the DMA-BUF core's symbols, each
 * checked against what the calling bundle linked ({@link Symbol}).
 *
 * <p>All methods are thread-safe and none takes a lock shared by all
 * buffers: the fd table has its own lock and each buffer its own.
 */
@ProviderType
public interface DmaBufService extends FileDescriptors {

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
     * Opens a heap, as {@code open("/dev/dma_heap/<name>")}.
     *
     * @param name {@code system} or {@code default_cma_region}
     * @return the heap
     * @throws DmaBufException {@link Errno#ENOENT} when there is no heap of that name
     */
    Heap heap(String name);

    /** @return the heaps, in the order they were registered */
    List<Heap> heaps();

}
