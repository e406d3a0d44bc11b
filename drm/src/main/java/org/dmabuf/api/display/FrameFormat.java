// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.display;

/**
 * A linear XRGB8888 framebuffer: {@code DRM_FORMAT_XRGB8888}, 4 bytes a pixel,
 * rows of {@code width * 4} bytes, no padding (the layout PRIME shares).
 *
 * @param width pixels per row
 * @param height rows
 */
public record FrameFormat(int width, int height) {
    /** 640x480. */
    public static final FrameFormat VGA = new FrameFormat(640, 480);
    /** 3840x2160: 33,177,600 bytes. */
    public static final FrameFormat UHD_4K = new FrameFormat(3840, 2160);

    /** @throws IllegalArgumentException for a size that is not positive or too large */
    public FrameFormat {
        if (width <= 0 || height <= 0 || (long) width * height * 4 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("frame " + width + "x" + height + " is not a framebuffer size;"
                    + " expected positive dimensions below 2 GiB");
        }
    }

    /** @return bytes per row */
    public int stride() {
        return width * 4;
    }

    /** @return bytes of the frame */
    public long bytes() {
        return (long) stride() * height;
    }

    @Override
    public String toString() {
        return width + "x" + height;
    }
}
