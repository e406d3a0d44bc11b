// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import java.lang.foreign.MemorySegment;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One counted reference to a shared buffer: what a kernel driver holds as a
 * {@code struct dma_buf *} after {@code dma_buf_export}, {@code dma_buf_get}
 * or {@code get_dma_buf}.
 *
 * <p>A reference belongs to the bundle whose {@link DmaBufService} made it and
 * acts on that bundle's behalf. It is dropped exactly once, by {@link #put()}
 * or by {@link #fd(int)} (which moves it into the fd table); after that every
 * method but the getters fails with {@link Errno#EBADF}. The buffer itself
 * lives while any reference, fd, attachment or transfer in flight holds it,
 * and is released once, through the exporter's {@link DmaBufOps.Release},
 * when the last one drops. When a bundle stops, the framework drops every
 * reference it still holds and logs it.
 *
 * <p>All methods are thread-safe. Methods that take the buffer's reservation
 * lock say so; none of them may be called from a {@link DmaBufOps} callback
 * of the same buffer unless that callback's contract allows it.
 */
@ProviderType
public interface DmaBuf {
    /** The longest name, in bytes of UTF-8, including the terminating NUL: {@code DMA_BUF_NAME_LEN}. */
    int NAME_LEN = 32;
    /** {@code DMA_BUF_SYNC_READ}: the fences a reader must wait for. */
    int SYNC_READ = 1;
    /** {@code DMA_BUF_SYNC_WRITE}: the fences a writer must wait for. */
    int SYNC_WRITE = 2;

    /** @return the size in bytes, fixed at export */
    long size();

    /** @return the exporter's name ({@code exp_name}) */
    String expName();

    /** @return the buffer's inode number: unique for the framework's lifetime, as bufinfo's {@code ino} */
    long inode();

    /** @return the file flags given at export, see {@link Fcntl} */
    int flags();

    /** @return the name set by {@link #setName}, or {@code null} */
    String name();

    /** @return whether this reference is still held (not put, not moved into an fd) */
    boolean isHeld();

    /**
     * {@code DMA_BUF_SET_NAME}: names the buffer for debugging.
     *
     * @param name at most {@link #NAME_LEN} - 1 bytes of UTF-8, no NUL
     * @throws DmaBufException {@link Errno#EINVAL} when the name is null, too
     *         long or contains NUL; {@link Errno#EBADF} when this reference was dropped
     */
    void setName(String name);

    /**
     * {@code get_dma_buf}: takes another reference to the same buffer, owned by
     * the same bundle.
     *
     * @return the new reference
     * @throws DmaBufException {@link Errno#EBADF} when this reference was dropped
     */
    DmaBuf get();

    /**
     * {@code dma_buf_put}: drops this reference. The last one releases the buffer.
     *
     * @throws DmaBufException {@link Errno#EINVAL} when this reference was already
     *         dropped (in the kernel a double put is a use-after-free; here it is
     *         caught and changes nothing)
     */
    void put();

    /**
     * {@code dma_buf_fd}: installs the buffer in the owning bundle's fd table,
     * consuming this reference (it moves into the fd).
     *
     * @param fdFlags 0 or {@link Fcntl#O_CLOEXEC}
     * @return the lowest free fd
     * @throws DmaBufException {@link Errno#EINVAL} for other flags;
     *         {@link Errno#EBADF} when this reference was dropped;
     *         {@link Errno#EMFILE} when the fd table is full
     */
    int fd(int fdFlags);

    /**
     * {@code dma_buf_attach}: a static importer declares that {@code device}
     * will access the buffer. Calls the exporter's {@link DmaBufOps.Attach},
     * which may refuse. The attachment holds the buffer: it stays alive until
     * {@link #detach}. Must be called without the reservation lock held.
     *
     * @param device the importing device
     * @return the attachment, owned by this reference's bundle
     * @throws DmaBufException {@link Errno#EINVAL} for a null device;
     *         {@link Errno#ENODEV} when the device is unplugged or the exporter
     *         is gone; the exporter's error (typically {@link Errno#EBUSY})
     *         when it refuses; {@link Errno#EBADF} when this reference was dropped
     */
    Attachment attach(Device device);

    /**
     * {@code dma_buf_dynamic_attach}: as {@link #attach}, for an importer that
     * can follow the memory when the exporter moves it: the exporter calls
     * {@link ImporterOps.MoveNotify invalidate_mappings} instead of keeping the memory pinned.
     *
     * @param device the importing device
     * @param importerOps the importer's callbacks; {@code invalidate_mappings} is mandatory
     * @return the attachment
     * @throws DmaBufException {@link Errno#EINVAL} when {@code importerOps} or its
     *         {@code invalidate_mappings} is missing; otherwise as {@link #attach}
     */
    Attachment dynamicAttach(Device device, ImporterOps importerOps);

    /**
     * {@code dma_buf_detach}: the importer leaves. Mappings still open on the
     * attachment are unmapped first, a pin still held is dropped, then the
     * exporter's {@link DmaBufOps.Detach} runs. Must be called without the
     * reservation lock held.
     *
     * <p>As the kernel does, an attachment of another buffer, or one already
     * detached, is only warned about in the log: nothing is done.
     *
     * @param attachment the attachment made on this buffer
     * @throws DmaBufException {@link Errno#EBADF} when this reference was dropped
     */
    void detach(Attachment attachment);

    /**
     * {@code dma_buf_invalidate_mappings} ({@code dma_buf_move_notify} until
     * Linux renamed it in 2026): the exporter is about to move (or revoke)
     * the backing memory; every dynamic importer's {@code invalidate_mappings}
     * runs, with the reservation lock held, and must not block. Only the
     * exporting bundle may call it.
     *
     * @throws DmaBufException {@link Errno#EPERM} when the caller is not the
     *         exporter; {@link Errno#EBADF} when this reference was dropped
     * @since 1.3
     */
    void invalidateMappings();

    /**
     * {@code dma_buf_move_notify}: {@link #invalidateMappings()} by its old
     * name, under its old symbol, for bundles built before the renaming.
     *
     * @throws DmaBufException as {@link #invalidateMappings()}
     * @deprecated renamed {@link #invalidateMappings()}, as in Linux (2026)
     */
    @Deprecated
    void moveNotify();

    /**
     * {@code dma_buf_begin_cpu_access}: brackets CPU access to the memory.
     * Waits for the fences the access conflicts with in the buffer's
     * reservation object (a read waits for the writers, a write for everybody),
     * then calls the exporter's {@link DmaBufOps.CpuAccess begin_cpu_access}.
     *
     * @param direction {@link DmaDirection#FROM_DEVICE} to read,
     *        {@link DmaDirection#TO_DEVICE} or {@link DmaDirection#BIDIRECTIONAL} to write
     * @throws DmaBufException {@link Errno#EINVAL} for a null direction;
     *         {@link Errno#EINTR} when the wait was interrupted; the exporter's error
     */
    void beginCpuAccess(DmaDirection direction);

    /**
     * {@code dma_buf_end_cpu_access}: ends what {@link #beginCpuAccess} began.
     *
     * @param direction the direction given to begin
     * @throws DmaBufException {@link Errno#EINVAL} for a null direction; the exporter's error
     */
    void endCpuAccess(DmaDirection direction);

    /**
     * {@code dma_buf_vmap}: maps the whole buffer for the CPU. Counted: the
     * first call asks the exporter's {@link DmaBufOps.Vmap}, later ones return
     * the same segment until the matching {@link #vunmap}s. Takes the
     * reservation lock.
     *
     * @return the CPU's view of the buffer, {@link #size()} bytes
     * @throws DmaBufException {@link Errno#EINVAL} when the exporter has no vmap;
     *         {@link Errno#EBADF} when this reference was dropped
     */
    MemorySegment vmap();

    /**
     * {@code dma_buf_vunmap}: undoes one {@link #vmap}, made through this
     * reference. Takes the reservation lock. As the kernel does, a segment
     * that is not the current virtual mapping, or a vunmap without a vmap, is
     * only warned about: nothing is done.
     *
     * @param mapping the segment {@link #vmap} returned
     * @throws DmaBufException {@link Errno#EBADF} when this reference was dropped
     */
    void vunmap(MemorySegment mapping);

    /**
     * {@code dmabuf->resv}: the buffer's reservation object, its fences and its
     * lock, seen through this reference's bundle (its grants apply).
     *
     * @return the reservation object
     */
    org.dmabuf.api.fence.DmaResv resv();

    /**
     * {@code DMA_BUF_IOCTL_EXPORT_SYNC_FILE}: the buffer's implicit fences as a
     * sync file in the owning bundle's fd table: with {@link #SYNC_READ}, what a
     * reader must wait for (the writers); with {@link #SYNC_WRITE}, what a writer
     * must wait for (everybody). Merged into one fence; the stub when there is none.
     *
     * @param flags {@link #SYNC_READ}, {@link #SYNC_WRITE} or both
     * @return the sync file's fd
     * @throws DmaBufException {@link Errno#EINVAL} for other flags
     */
    int exportSyncFile(int flags);

    /** {@link #poll} event: the buffer can be read, every writer is done ({@code EPOLLIN}). */
    int POLLIN = 0x001;
    /** {@link #poll} event: the buffer can be written, everybody is done ({@code EPOLLOUT}). */
    int POLLOUT = 0x004;

    /**
     * {@code dma_buf_poll}: readiness without blocking, as {@code poll()} on
     * a dma-buf fd. {@link #POLLIN} is ready when every fence of usage
     * {@code WRITE} has signalled (the writers are done); {@link #POLLOUT}
     * when every fence has (readers too). The fences are those in the
     * reservation object now; fences added later are not waited for, as the
     * kernel's poll takes its snapshot when called.
     *
     * <p>Called by any holder of the reference, from any thread, without the
     * reservation lock; never blocks. The stage completes on the thread that
     * signals the last fence (or at once, on the caller's), so a dependent
     * stage that blocks must be one of the {@code ...Async} kind. A fence
     * signalled with an error still makes the buffer ready, as in Linux:
     * the error is the fence's to report.
     *
     * @param events {@link #POLLIN}, {@link #POLLOUT} or both
     * @return a stage completed with {@code events} when they are ready
     * @throws DmaBufException {@link Errno#EINVAL} for other events, {@link Errno#EBADF} after {@link #put}
     * @since 1.2
     */
    java.util.concurrent.CompletionStage<Integer> poll(int events);

    /**
     * {@code DMA_BUF_IOCTL_IMPORT_SYNC_FILE}: adds a sync file's fences to the
     * buffer's reservation object, as WRITE fences with {@link #SYNC_WRITE},
     * as READ fences with {@link #SYNC_READ}.
     *
     * @param syncFileFd a sync file fd of the owning bundle
     * @param flags {@link #SYNC_READ} or {@link #SYNC_WRITE} (both means write)
     * @throws DmaBufException {@link Errno#EINVAL} for other flags or an fd that is
     *         not a sync file; {@link Errno#EBADF} when the fd is not open
     */
    void importSyncFile(int syncFileFd, int flags);

    /**
     * {@code dma_buf_mmap}: maps a range of the buffer for the CPU. Bracket
     * the accesses with {@link #beginCpuAccess}/{@link #endCpuAccess}.
     *
     * @param offset the byte offset, a multiple of the 4096-byte page size
     * @param length the length in bytes, more than 0
     * @return the CPU's view of the range
     * @throws DmaBufException {@link Errno#EINVAL} when the range does not lie
     *         inside the buffer, the offset is not page-aligned, or the exporter
     *         has no mmap; {@link Errno#EOVERFLOW} when offset + length overflows
     */
    MemorySegment mmap(long offset, long length);
}
