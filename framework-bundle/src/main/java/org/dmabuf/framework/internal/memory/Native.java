// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.memory;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The system calls that pass file descriptors between processes, made with
 * {@code java.lang.foreign} (the JDK's Unix domain sockets carry no
 * ancillary data): {@code AF_UNIX} {@code SOCK_SEQPACKET} sockets (one
 * message a packet, its fds with it), {@code sendmsg}/{@code recvmsg} with
 * {@code SCM_RIGHTS}, {@code SO_PEERCRED}, and {@code eventfd}. Linux,
 * x86_64 and aarch64 (LP64) struct layouts. Every call throws
 * {@link Memfd.NativeException} with its errno on failure.
 */
public final class Native {
    private static final int AF_UNIX = 1;
    private static final int SOCK_SEQPACKET = 5;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_TRUNC = 0x20;
    private static final int SHUT_RDWR = 2;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EINTR = 4;
    /** The most fds a message carries. */
    public static final int MAX_FDS = 4;

    private static final MethodHandle SOCKET = Memfd.libc("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = Memfd.libc("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
            JAVA_INT));
    private static final MethodHandle LISTEN = Memfd.libc("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
            JAVA_INT));
    private static final MethodHandle ACCEPT4 = Memfd.libc("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
            ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = Memfd.libc("getsockopt", FunctionDescriptor.of(JAVA_INT,
            JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SENDMSG = Memfd.libc("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT,
            ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = Memfd.libc("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT,
            ADDRESS, JAVA_INT));
    private static final MethodHandle SHUTDOWN = Memfd.libc("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
            JAVA_INT));
    private static final MethodHandle EVENTFD = Memfd.libc("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
            JAVA_INT));
    private static final MethodHandle WRITE = Memfd.libc("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT,
            ADDRESS, JAVA_LONG));

    private static final MethodHandle POLL = Memfd.libc("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG,
            JAVA_INT));
    private static final MethodHandle READ = Memfd.libc("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT,
            ADDRESS, JAVA_LONG));
    private static final MethodHandle PIPE2 = Memfd.libc("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    /** {@code POLLIN}. */
    public static final short POLLIN = 1;
    /** {@code POLLERR | POLLHUP | POLLNVAL}: the fd is broken, closed or not open. */
    public static final short POLL_BROKEN = 0x8 | 0x10 | 0x20;

    private Native() {
    }

    private static IOException failed(String call, MemorySegment state) {
        return new Memfd.NativeException(call, Memfd.errno(state));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /**
     * A listening {@code AF_UNIX} {@code SOCK_SEQPACKET} socket at {@code path} (which must not exist).
     *
     * @return its fd
     */
    public static int listen(String path, int backlog) throws IOException {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length >= 108) {
            throw new IOException("socket path " + path + " is " + p.length + " bytes; expected fewer than 108"
                    + " (sun_path)");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Memfd.captureState(a);
            int fd = (int) SOCKET.invokeExact(st, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw failed("socket", st);
            }
            MemorySegment addr = a.allocate(110);
            addr.set(JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(p, 0, addr, JAVA_BYTE, 2, p.length);
            if ((int) BIND.invokeExact(st, fd, addr, 2 + p.length + 1) != 0) {
                IOException e = failed("bind " + path, st);
                Memfd.closeFd(fd);
                throw e;
            }
            if ((int) LISTEN.invokeExact(st, fd, backlog) != 0) {
                IOException e = failed("listen", st);
                Memfd.closeFd(fd);
                throw e;
            }
            return fd;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @return a connection's fd, or -1 once the listening socket was shut down */
    public static int accept(int listening) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Memfd.captureState(a);
            while (true) {
                int fd = (int) ACCEPT4.invokeExact(st, listening, MemorySegment.NULL, MemorySegment.NULL,
                        SOCK_CLOEXEC);
                if (fd >= 0) {
                    return fd;
                }
                int errno = Memfd.errno(st);
                if (errno == EINTR) {
                    continue;
                }
                if (errno == 22 || errno == 9) { // EINVAL after shutdown, EBADF after close
                    return -1;
                }
                throw new Memfd.NativeException("accept4", errno);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The peer's credentials, as the kernel recorded them at connect ({@code SO_PEERCRED}).
     *
     * @param pid the process
     * @param uid its user
     * @param gid its group
     */
    public record Credentials(int pid, int uid, int gid) {
    }

    /** @return {@code SO_PEERCRED} of a connected socket */
    public static Credentials peer(int fd) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Memfd.captureState(a);
            MemorySegment cred = a.allocate(12);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, 12);
            if ((int) GETSOCKOPT.invokeExact(st, fd, SOL_SOCKET, SO_PEERCRED, cred, len) != 0) {
                throw failed("getsockopt(SO_PEERCRED)", st);
            }
            return new Credentials(cred.get(JAVA_INT, 0), cred.get(JAVA_INT, 4), cred.get(JAVA_INT, 8));
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * A message received: its bytes and the fds that came with it (now open in this process, close-on-exec).
     *
     * @param data the bytes
     * @param fds the fds received
     * @param truncated whether the message or its fds did not fit (and were cut: the fds beyond are closed)
     */
    public record Message(byte[] data, int[] fds, boolean truncated) {
    }

    /** @return the next message, or {@code null} at the end of the stream (the peer closed, or we shut down) */
    public static Message receive(int fd, int maxBytes) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Memfd.captureState(a);
            MemorySegment buf = a.allocate(maxBytes);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ADDRESS, 0, buf);
            iov.set(JAVA_LONG, 8, maxBytes);
            long controlLen = 16 + ((4L * MAX_FDS + 7) & ~7);
            MemorySegment control = a.allocate(controlLen, 8);
            MemorySegment msg = a.allocate(56, 8);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, controlLen);
            long n;
            while (true) {
                n = (long) RECVMSG.invokeExact(st, fd, msg, MSG_CMSG_CLOEXEC);
                if (n >= 0 || Memfd.errno(st) != EINTR) {
                    break;
                }
            }
            if (n < 0) {
                int errno = Memfd.errno(st);
                if (errno == 104 || errno == 9) { // ECONNRESET, EBADF: gone
                    return null;
                }
                throw new Memfd.NativeException("recvmsg", errno);
            }
            int flags = msg.get(JAVA_INT, 48);
            int[] fds = new int[0];
            long got = msg.get(JAVA_LONG, 40);
            if (got >= 16) {
                long cmsgLen = control.get(JAVA_LONG, 0);
                int level = control.get(JAVA_INT, 8);
                int type = control.get(JAVA_INT, 12);
                if (level == SOL_SOCKET && type == SCM_RIGHTS && cmsgLen > 16) {
                    int count = (int) ((cmsgLen - 16) / 4);
                    fds = new int[count];
                    for (int i = 0; i < count; i++) {
                        fds[i] = control.get(JAVA_INT, 16 + 4L * i);
                    }
                }
            }
            if (n == 0 && fds.length == 0) {
                return null;
            }
            byte[] data = buf.asSlice(0, n).toArray(JAVA_BYTE);
            return new Message(data, fds, (flags & (MSG_TRUNC | MSG_CTRUNC)) != 0);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sends one message with its fds (they stay open here: the peer gets copies). */
    public static void send(int fd, byte[] data, int... fds) throws IOException {
        send(fd, MSG_NOSIGNAL, data, fds);
    }

    /**
     * As {@link #send}, but never waits: when the peer's socket buffer is full (it does not read), fails with
     * EAGAIN at once.
     */
    public static void sendNow(int fd, byte[] data, int... fds) throws IOException {
        send(fd, MSG_NOSIGNAL | MSG_DONTWAIT, data, fds);
    }

    private static void send(int fd, int flags, byte[] data, int... fds) throws IOException {
        if (fds.length > MAX_FDS) {
            throw new IllegalArgumentException(fds.length + " fds; expected at most " + MAX_FDS);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Memfd.captureState(a);
            MemorySegment buf = a.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, JAVA_BYTE, 0, data.length);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ADDRESS, 0, buf);
            iov.set(JAVA_LONG, 8, data.length);
            MemorySegment msg = a.allocate(56, 8);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1);
            if (fds.length > 0) {
                long controlLen = 16 + ((4L * fds.length + 7) & ~7);
                MemorySegment control = a.allocate(controlLen, 8);
                control.set(JAVA_LONG, 0, 16 + 4L * fds.length);
                control.set(JAVA_INT, 8, SOL_SOCKET);
                control.set(JAVA_INT, 12, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++) {
                    control.set(JAVA_INT, 16 + 4L * i, fds[i]);
                }
                msg.set(ADDRESS, 32, control);
                msg.set(JAVA_LONG, 40, controlLen);
            }
            while (true) {
                long n = (long) SENDMSG.invokeExact(st, fd, msg, flags);
                if (n >= 0) {
                    return;
                }
                if (Memfd.errno(st) != EINTR) {
                    throw failed("sendmsg", st);
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code shutdown(fd, SHUT_RDWR)}: wakes a thread blocked in accept or recvmsg on it. */
    public static void shutdown(int fd) {
        try (Arena a = Arena.ofConfined()) {
            int r = (int) SHUTDOWN.invokeExact(Memfd.captureState(a), fd, SHUT_RDWR);
            assert r == 0 || r == -1;
        } catch (Throwable t) {
            // already gone
        }
    }

    /**
     * @return a new eventfd (counter 0, close-on-exec, non-blocking: a process that shares it and fills its
     *         counter makes our write fail with EAGAIN, never wait)
     */
    public static int eventfd() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Memfd.captureState(a);
            int fd = (int) EVENTFD.invokeExact(st, 0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (fd < 0) {
                throw failed("eventfd", st);
            }
            return fd;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Adds {@code value} to an eventfd's counter: it becomes readable (poll, select). */
    public static void signal(int eventfd, long value) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Memfd.captureState(a);
            MemorySegment v = a.allocate(JAVA_LONG);
            v.set(JAVA_LONG, 0, value);
            if ((long) WRITE.invokeExact(st, eventfd, v, 8L) != 8) {
                throw failed("write(eventfd)", st);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code poll(2)}.
     *
     * @param fds the fds
     * @param events each fd's events: {@link #POLLIN}, or 0 for its hang-up and errors only (always reported)
     * @param timeoutMillis how long at most; 0 returns at once
     * @return each fd's {@code revents} ({@link #POLLIN}, {@link #POLL_BROKEN}), 0 for none; all 0 on a timeout
     *         or a signal
     */
    public static short[] poll(int[] fds, short[] events, int timeoutMillis) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Memfd.captureState(a);
            MemorySegment p = a.allocate(8L * Math.max(1, fds.length), 8);
            for (int i = 0; i < fds.length; i++) {
                p.set(JAVA_INT, 8L * i, fds[i]);
                p.set(JAVA_SHORT, 8L * i + 4, events[i]);
            }
            int n = (int) POLL.invokeExact(st, p, (long) fds.length, timeoutMillis);
            short[] out = new short[fds.length];
            if (n < 0) {
                if (Memfd.errno(st) == EINTR) {
                    return out;
                }
                throw failed("poll", st);
            }
            for (int i = 0; i < fds.length; i++) {
                out[i] = p.get(JAVA_SHORT, 8L * i + 6);
            }
            return out;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Reads and resets the counter of an eventfd of ours (non-blocking: 0 when it is 0).
     *
     * @param eventfd an eventfd made by {@link #eventfd()}
     * @return its counter before the read
     */
    public static long drain(int eventfd) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Memfd.captureState(a);
            MemorySegment v = a.allocate(JAVA_LONG);
            long n = (long) READ.invokeExact(st, eventfd, v, 8L);
            if (n == 8) {
                return v.get(JAVA_LONG, 0);
            }
            if (Memfd.errno(st) == 11) { // EAGAIN: nothing yet
                return 0;
            }
            throw failed("read(eventfd)", st);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The counter of an eventfd another process made, read without consuming it and without ever blocking (its
     * file may be in blocking mode, and the process may read it too): {@code /proc/self/fdinfo}'s
     * {@code eventfd-count}.
     *
     * @param eventfd the fd
     * @return its counter
     * @throws IOException when it is not an eventfd
     */
    public static long eventfdCount(int eventfd) throws IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/fdinfo/" + eventfd))) {
            if (line.startsWith("eventfd-count:")) {
                return Long.parseUnsignedLong(line.substring("eventfd-count:".length()).strip(), 16);
            }
        }
        throw new IOException("fd " + eventfd + " is not an eventfd; expected one made by eventfd(2)");
    }

    /** @return a pipe, {@code [read end, write end]}, close-on-exec and non-blocking */
    public static int[] pipe() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Memfd.captureState(a);
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            if ((int) PIPE2.invokeExact(st, fds, O_CLOEXEC | O_NONBLOCK) != 0) {
                throw failed("pipe2", st);
            }
            return new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
