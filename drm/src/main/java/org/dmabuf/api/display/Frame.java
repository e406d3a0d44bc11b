// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.display;

/**
 * The last frame a display showed whole, scaled down for a person to look at
 * (the Web Console shows it): at most {@link #MAX_WIDTH} pixels wide. A
 * display engine takes one at most every few frames from a frame it holds for
 * CPU access anyway; taking it copies no frame.
 *
 * @param width its width in pixels
 * @param height its height
 * @param argb its pixels, row by row, as {@code 0xAARRGGBB}; {@code width * height} of them
 * @param number the frame number it shows
 * @param renderer who rendered it, as {@link DisplayStats#renderer()} says
 * @param takenNanos when, on {@link System#nanoTime()}'s clock
 */
public record Frame(int width, int height, int[] argb, long number, String renderer, long takenNanos) {
    /** The widest a frame for people is. */
    public static final int MAX_WIDTH = 320;

    /**
     * @throws IllegalArgumentException when the sizes are not positive, wider than {@link #MAX_WIDTH}, or do
     *         not match the pixels
     */
    public Frame {
        if (width <= 0 || height <= 0 || width > MAX_WIDTH || argb == null || argb.length != width * height) {
            throw new IllegalArgumentException("frame " + width + "x" + height + " with "
                    + (argb == null ? "no" : String.valueOf(argb.length)) + " pixels; expected 1.." + MAX_WIDTH
                    + " pixels wide and width * height pixels");
        }
    }
}
