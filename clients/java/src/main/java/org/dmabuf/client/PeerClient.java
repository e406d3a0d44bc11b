// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.client;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A connection to the DMA-BUF platform's peer socket (protocol version 1,
 * docs/cross-process.md), for a Java program outside the platform: no OSGi,
 * no dependency, a JDK 25 with native access
 * ({@code --enable-native-access=ALL-UNNAMED}). Not thread-safe: one thread
 * talks on a connection at a time.
 *
 * <pre>
 * try (PeerClient peer = PeerClient.connect(Path.of("run/dmabuf.sock"), "viewer");
 *         PeerClient.Buffer frame = peer.get("frame-1")) {
 *     frame.awaitWriters(Duration.ofSeconds(1));   // 0, or the writer's -errno
 *     MemorySegment pixels = frame.memory();       // the pages the GPU wrote: nothing copied
 * }
 * </pre>
 */
public final class PeerClient implements AutoCloseable {
    /** The protocol version this client speaks. */
    public static final int VERSION = 1;
    private static final int MAX_MESSAGE = 4096;
    private final int fd;
    private final String module;
    private boolean closed;
    // FRAMEs that came while a request waited for its reply: handed out by nextFrame first
    private final java.util.ArrayDeque<Reply> frames = new java.util.ArrayDeque<>();

    private PeerClient(int fd, String module) {
        this.fd = fd;
        this.module = module;
    }

    /**
     * Connects and says {@code HELLO}.
     *
     * @param socket the platform's peer socket
     * @param name what this program calls itself (logged by the platform)
     * @return the connection
     * @throws PeerException the platform's refusal, or a failed connect
     */
    public static PeerClient connect(Path socket, String name) throws IOException {
        int fd = Libc.connect(socket.toString());
        try {
            Reply r = request(fd, "HELLO", "version", String.valueOf(VERSION), "name", name);
            if (!r.verb().equals("WELCOME")) {
                throw new PeerException("EPROTO", "expected WELCOME, got " + r.verb());
            }
            return new PeerClient(fd, r.args().get("module"));
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** @return the name the platform gave this process's module: {@code pid <pid> (<comm>)} */
    public String module() {
        return module;
    }

    /**
     * {@code GET name=...}: the newest live buffer of that name, mapped.
     *
     * @param name the buffer's name
     * @return the buffer: a reference of this process, until {@link Buffer#close()}
     * @throws PeerException ENOENT, EINVAL, ... as the platform says
     */
    public Buffer get(String name) throws IOException {
        return mapped(request("GET", "name", name));
    }

    private Buffer mapped(Reply r) throws IOException {
        if (!(r.verb().equals("BUFFER") || r.verb().equals("FRAME")) || r.fds().length != 3) {
            close(r.fds());
            throw new PeerException("EPROTO", "expected BUFFER or FRAME with 3 fds (memory, fence, reference), got "
                    + r.verb() + " with " + r.fds().length);
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(Path.of("/proc/self/fd/" + r.fds()[0]), StandardOpenOption.READ)) {
            long size = Long.parseLong(r.args().get("size"));
            MemorySegment memory = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new Buffer(r.args(), r.fds()[0], r.fds()[1], r.fds()[2], arena, memory);
        } catch (IOException | RuntimeException e) {
            arena.close();
            close(r.fds()); // the reference too: the platform drops it
            throw e;
        }
    }

    /**
     * {@code SUBSCRIBE stream=...}: from now on the platform sends each frame of that stream
     * ({@code display/<device>}: every whole frame the display scans out); take them with {@link #nextFrame}.
     *
     * @param stream the stream's name
     * @throws PeerException EINVAL, EAGAIN, as the platform says
     */
    public void subscribe(String stream) throws IOException {
        Reply r = request("SUBSCRIBE", "stream", stream);
        if (!r.verb().equals("SUBSCRIBED")) {
            throw new PeerException("EPROTO", "expected SUBSCRIBED, got " + r.verb());
        }
    }

    /**
     * The next frame of a subscribed stream, mapped. Its attributes ({@code frame}, {@code width},
     * {@code height}, {@code stride}, {@code format}, {@code crc32}) are {@link Buffer#attribute}s. Close it
     * soon: while this process holds it, the renderer does not write it again (a second at most), and it holds
     * four at most.
     *
     * @param timeout how long to wait for one
     * @return the frame
     * @throws java.util.concurrent.TimeoutException when none came in time
     */
    public Buffer nextFrame(Duration timeout) throws IOException, java.util.concurrent.TimeoutException {
        long end = System.nanoTime() + timeout.toNanos();
        while (frames.isEmpty()) {
            long left = end - System.nanoTime();
            if (left <= 0 || !Libc.readable(fd, (int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)))) {
                throw new java.util.concurrent.TimeoutException("no frame within " + timeout);
            }
            Reply r = receive(fd);
            if (r.verb().equals("FRAME")) {
                frames.add(r);
            } else {
                close(r.fds()); // a CLOSED of a frame let go without waiting for its reply
            }
        }
        return mapped(frames.poll());
    }

    private static void close(int[] fds) {
        for (int f : fds) {
            Libc.close(f);
        }
    }

    /** A buffer handed to this process. */
    public final class Buffer implements AutoCloseable {
        private final Map<String, String> args;
        private final int memfd;
        private final int eventfd;
        private final int reference;
        private final Arena arena;
        private final MemorySegment memory;
        private boolean closed;

        Buffer(Map<String, String> args, int memfd, int eventfd, int reference, Arena arena, MemorySegment memory) {
            this.args = args;
            this.memfd = memfd;
            this.eventfd = eventfd;
            this.reference = reference;
            this.arena = arena;
            this.memory = memory;
        }

        /**
         * @param name an attribute of a frame ({@code frame}, {@code width}, {@code crc32}...)
         * @return its value, or {@code null}
         */
        public String attribute(String name) {
            return args.get(name);
        }

        /** @return the buffer's ino in the platform */
        public long ino() {
            return Long.parseLong(args.get("ino"));
        }

        /** @return its size in bytes */
        public long size() {
            return memory.byteSize();
        }

        /** @return its name */
        public String name() {
            return args.get("name");
        }

        /** @return the inode of its memfd: the same in the platform and here (nothing was copied) */
        public long inode() {
            return Long.parseLong(args.get("inode"));
        }

        /** @return its memory, mapped read-only: the platform's very pages */
        public MemorySegment memory() {
            return memory;
        }

        /**
         * Waits for the buffer's writers (its eventfd).
         *
         * @param timeout how long at most
         * @return 0 when they signalled without error, else the failing writer's {@code -errno}
         * @throws java.util.concurrent.TimeoutException when the time ran out
         */
        public int awaitWriters(Duration timeout) throws IOException, java.util.concurrent.TimeoutException {
            long v = Libc.awaitEventfd(eventfd, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            if (v < 0) {
                throw new java.util.concurrent.TimeoutException("the writers of ino " + ino() + " are not done after "
                        + timeout);
            }
            return (v & (1L << 32)) != 0 ? -(int) (v & 0xFFFFFFFFL) : 0;
        }

        /** Unmaps, closes its fds and drops this process's reference ({@code CLOSE}). */
        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            arena.close();
            Libc.close(memfd);
            Libc.close(eventfd);
            try {
                if (!PeerClient.this.closed) {
                    PeerClient.this.request("CLOSE", "fd", args.get("fd"));
                }
            } finally {
                Libc.close(reference); // closing it alone would drop the reference too
            }
        }
    }

    /** Says {@code BYE} and closes the connection: everything this process still holds is dropped. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            request("BYE");
        } finally {
            closed = true;
            for (Reply r : frames) {
                close(r.fds()); // frames never taken: dropped with the connection
            }
            frames.clear();
            Libc.close(fd);
        }
    }

    record Reply(String verb, Map<String, String> args, int[] fds) {
    }

    static byte[] encode(String verb, String... kv) {
        StringBuilder b = new StringBuilder(verb);
        for (int i = 0; i + 1 < kv.length; i += 2) {
            b.append(' ').append(kv[i]).append('=')
                    .append(URLEncoder.encode(kv[i + 1], StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static Reply decode(byte[] data, int[] fds) {
        String[] parts = new String(data, StandardCharsets.UTF_8).split(" ");
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq > 0) {
                args.put(parts[i].substring(0, eq), URLDecoder.decode(parts[i].substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return new Reply(parts[0], args, fds);
    }

    // a request of this connection: FRAMEs that come before its reply wait for nextFrame
    private Reply request(String verb, String... kv) throws IOException {
        Libc.send(fd, encode(verb, kv));
        while (true) {
            Reply r = receive(fd);
            if (!r.verb().equals("FRAME")) {
                return check(r);
            }
            frames.add(r);
        }
    }

    private static Reply receive(int fd) throws IOException {
        Libc.Packet p = Libc.receive(fd, MAX_MESSAGE);
        if (p.data().length == 0) {
            throw new PeerException("ECONNRESET", "the platform closed the connection");
        }
        return decode(p.data(), p.fds());
    }

    private static Reply request(int fd, String verb, String... kv) throws IOException {
        Libc.send(fd, encode(verb, kv));
        return check(receive(fd));
    }

    private static Reply check(Reply r) throws IOException {
        if (r.verb().equals("ERROR")) {
            for (int f : r.fds()) {
                Libc.close(f);
            }
            throw new PeerException(r.args().getOrDefault("code", "EPROTO"), r.args().getOrDefault("message", ""));
        }
        return r;
    }
}
