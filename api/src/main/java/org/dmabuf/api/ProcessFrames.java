// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import org.dmabuf.api.fence.DmaFence;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Frames made by another process: a camera, a video decoder, a compositor
 * outside the JVM (docs/cross-process.md). The process sent its memfds at
 * the peer socket, which udmabuf turned into dma-bufs, and published them as
 * a stream; the framework registers one service of this type per stream,
 * with the properties below, and unregisters it when the process ends the
 * stream, says {@code BYE} or dies. The drm helpers offer each as a render
 * node, so a display shows the process's frames as it shows a GPU's.
 *
 * <p>The process fills a buffer when asked ({@link #fill}), as a V4L2
 * capture device fills the buffers queued to it: the consumer owns the
 * pace. Thread-safe; nothing here waits on the process.
 *
 * @since 1.3
 */
@ProviderType
public interface ProcessFrames {
    /** Service property: the stream's name, {@link #stream()}, for instance {@code camera/front}. */
    String PROP_STREAM = "dmabuf.process.stream";
    /** Service property: the process's pid, a {@code Long}. */
    String PROP_PID = "dmabuf.process.pid";
    /**
     * Service property: the device name of the one display the process asked to be shown on, when it named one
     * ({@link Device#PROP_NAME}'s value).
     */
    String PROP_DISPLAY = "dmabuf.process.display";

    /** @return the stream's name, unique while it lives */
    String stream();

    /** @return the process, as the platform names it: {@code pid <pid> (<comm>)} */
    String process();

    /** @return the buffers' format, as a DRM fourcc name: {@code XR24} (XRGB8888, linear) */
    String format();

    /** @return pixels per row */
    int width();

    /** @return rows */
    int height();

    /** @return bytes per row */
    int stride();

    /** @return how many buffers the process published, at least 1 */
    int count();

    /**
     * Sends one of the stream's buffers to the caller: a new reference,
     * from the process's table, which the caller receives with
     * {@link DmaBufService#receive} (and may attach, map and put as any
     * buffer it imports).
     *
     * @param index the buffer's index, {@code 0 <= index < count()}
     * @return the transfer
     * @throws DmaBufException EINVAL for an index out of range; ENODEV when the stream ended
     */
    FdTransfer send(int index);

    /**
     * Asks the process to write frame {@code frame} into buffer
     * {@code index}. Called by the consumer once it is done reading the
     * buffer. The returned fence is also added to the buffer's reservation
     * object as its WRITE fence, so a reader's {@code beginCpuAccess} waits
     * for it; the process is sent the buffer's earlier fences to wait for
     * before it writes. Never waits.
     *
     * <p>The fence signals when the process says the frame is written (or
     * when the eventfd it returned becomes readable), with the error it
     * passed; with {@code -ETIMEDOUT} when it takes longer than a second
     * (the platform's watchdog), with {@code -ENODEV} when the process goes,
     * and with {@code -EAGAIN} at once when the process does not read its
     * socket. A second fill of a buffer still being filled cancels the
     * first ({@code -ECANCELED}).
     *
     * @param index the buffer's index
     * @param frame the frame's number, as the consumer counts them
     * @return the fence, with a reference for the caller
     * @throws DmaBufException EINVAL for an index out of range; ENODEV when the stream ended
     */
    DmaFence fill(int index, long frame);

    /** @return whether the stream is still published (false once the process ended it or left) */
    boolean isLive();
}
