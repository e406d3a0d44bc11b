// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

import java.util.List;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.FileDescriptors;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Fences, reservation objects and sync files as one bundle sees them: the
 * entry points of {@code dma-fence.c}, {@code dma-fence-chain.c},
 * {@code dma-fence-array.c}, {@code dma-fence-unwrap.c}, {@code dma-resv.c}
 * and {@code sync_file.c}. Handed out per bundle, as {@code DmaBufService};
 * both are views of the same fd table.
 *
 * <p>Unlike the DMA-BUF core, these are {@code EXPORT_SYMBOL} in Linux: every
 * licence may use them, so this service is visible to every bundle. The one
 * GPL-only entry point here is {@link #merge} ({@code __dma_fence_unwrap_merge}).
 * Each entry point checks that the calling bundle linked its symbol.
 */
@ProviderType
public interface DmaFenceService extends FileDescriptors {

    /**
     * {@code dma_fence_context_alloc}: a new timeline, issued by the calling bundle.
     *
     * @param driverName the driver's name, as bufinfo shows it
     * @param timelineName the timeline's name
     * @return the context
     */
    FenceContext contextAlloc(String driverName, String timelineName);

    /**
     * {@code dma_fence_context_alloc} for a device's engine: as
     * {@link #contextAlloc(String, String)}, and when the device is unplugged
     * every pending fence of the timeline is signalled with ENODEV, as the DRM
     * hot-unplug rules ask.
     *
     * @param driverName the driver's name
     * @param timelineName the timeline's name
     * @param device the device whose engine runs the jobs
     * @return the context
     * @throws DmaBufException {@link Errno#ENODEV} when the device is already unplugged
     */
    FenceContext contextAlloc(String driverName, String timelineName, org.dmabuf.api.Device device);

    /**
     * {@code dma_fence_context_alloc(num)}: context numbers for fences made
     * elsewhere (arrays, chains).
     *
     * @param num how many consecutive numbers
     * @return the first
     */
    long contextNumbers(int num);

    /** @return {@code dma_fence_get_stub}: the shared, always signalled fence */
    DmaFence stub();

    /**
     * {@code dma_fence_chain_init}: a chain node.
     *
     * @param prev the previous node (or any fence), or {@code null}
     * @param fence the fence it wraps
     * @param seqno its point on the chain's timeline
     * @return the node
     * @throws DmaBufException {@link Errno#EINVAL} for a null fence
     */
    DmaFenceChain chain(DmaFence prev, DmaFence fence, long seqno);

    /**
     * {@code dma_fence_array_create}.
     *
     * @param fences at least one fence
     * @param context its context (see {@link #contextNumbers})
     * @param seqno its sequence number
     * @param signalOnAny signal on the first fence rather than the last
     * @return the array
     * @throws DmaBufException {@link Errno#EINVAL} for no fences
     */
    DmaFenceArray array(List<DmaFence> fences, long context, long seqno, boolean signalOnAny);

    /**
     * {@code dma_fence_unwrap_for_each}: the plain fences inside chains and arrays.
     *
     * @param fence any fence
     * @return its leaves, in order
     */
    List<DmaFence> unwrap(DmaFence fence);

    /**
     * {@code dma_fence_unwrap_merge}: GPL-only. One fence for all of these:
     * their leaves not yet signalled, only the latest per context, no duplicates,
     * in context order; the stub when all have signalled.
     *
     * @param fences any fences
     * @return a plain fence, or an array of them
     */
    DmaFence merge(DmaFence... fences);

    /** @return {@code dma_resv_init}: a new reservation object with its own lock */
    DmaResv resvInit();

    /**
     * {@code sync_file_create} and {@code fd_install}: a sync file holding the
     * fence, as a new fd of the caller.
     *
     * @param fence the fence
     * @return the fd
     */
    int syncFileCreate(DmaFence fence);

    /**
     * {@code sync_file_get_fence}.
     *
     * @param fd a sync file fd of the caller
     * @return its fence, with a reference for the caller
     * @throws DmaBufException {@link Errno#EBADF} when the fd is not open,
     *         {@link Errno#EINVAL} when it is not a sync file
     */
    DmaFence syncFileGetFence(int fd);

    /**
     * {@code SYNC_IOC_MERGE}: a new sync file for both fences (merged as {@link #merge}).
     *
     * @param name the new sync file's name
     * @param fd1 a sync file fd
     * @param fd2 another
     * @return the new fd
     */
    int syncFileMerge(String name, int fd1, int fd2);

    /**
     * {@code SYNC_IOC_FILE_INFO}: what a sync file holds, as {@code sync_file_ioctl_fence_info} reports it.
     *
     * <p>Called by anyone holding the fd (an ioctl: open to every bundle), in
     * any context; takes no lock but each fence's own.
     *
     * @param fd a sync file fd of the caller
     * @return its name, its status, and each fence it holds (a merged or array fence unwrapped)
     * @throws DmaBufException {@link Errno#EBADF} when the fd is not open,
     *         {@link Errno#EINVAL} when it is not a sync file
     * @since 1.2
     */
    SyncFileInfo syncFileInfo(int fd);

    /**
     * Opens {@code /sys/kernel/debug/sync/sw_sync}: a software timeline that
     * a test (or the console: {@code dmabuf:timeline}) advances by hand, and
     * fences on it, as the kernel's sync selftests drive them
     * ({@code CONFIG_SW_SYNC}). Its fences are real fences: a driver waits on
     * them, puts them in a reservation object, merges them.
     *
     * <p>An ioctl interface, open to every bundle. The timeline belongs to the
     * caller: its fences are signalled with {@code -ENODEV} when the caller
     * stops, and with {@code -ENOENT} when it is {@link SwSyncTimeline#close closed}.
     *
     * @param name the timeline's name (what {@code dmabuf:fences} and {@link SyncFileInfo} show), 1 to 32 characters
     * @return the timeline, at value 0
     * @throws DmaBufException {@link Errno#EINVAL} when the name is null, empty or longer than 32 characters
     * @since 1.2
     */
    SwSyncTimeline swSyncTimelineCreate(String name);

    /**
     * {@code dma_fence_wait_any_timeout}: waits until one of the fences
     * signals, or the time runs out.
     *
     * <p>Called from a thread that may block, holding no reservation lock
     * (as any fence wait); the waiting thread parks, the fences' signallers
     * wake it.
     *
     * @param fences the fences, at least one, none null
     * @param interruptible whether an interrupt ends the wait
     * @param timeoutNanos how long at most; 0 only looks
     * @return the first signalled fence's index (the lowest, when several are) and the time left (at least 1), or
     *         index -1 and 0 when the time ran out
     * @throws DmaBufException {@link Errno#EINVAL} for no fences, a null one or a negative timeout,
     *         {@link Errno#EINTR} when interrupted
     * @since 1.2
     */
    WaitAny waitAnyTimeout(java.util.List<DmaFence> fences, boolean interruptible, long timeoutNanos);

    /**
     * {@code SYNC_IOC_SET_DEADLINE}: {@link DmaFence#setDeadline} on what a
     * sync file holds. An ioctl, open to every bundle.
     *
     * @param fd a sync file fd of the caller
     * @param deadlineNanos when it is needed, on the {@link System#nanoTime} clock
     * @throws DmaBufException {@link Errno#EBADF} when the fd is not open,
     *         {@link Errno#EINVAL} when it is not a sync file
     * @since 1.2
     */
    void syncFileSetDeadline(int fd, long deadlineNanos);

    /**
     * {@code ww_acquire_init(ctx, &reservation_ww_class)}: a context for
     * taking several reservation locks ({@link DmaResv#lock(WwAcquireCtx)}).
     * An inline in Linux: no symbol.
     *
     * @return a new context, younger than every context made before, for the calling thread
     * @since 1.3
     */
    WwAcquireCtx wwAcquireInit();

    /**
     * {@code dma_fence_begin_signalling}: the calling thread enters a fence
     * signalling critical section, the code that must run for fences it
     * published to signal (a job's completion, a ring's interrupt handler, a
     * reset). Inside it, waiting for a fence or taking a reservation lock can
     * deadlock, and in debug mode each is reported as lockdep reports it.
     * Sections nest. Costs one volatile read outside debug mode.
     *
     * @return the cookie for {@link #endSignalling}
     * @since 1.3
     */
    boolean beginSignalling();

    /**
     * {@code dma_fence_end_signalling}: leaves the section entered by the
     * {@link #beginSignalling()} that returned {@code cookie}, on the same thread.
     *
     * @param cookie what {@link #beginSignalling()} returned
     * @since 1.3
     */
    void endSignalling(boolean cookie);

    /**
     * {@code trace_dma_fence_emit(fence)}: the tracepoint a driver fires when
     * it hands the fence's job to its hardware (a ring, an engine), between
     * the fence's {@code dma_fence_init} and its {@code dma_fence_signaled};
     * the drm helpers' render engine fires it when a job starts. Costs one
     * volatile read while no recording enables it ({@code dmabuf:trace}).
     *
     * @param fence a fence of this platform
     * @throws org.dmabuf.api.DmaBufException {@link org.dmabuf.api.Errno#EINVAL} for a null or foreign fence
     * @since 1.3
     */
    void traceEmit(DmaFence fence);
}
