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


    /**
     * Whether any process outside the JVM subscribes to {@code stream} at the
     * platform's peer socket (docs/cross-process.md): a display asks before it
     * prepares a frame for them. A query of one map; any thread.
     *
     * @param stream the stream's name, such as {@code display/0000:00:02.0}
     * @return whether {@link #shareWithProcesses} would hand the buffer to anyone
     * @since 1.3
     */
    boolean processesWatch(String stream);

    /**
     * Hands a buffer to every process subscribed to {@code stream}: each
     * gets its own reference and the buffer's memory as a real fd
     * ({@code SCM_RIGHTS}), with {@code attributes} (a frame's format and
     * number, say) and the writers' fence as an eventfd; and each puts a
     * READ fence of its own into the buffer's reservation object, signalled
     * when it lets go of the frame (or dies, or keeps it past a second:
     * {@code -ETIMEDOUT}), which a renderer waits for before it writes the
     * buffer again (implicit sync). A process that holds four frames already
     * is passed over. Never blocks on a process. No kernel counterpart: this
     * is the platform's compositor-side hand-off; GPL-only, as the
     * {@code DMA_BUF} namespace.
     *
     * @param stream the stream's name
     * @param buf a buffer of the caller's, whose memory a real fd stands for (the memfd heap's)
     * @param attributes what each process is told beside it: names and values of letters, digits, {@code _} and
     *        {@code .}, values any text
     * @return how many processes it was handed to
     * @throws DmaBufException {@link Errno#EINVAL} for a null argument, a bad attribute name, or a buffer whose
     *         memory cannot leave the JVM; {@link Errno#EBADF} for a reference that was put
     * @since 1.3
     */
    int shareWithProcesses(String stream, DmaBuf buf, java.util.Map<String, String> attributes);
}
