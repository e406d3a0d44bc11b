// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.client;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/** The client's side of the system calls: connect, one packet with its fds each way, poll, read, close. */
final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SOCKET = call("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT,
            JAVA_INT));
    private static final MethodHandle CONNECT = call("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
            JAVA_INT));
    private static final MethodHandle SENDMSG = call("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_INT));
    private static final MethodHandle RECVMSG = call("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_INT));
    private static final MethodHandle POLL = call("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG,
            JAVA_INT));
    private static final MethodHandle READ = call("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_LONG));
    private static final MethodHandle CLOSE = call("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    static final int MAX_FDS = 4;

    private Libc() {
    }

    private static MethodHandle call(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d,
                Linker.Option.captureCallState("errno"));
    }

    private static PeerException failed(String call, MemorySegment st) {
        int errno = (int) ERRNO.get(st, 0L);
        String name = switch (errno) {
            case 2 -> "ENOENT";
            case 9 -> "EBADF";
            case 13 -> "EACCES";
            case 104 -> "ECONNRESET";
            case 111 -> "ECONNREFUSED";
            default -> "errno " + errno;
        };
        return new PeerException(name, call + " failed (" + name + "); expected the platform's peer socket"
                + " (conf/config.properties: dmabuf.peer.socket)");
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

    static int connect(String path) throws PeerException {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length >= 108) {
            throw new PeerException("ENAMETOOLONG", "socket path of " + p.length + " bytes; expected fewer than 108");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int fd = (int) SOCKET.invokeExact(st, 1 /* AF_UNIX */, 5 | 0x80000 /* SOCK_SEQPACKET|CLOEXEC */, 0);
            if (fd < 0) {
                throw failed("socket", st);
            }
            MemorySegment addr = a.allocate(110);
            addr.set(JAVA_SHORT, 0, (short) 1);
            MemorySegment.copy(p, 0, addr, JAVA_BYTE, 2, p.length);
            if ((int) CONNECT.invokeExact(st, fd, addr, 2 + p.length + 1) != 0) {
                PeerException e = failed("connect " + path, st);
                close(fd);
                throw e;
            }
            return fd;
        } catch (PeerException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void send(int fd, byte[] data) throws PeerException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment buf = a.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, JAVA_BYTE, 0, data.length);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ADDRESS, 0, buf);
            iov.set(JAVA_LONG, 8, data.length);
            MemorySegment msg = a.allocate(56, 8);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1);
            if ((long) SENDMSG.invokeExact(st, fd, msg, 0x4000 /* MSG_NOSIGNAL */) < 0) {
                throw failed("sendmsg", st);
            }
        } catch (PeerException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A packet and its fds. */
    record Packet(byte[] data, int[] fds) {
    }

    static Packet receive(int fd, int max) throws PeerException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment buf = a.allocate(max);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ADDRESS, 0, buf);
            iov.set(JAVA_LONG, 8, max);
            long controlLen = 16 + 4L * MAX_FDS;
            MemorySegment control = a.allocate(controlLen, 8);
            MemorySegment msg = a.allocate(56, 8);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, controlLen);
            long n = (long) RECVMSG.invokeExact(st, fd, msg, 0x40000000 /* MSG_CMSG_CLOEXEC */);
            if (n < 0) {
                throw failed("recvmsg", st);
            }
            int[] fds = new int[0];
            if (msg.get(JAVA_LONG, 40) >= 16 && control.get(JAVA_INT, 8) == 1 && control.get(JAVA_INT, 12) == 1) {
                int count = (int) ((control.get(JAVA_LONG, 0) - 16) / 4);
                fds = new int[count];
                for (int i = 0; i < count; i++) {
                    fds[i] = control.get(JAVA_INT, 16 + 4L * i);
                }
            }
            return new Packet(buf.asSlice(0, n).toArray(JAVA_BYTE), fds);
        } catch (PeerException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @return whether {@code fd} became readable within {@code timeoutMs} */
    static boolean readable(int fd, int timeoutMs) throws PeerException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment pfd = a.allocate(8, 4);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, (short) 1 /* POLLIN */);
            int r = (int) POLL.invokeExact(st, pfd, 1L, timeoutMs);
            if (r < 0) {
                throw failed("poll", st);
            }
            return r > 0;
        } catch (PeerException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @return the 8-byte counter of an eventfd once readable, or -1 when {@code timeoutMs} ran out */
    static long awaitEventfd(int fd, int timeoutMs) throws PeerException {
        if (!readable(fd, timeoutMs)) {
            return -1;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment v = a.allocate(JAVA_LONG);
            if ((long) READ.invokeExact(st, fd, v, 8L) != 8) {
                throw failed("read(eventfd)", st);
            }
            return v.get(JAVA_LONG, 0);
        } catch (PeerException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            int r = (int) CLOSE.invokeExact(a.allocate(STATE), fd);
            assert r == 0 || r == -1;
        } catch (Throwable t) {
            // gone either way
        }
    }
}
