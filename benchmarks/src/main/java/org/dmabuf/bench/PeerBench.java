// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.client.PeerClient;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.LoadedModule;
import org.dmabuf.framework.internal.heap.MemfdHeap;
import org.dmabuf.framework.internal.peer.PeerServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A 4K frame (3840x2160 XRGB, 33,177,600 bytes) handed to a client of the
 * peer socket against copied: {@code handoff_fd} pushes the frame as a
 * display does (a reference, the memfd's fd with {@code SCM_RIGHTS}, the
 * writers' eventfd, a READ fence), the client takes it, maps it, waits for
 * its writers and reads every page once, and lets go of it (CLOSE: the fence
 * signalled); {@code copy_socket} sends the same bytes over a Unix stream
 * socket and reads them all at the other end; {@code copy_jvm} copies them
 * within the JVM and reads the copy. The client runs in this JVM (the
 * calls, the fds and the mapping are the kernel's as for another process;
 * only the scheduling between two processes is missing).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PeerBench {
    static final int SIZE = 3840 * 2160 * 4;
    private Path dir;
    private DmaBufCore core;
    private LoadedModule gpu;
    private PeerServer server;
    private PeerClient client;
    private DmaBuf frame;
    private int fd;
    private Arena arena;
    private MemorySegment src;
    private MemorySegment dst;
    private SocketChannel out;
    private SocketChannel in;
    private ServerSocketChannel listener;
    private ExecutorService writer;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        dir = Files.createTempDirectory("peerbench");
        core = new DmaBufCore(List.of(new MemfdHeap(256L << 20)));
        gpu = core.openModule("nvidia", 20);
        fd = gpu.heap("memfd").allocate(SIZE);
        frame = gpu.get(fd);
        MemorySegment m = frame.vmap();
        for (long i = 0; i < SIZE; i += 8) {
            m.set(ValueLayout.JAVA_LONG, i, i * 0x9E3779B97F4A7C15L);
        }
        server = PeerServer.start(core, dir.resolve("dmabuf.sock"));
        core.processShare(server);
        client = PeerClient.connect(server.path(), "bench");
        client.subscribe("bench/4k");
        arena = Arena.ofShared();
        src = m;
        dst = arena.allocate(SIZE, 4096);
        Path sock = dir.resolve("copy.sock");
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(sock));
        out = SocketChannel.open(UnixDomainSocketAddress.of(sock));
        in = listener.accept();
        writer = Executors.newSingleThreadExecutor();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        writer.shutdownNow();
        out.close();
        in.close();
        listener.close();
        client.close();
        core.processShare(null);
        server.close();
        frame.vunmap(src);
        frame.put();
        gpu.close(fd);
        arena.close();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    // every page read once: what a consumer of the frame does at least
    private static long readPages(MemorySegment m) {
        long sum = 0;
        for (long i = 0; i < m.byteSize(); i += 4096) {
            sum += m.get(ValueLayout.JAVA_LONG, i);
        }
        return sum;
    }

    @Benchmark
    public long handoff_fd() throws Exception {
        if (gpu.shareWithProcesses("bench/4k", frame, Map.of("frame", "1")) != 1) {
            throw new IllegalStateException("the frame was not handed over");
        }
        try (PeerClient.Buffer b = client.nextFrame(Duration.ofSeconds(10))) {
            b.awaitWriters(Duration.ofSeconds(10));
            return readPages(b.memory());
        }
    }

    /** The handoff alone: the frame handed over, mapped, its first page read, let go. */
    @Benchmark
    public long handoff_fd_first_page() throws Exception {
        if (gpu.shareWithProcesses("bench/4k", frame, Map.of("frame", "1")) != 1) {
            throw new IllegalStateException("the frame was not handed over");
        }
        try (PeerClient.Buffer b = client.nextFrame(Duration.ofSeconds(10))) {
            b.awaitWriters(Duration.ofSeconds(10));
            return b.memory().get(ValueLayout.JAVA_LONG, 0);
        }
    }

    @Benchmark
    public long copy_socket() throws Exception {
        ByteBuffer from = src.asByteBuffer();
        Future<?> sent = writer.submit(() -> {
            while (from.hasRemaining()) {
                out.write(from);
            }
            return null;
        });
        ByteBuffer to = dst.asByteBuffer();
        while (to.hasRemaining()) {
            if (in.read(to) < 0) {
                throw new IOException("closed");
            }
        }
        sent.get();
        return readPages(dst);
    }

    @Benchmark
    public long copy_jvm() {
        MemorySegment.copy(src, 0, dst, 0, SIZE);
        return readPages(dst);
    }
}
