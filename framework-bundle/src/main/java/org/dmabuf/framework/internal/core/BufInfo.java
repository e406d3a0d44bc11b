// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.util.List;

import org.dmabuf.api.Fcntl;
import org.dmabuf.api.debugfs.BufferInfo;
import org.dmabuf.api.debugfs.FenceInfo;

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
        // sized for the usual line and its device up front: a million buffers grow no 100 MB builder by doubling
        StringBuilder s = new StringBuilder((int) Math.min(1 << 30, 256 + 112L * buffers.size()));
        s.append("\nDma-buf Objects:\n");
        s.append(String.format("%-8s\t%-8s\t%-8s\t%-8s\texp_name\t%-8s\tname%n", "size", "flags", "mode", "count", "ino"));
        long bytes = 0;
        for (BufferInfo b : buffers) {
            // "%08zu\t%08x\t%08x\t%08ld\t%s\t%08lu\t%s\n", by hand: a million lines must take well under a second
            dec(s, b.size()).append('\t');
            hex(s, b.flags()).append('\t');
            hex(s, mode(b.flags())).append('\t');
            dec(s, b.count()).append('\t').append(b.expName()).append('\t');
            dec(s, b.ino()).append('\t').append(b.name() == null ? "<none>" : b.name()).append('\n');
            for (FenceInfo f : b.fences()) {
                s.append('\t').append(f.usage()).append(" fence:").append(f.driver()).append(' ').append(f.timeline())
                        .append(" seq ").append(Long.toUnsignedString(f.seqno())).append(' ')
                        .append(f.signaled() ? "" : "un").append("signalled\n");
            }
            s.append("\tAttached Devices:\n");
            for (String d : b.attachedDevices()) {
                s.append('\t').append(d).append('\n');
            }
            s.append("Total ").append(b.attachedDevices().size()).append(" devices attached\n\n");
            bytes += b.size();
        }
        s.append("\nTotal ").append(buffers.size()).append(" objects, ").append(bytes).append(" bytes\n");
        return s.toString();
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
