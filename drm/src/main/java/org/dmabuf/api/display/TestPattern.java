// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.display;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * A moving test pattern whose every byte follows from its frame number, and
 * the CRC a display computes over what it scans out, as IGT checks frames
 * against pipe CRCs. A frame is whole if and only if its CRC equals the
 * expected CRC of its frame number: a torn frame (rows of two frames), a stale
 * one (the frame before) or garbage all fail.
 *
 * <p>Row 0 starts with a header: the frame number (8 bytes) and a magic
 * number; every other pixel is a function of (x, y, frame).
 */
public final class TestPattern {
    /** The magic number after the frame number in row 0. */
    public static final long MAGIC = 0x444d414255462d31L; // "DMABUF-1"
    private static final ValueLayout.OfInt PIXEL = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong HEADER = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

    private TestPattern() {
    }

    /**
     * Renders frame {@code frame} into {@code dst}.
     *
     * @param dst at least {@link FrameFormat#bytes()} bytes
     * @param format the layout
     * @param frame the frame number
     */
    public static void render(MemorySegment dst, FrameFormat format, long frame) {
        int w = format.width();
        int[] row = new int[w];
        int shift = (int) (frame * 4);
        for (int y = 0; y < format.height(); y++) {
            int g = ((y + (int) frame * 2) & 0xFF) << 8;
            int b = ((y ^ shift) & 0xFF);
            for (int x = 0; x < w; x++) {
                row[x] = 0xFF000000 | (((x + shift) & 0xFF) << 16) | g | (b ^ (x & 0x3F));
            }
            MemorySegment.copy(row, 0, dst, PIXEL, (long) y * format.stride(), w);
        }
        dst.set(HEADER, 0, frame);
        dst.set(HEADER, 8, MAGIC);
    }

    /**
     * @param src a scanned-out frame
     * @param format its layout
     * @return the CRC-32C of its {@link FrameFormat#bytes()} bytes
     */
    public static int crc(MemorySegment src, FrameFormat format) {
        ByteBuffer bytes = src.asSlice(0, format.bytes()).asByteBuffer();
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int) crc.getValue();
    }

    /**
     * @param format the layout
     * @param frame a frame number
     * @return the CRC that frame has when whole (computed once per thread and frame)
     */
    public static int expectedCrc(FrameFormat format, long frame) {
        Scratch s = SCRATCH.get();
        if (s == null || !s.format.equals(format)) {
            s = new Scratch(format);
            SCRATCH.set(s);
        }
        if (s.frame != frame) {
            render(s.memory, format, frame);
            s.crc = crc(s.memory, format);
            s.frame = frame;
        }
        return s.crc;
    }

    /**
     * @param format the layout
     * @param frame a frame number
     * @return the CRC-32 (zlib's, {@code java.util.zip.CRC32}) that frame's {@link FrameFormat#bytes()} have
     *         when whole: what a process outside the JVM checks a frame with (Python's {@code zlib.crc32})
     * @since 1.2
     */
    public static long expectedCrc32(FrameFormat format, long frame) {
        expectedCrc(format, frame); // renders the frame into this thread's scratch
        Scratch s = SCRATCH.get();
        if (s.crc32Frame != frame) {
            java.util.zip.CRC32 c = new java.util.zip.CRC32();
            c.update(s.memory.asSlice(0, format.bytes()).asByteBuffer());
            s.crc32 = c.getValue();
            s.crc32Frame = frame;
        }
        return s.crc32;
    }

    /**
     * @param src a frame
     * @return the frame number in its header, or -1 when the header is not the pattern's
     */
    public static long frameNumber(MemorySegment src) {
        return src.get(HEADER, 8) == MAGIC ? src.get(HEADER, 0) : -1;
    }

    private static final class Scratch {
        final FrameFormat format;
        final MemorySegment memory;
        long frame = -1;
        int crc;
        long crc32Frame = -1;
        long crc32;

        Scratch(FrameFormat format) {
            this.format = format;
            this.memory = MemorySegment.ofArray(new byte[(int) format.bytes()]);
        }
    }
}
