// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.io.IOException;
import java.util.List;

import org.dmabuf.api.Fcntl;
import org.dmabuf.api.debugfs.BufferInfo;
import org.dmabuf.api.debugfs.FenceInfo;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.framework.internal.fence.ResvImpl;

/**
 * {@code /sys/kernel/debug/dma_buf/bufinfo}, in the layout of the kernel's
 * {@code dma_buf_debug_show}.
 */
public final class BufInfo {
    private static final int FMODE_READ = 0x1;
    private static final int FMODE_WRITE = 0x2;
    private static final int FMODE_LSEEK = 0x4;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private BufInfo() {
    }

    /**
     * @param buffers the buffers, as {@link DmaBufCore#buffers()} gives them
     * @return the text, ending with {@code Total N objects, M bytes}
     */
    public static String format(List<BufferInfo> buffers) {
        StringBuilder s = new StringBuilder((int) Math.min(1 << 30, 256 + 112L * buffers.size()));
        try {
            Writer w = new Writer(s);
            for (BufferInfo b : buffers) {
                w.line(b.size(), b.flags(), b.count(), b.expName(), b.ino(), b.name());
                for (FenceInfo f : b.fences()) {
                    w.fence(f.usage(), f.driver(), f.timeline(), f.seqno(), f.signaled());
                }
                w.devices(b.attachedDevices().size());
                for (String d : b.attachedDevices()) {
                    w.device(d);
                }
                w.done(b.size());
            }
            w.end();
        } catch (IOException cannot) {
            throw new java.io.UncheckedIOException(cannot); // a StringBuilder does not throw
        }
        return s.toString();
    }

    /**
     * Writes bufinfo as it goes: each buffer's lines made in one small
     * builder, reused, and handed to the output; the header first, the
     * totals last. One writer, one pass.
     */
    static final class Writer {
        private final Appendable out;
        private final StringBuilder s = new StringBuilder(256);
        private long count;
        private long bytes;

        Writer(Appendable out) throws IOException {
            this.out = out;
            out.append("\nDma-buf Objects:\n");
            out.append(String.format("%-8s\t%-8s\t%-8s\t%-8s\texp_name\t%-8s\tname%n", "size", "flags", "mode", "count",
                    "ino"));
        }

        /** A live buffer, read without its locks (its fences a published array, its attachments through their seqlock). */
        void buffer(DmaBufObject b) throws IOException {
            line(b.size, b.flags, b.refCount(), b.expName, b.ino, b.name());
            for (ResvImpl.Entry e : b.fenceSnapshot()) {
                if (e.usage().ordinal() <= DmaResvUsage.READ.ordinal()) {
                    DmaFence f = e.fence();
                    fence(e.usage().label(), f.driverName(), f.timelineName(), f.seqno(), f.isSignaled());
                }
            }
            List<AttachmentImpl> as = b.attachmentsSnapshot();
            devices(as.size());
            for (int i = 0; i < as.size(); i++) { // no iterator: a buffer's lines allocate nothing
                device(as.get(i).device().name());
            }
            done(b.size);
        }

        // "%08zu\t%08x\t%08x\t%08ld\t%s\t%08lu\t%s\n", by hand: a million lines must take well under a second
        void line(long size, int flags, long refs, String expName, long ino, String name) {
            s.setLength(0);
            dec(s, size).append('\t');
            hex(s, flags).append('\t');
            hex(s, mode(flags)).append('\t');
            dec(s, refs).append('\t').append(expName).append('\t');
            dec(s, ino).append('\t').append(name == null ? "<none>" : name).append('\n');
        }

        void fence(String usage, String driver, String timeline, long seqno, boolean signaled) {
            s.append('\t').append(usage).append(" fence:").append(driver).append(' ').append(timeline).append(" seq ")
                    .append(Long.toUnsignedString(seqno)).append(' ').append(signaled ? "" : "un").append("signalled\n");
        }

        private int devices;

        void devices(int n) {
            devices = n;
            s.append("\tAttached Devices:\n");
        }

        void device(String name) {
            s.append('\t').append(name).append('\n');
        }

        void done(long size) throws IOException {
            s.append("Total ").append(devices).append(" devices attached\n\n");
            out.append(s);
            count++;
            bytes += size;
        }

        void end() throws IOException {
            out.append("\nTotal ").append(String.valueOf(count)).append(" objects, ").append(String.valueOf(bytes))
                    .append(" bytes\n");
        }
    }

    // %08d
    private static StringBuilder dec(StringBuilder s, long v) {
        if (v < 0) {
            return s.append(v);
        }
        for (long p = 10_000_000L; p > 1 && v < p; p /= 10) {
            s.append('0');
        }
        return s.append(v);
    }

    // %08x, digit by digit: no String per number
    private static StringBuilder hex(StringBuilder s, int v) {
        for (int shift = 28; shift >= 0; shift -= 4) {
            s.append(HEX[(v >>> shift) & 0xf]);
        }
        return s;
    }

    static int mode(int flags) {
        int acc = flags & Fcntl.O_ACCMODE;
        int m = FMODE_LSEEK;
        if (acc == Fcntl.O_RDONLY || acc == Fcntl.O_RDWR) {
            m |= FMODE_READ;
        }
        if (acc == Fcntl.O_WRONLY || acc == Fcntl.O_RDWR) {
            m |= FMODE_WRITE;
        }
        return m;
    }
}
