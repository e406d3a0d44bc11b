// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.display;

import java.util.List;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.fence.DmaFence;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A GPU's render engine offering its frames to displays: the PRIME source
 * (a DRM render node). Registered as a service by render drivers, with the
 * device's properties ({@link Device#PROP_NAME}, {@link Device#PROP_VENDOR},
 * {@link Device#PROP_DEVICE}), so a display can pick its source by filter.
 *
 * <p>A display asks for a swapchain, receives its buffers (exported by the
 * render driver, zero copies), and asks for frames to be rendered into them;
 * each render returns a fence that is also the buffer's WRITE fence, so a
 * reader's {@code beginCpuAccess} waits for it. All methods may be called
 * from any thread; when the driver is gone they fail with {@link Errno#ENODEV}.
 */
@ConsumerType
public interface RenderNode {
    /** @return the driver's name, for instance {@code nvidia} */
    String driver();

    /** @return the GPU it renders on */
    Device device();

    /**
     * Allocates {@code count} framebuffers, exports them and sends them to the caller.
     *
     * @param id the caller's name for the swapchain
     * @param format the frames' layout
     * @param count how many buffers (3: triple buffering)
     * @return one transfer per buffer, in index order; receive them
     * @throws DmaBufException ENOMEM, ENODEV, or EINVAL for an id in use
     */
    List<FdTransfer> createSwapchain(String id, FrameFormat format, int count);

    /**
     * Queues the rendering of frame {@code frame} of the {@link TestPattern} into a buffer.
     *
     * @param id the swapchain
     * @param index the buffer's index
     * @param frame the frame number
     * @return the job's fence, signalled when the frame is whole in the buffer
     *         (with ENODEV if the GPU or its driver goes first)
     * @throws DmaBufException EINVAL for an unknown swapchain or index; ENODEV when the driver is gone
     */
    DmaFence render(String id, int index, long frame);

    /**
     * Drops the render side's hold on a swapchain's buffers: each is released
     * once the display lets go too.
     *
     * @param id the swapchain
     */
    void destroySwapchain(String id);
}
