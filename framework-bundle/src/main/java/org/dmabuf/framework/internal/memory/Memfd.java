// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.memory;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A real file descriptor of anonymous memory: {@code memfd_create(2)},
 * sealed against shrinking and growing as {@code udmabuf} requires
 * ({@code F_SEAL_SHRINK}, {@code F_SEAL_GROW}), and mapped into the JVM
 * through {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)}
 * in an arena of its own. Another process that receives the fd (over a Unix
 * socket, {@code SCM_RIGHTS}) maps the very same pages: nothing is copied.
 * The calls are made with {@code java.lang.foreign}; libc only, no library
 * of ours.
 */
public final class Memfd implements AutoCloseable {
    /** {@code MFD_CLOEXEC}. */
    static final int MFD_CLOEXEC = 1;
    /** {@code MFD_ALLOW_SEALING}. */
    static final int MFD_ALLOW_SEALING = 2;
    /** {@code F_ADD_SEALS}. */
    public static final int F_ADD_SEALS = 1033;
    /** {@code F_GET_SEALS}. */
    public static final int F_GET_SEALS = 1034;
    /** {@code F_SEAL_SEAL}. */
    public static final int F_SEAL_SEAL = 1;
    /** {@code F_SEAL_SHRINK}: udmabuf refuses a memfd without it. */
    public static final int F_SEAL_SHRINK = 2;
    /** {@code F_SEAL_GROW}. */
    public static final int F_SEAL_GROW = 4;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout ERRNO_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = ERRNO_LAYOUT.varHandle(java.lang.foreign.MemoryLayout.PathElement
            .groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
    private static final MethodHandle MEMFD_CREATE = libc("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS,
            JAVA_INT));
    private static final MethodHandle FTRUNCATE = libc("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
            JAVA_LONG));
    private static final MethodHandle FCNTL = libc("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT,
            JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private final int fd;
    private final long size;
    private final Arena arena;
    private final MemorySegment segment;
    private boolean closed; // guarded by this

    private Memfd(int fd, long size, Arena arena, MemorySegment segment) {
        this.fd = fd;
        this.size = size;
        this.arena = arena;
        this.segment = segment;
    }

    static MethodHandle libc(String name, FunctionDescriptor d, Linker.Option... more) {
        Linker.Option[] opts = java.util.Arrays.copyOf(more, more.length + 1);
        opts[more.length] = CAPTURE;
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc: " + name)),
                d, opts);
    }

    /** A failed system call, with its errno and the text the kernel gives it. */
    public static final class NativeException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        NativeException(String call, int errno) {
            super(call + ": " + strerror(errno) + " (errno " + errno + ")");
            this.errno = errno;
        }

        /** @return the errno */
        public int errno() {
            return errno;
        }
    }

    static String strerror(int errno) {
        return switch (errno) {
            case 1 -> "Operation not permitted (EPERM)";
            case 2 -> "No such file or directory (ENOENT)";
            case 4 -> "Interrupted system call (EINTR)";
            case 9 -> "Bad file descriptor (EBADF)";
            case 11 -> "Resource temporarily unavailable (EAGAIN)";
            case 12 -> "Cannot allocate memory (ENOMEM)";
            case 13 -> "Permission denied (EACCES)";
            case 17 -> "File exists (EEXIST)";
            case 22 -> "Invalid argument (EINVAL)";
            case 23 -> "Too many open files in system (ENFILE)";
            case 24 -> "Too many open files (EMFILE): the JVM's fd limit (ulimit -n)";
            case 28 -> "No space left on device (ENOSPC)";
            case 32 -> "Broken pipe (EPIPE): the other side closed";
            case 98 -> "Address already in use (EADDRINUSE)";
            case 104 -> "Connection reset by peer (ECONNRESET)";
            default -> "errno " + errno;
        };
    }

    /** @return the errno captured in {@code state} */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** @return a segment for {@link #CAPTURE}'s state, in {@code arena} */
    static MemorySegment captureState(Arena arena) {
        return arena.allocate(ERRNO_LAYOUT);
    }

    /**
     * {@code memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)}, {@code ftruncate(size)},
     * {@code F_ADD_SEALS(F_SEAL_SHRINK | F_SEAL_GROW)}, and the mapping.
     *
     * @param name the name {@code /proc/<pid>/fd} shows ({@code memfd:<name>}), at most 249 bytes
     * @param size bytes, at least 1: memory is zero-filled, as every heap's
     * @return the memory, with its fd
     * @throws NativeException what a call failed with (ENOMEM, EMFILE)
     */
    public static Memfd create(String name, long size) throws IOException {
        int fd;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = captureState(call);
            fd = (int) MEMFD_CREATE.invokeExact(state, call.allocateFrom(name), MFD_CLOEXEC | MFD_ALLOW_SEALING);
            if (fd < 0) {
                throw new NativeException("memfd_create", errno(state));
            }
            try {
                if ((int) FTRUNCATE.invokeExact(state, fd, size) != 0) {
                    throw new NativeException("ftruncate", errno(state));
                }
                // sealed for good: a process that receives the fd can add no seal of its own (F_SEAL_FUTURE_WRITE
                // would stop the others from mapping it writable)
                if ((int) FCNTL.invokeExact(state, fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
                    throw new NativeException("fcntl(F_ADD_SEALS)", errno(state));
                }
            } catch (IOException | RuntimeException | Error e) {
                closeFd(fd);
                throw e;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            return new Memfd(fd, size, arena, seg);
        } catch (IOException | RuntimeException e) {
            arena.close();
            closeFd(fd);
            throw e;
        }
    }

    /** {@code F_SEAL_WRITE}: udmabuf refuses a memfd with it (the exporter could not write its pages). */
    public static final int F_SEAL_WRITE = 8;
    /** {@code F_SEAL_FUTURE_WRITE}: refused too, as {@code udmabuf} does. */
    public static final int F_SEAL_FUTURE_WRITE = 16;

    /**
     * Takes a memfd another process sent (udmabuf's {@code UDMABUF_CREATE}): checks it as {@code udmabuf} does and
     * maps its first {@code size} bytes; the fd is ours from then on, closed with the mapping by {@link #close}.
     * On any failure the fd is closed and nothing is mapped.
     *
     * @param fd the received fd
     * @param size the bytes to take: positive, a multiple of the page size, at most the file's size
     * @param pageSize the page size
     * @return the memory
     * @throws IllegalArgumentException naming what is wrong: not a memfd, not sealed against shrinking, sealed
     *         against writing, a size that is not page-aligned or beyond the file's end
     */
    public static Memfd adopt(int fd, long size, long pageSize) throws IOException {
        try {
            int seals;
            try {
                seals = seals(fd);
            } catch (NativeException e) {
                throw new IllegalArgumentException("the fd is not a memfd (F_GET_SEALS: " + e.getMessage() + ");"
                        + " expected one made by memfd_create with MFD_ALLOW_SEALING");
            }
            if ((seals & F_SEAL_SHRINK) == 0) {
                throw new IllegalArgumentException("the memfd is not sealed against shrinking; expected F_SEAL_SHRINK"
                        + " (fcntl F_ADD_SEALS), as udmabuf requires");
            }
            if ((seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) != 0) {
                throw new IllegalArgumentException("the memfd is sealed against writing; expected no F_SEAL_WRITE"
                        + " nor F_SEAL_FUTURE_WRITE, as udmabuf requires");
            }
            if (size <= 0 || size % pageSize != 0) {
                throw new IllegalArgumentException("size " + size + " is not page aligned; expected a positive"
                        + " multiple of " + pageSize + " bytes");
            }
            long length = java.nio.file.Files.size(Path.of("/proc/self/fd/" + fd));
            if (length < size) {
                throw new IllegalArgumentException("the memfd holds " + length + " bytes, fewer than size " + size
                        + "; expected at least size bytes (ftruncate it first)");
            }
        } catch (IOException | RuntimeException | Error e) {
            closeFd(fd);
            throw e;
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            return new Memfd(fd, size, arena, ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            closeFd(fd);
            throw e;
        }
    }

    /** @return the seals of {@code fd} ({@code F_GET_SEALS}) */
    public static int seals(int fd) throws IOException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = captureState(call);
            int s = (int) FCNTL.invokeExact(state, fd, F_GET_SEALS, 0);
            if (s < 0) {
                throw new NativeException("fcntl(F_GET_SEALS)", errno(state));
            }
            return s;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code close(fd)}; errors are ignored, as a close after which the fd is gone anyway. */
    public static void closeFd(int fd) {
        try (Arena call = Arena.ofConfined()) {
            int r = (int) CLOSE.invokeExact(captureState(call), fd);
            assert r == 0 || r == -1;
        } catch (Throwable t) {
            // the fd is released by the kernel whatever close says
        }
    }

    /** @return the fd's number (for messages: it may be closed, and the number reused) */
    public int fd() {
        return fd;
    }

    /**
     * @return the fd, to be passed on now: open until {@link #close}
     * @throws IllegalStateException once closed (the number may be another file's now)
     */
    public synchronized int openFd() {
        if (closed) {
            throw new IllegalStateException("memfd " + fd + " was closed with its buffer's memory");
        }
        return fd;
    }

    /** @return the size in bytes */
    public long size() {
        return size;
    }

    /** @return the mapping; fails with {@link IllegalStateException} once closed */
    public MemorySegment segment() {
        return segment;
    }

    /** @return the inode of the memfd ({@code /proc/self/fd/<fd>} says {@code /memfd:name (deleted)}) */
    public long inode() throws IOException {
        return (long) java.nio.file.Files.getAttribute(Path.of("/proc/self/fd/" + fd), "unix:ino");
    }

    /** Unmaps and closes the fd; processes that received it keep their copy. Once; later calls do nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            arena.close();
        } finally {
            closeFd(fd);
        }
    }
}
