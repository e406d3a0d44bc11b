// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

/**
 * File and fd flags, with the values of {@code <uapi/asm-generic/fcntl.h>}.
 *
 * <p>A buffer's file flags (its access mode) are set at export
 * ({@link ExportInfo.Builder#flags(int)}); fd flags are given when an fd is
 * made ({@link DmaBuf#fd(int)}, {@link Heap#allocate(long, int, long)}).
 */
public final class Fcntl {
    /** Open for reading only. */
    public static final int O_RDONLY = 0;
    /** Open for writing only. */
    public static final int O_WRONLY = 1;
    /** Open for reading and writing. */
    public static final int O_RDWR = 2;
    /** The access mode bits. */
    public static final int O_ACCMODE = 3;
    /** Close the fd when the owner "execs"; kept for fidelity, it changes nothing here. */
    public static final int O_CLOEXEC = 02000000;

    private Fcntl() {
    }
}
