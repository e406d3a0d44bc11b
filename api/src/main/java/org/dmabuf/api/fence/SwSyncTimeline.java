// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A software timeline: the kernel's {@code sw_sync}
 * ({@code drivers/dma-buf/sw_sync.c}), a debugging and testing aid through
 * which a test makes fences and signals them by hand, in order, as the
 * kernel's sync selftests do. Made by {@link DmaFenceService#swSyncTimelineCreate}.
 *
 * <p>The timeline has a value, starting at 0. A fence made at value
 * {@code v} is signalled when the timeline reaches {@code v} ({@link #inc});
 * one made at or below the current value is signalled already. Its driver
 * name is {@code sw_sync}, its timeline name the timeline's.
 *
 * <p>Every method may be called from any thread. {@link #inc} signals the
 * fences it passes on the calling thread, so their callbacks run there; no
 * lock of the timeline is held while they run.
 *
 * @since 1.2
 */
@ProviderType
public interface SwSyncTimeline extends AutoCloseable {
    /** @return the timeline's name */
    String name();

    /** @return its fence context: every fence made on it carries it */
    long context();

    /** @return the value the timeline has reached */
    long value();

    /**
     * {@code SW_SYNC_IOC_CREATE_FENCE}: a fence signalled when the timeline
     * reaches {@code value}, in a new sync file of the timeline's owner.
     *
     * @param name the sync file's name, 1 to 32 characters
     * @param value the value at which it signals: 0 to 2^32-1, as the kernel's {@code __u32}
     * @return the sync file's fd, in the fd table of the bundle that made the timeline
     * @throws DmaBufException {@link Errno#EINVAL} for a bad name or value,
     *         {@link Errno#EBADF} when the timeline is closed, {@link Errno#EMFILE} when the fd table is full
     */
    int createFence(String name, long value);

    /**
     * {@code SW_SYNC_IOC_INC}: advances the timeline and signals every fence
     * it reaches, in order of value.
     *
     * @param count how far: 0 to {@link Integer#MAX_VALUE}, as the kernel limits it
     * @throws DmaBufException {@link Errno#EINVAL} for a count out of range,
     *         {@link Errno#EBADF} when the timeline is closed
     */
    void inc(long count);

    /**
     * Closes the timeline, as closing the {@code sw_sync} file does: every
     * fence not yet signalled is signalled with {@code -ENOENT}, so no waiter
     * hangs. Closing twice does nothing.
     */
    @Override
    void close();
}
