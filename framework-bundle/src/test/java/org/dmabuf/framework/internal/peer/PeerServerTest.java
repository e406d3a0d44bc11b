// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dmabuf.framework.internal.peer.PeerTesting.await;
import static org.dmabuf.framework.internal.peer.PeerTesting.openFds;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.api.fence.FenceContext;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.FenceView;
import org.dmabuf.framework.internal.core.LoadedModule;
import org.dmabuf.framework.internal.heap.MemfdHeap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Python process, with nothing but its standard library
 * ({@code clients/python/dmabuf_peer.py}), receives a buffer of the memfd heap
 * over the peer socket, waits for its writer's fence on an eventfd, maps it
 * and checks its CRC: the same pages, nothing copied. Killed with SIGKILL, it
 * leaves nothing behind.
 */
class PeerServerTest {
    @TempDir
    Path dir;
    final DmaBufCore core = new DmaBufCore(List.of(new MemfdHeap(64L << 20)));
    final LoadedModule gpu = core.openModule("nvidia", 10);
    final List<Process> processes = new ArrayList<>();
    PeerServer server;

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
        if (server != null) {
            server.close();
        }
    }

    private PeerServer start() throws IOException {
        server = PeerServer.start(core, dir.resolve("run").resolve("dmabuf.sock"));
        return server;
    }

    private Process python(String... args) throws IOException {
        return PeerTesting.python(processes, server.path(), args);
    }

    // a rendered frame: 1 MiB of the memfd heap, named, with a pattern, and its CRC-32
    private record Frame(int fd, DmaBuf buf, long crc) {
    }

    private Frame frame(String name) {
        int fd = gpu.heap("memfd").allocate(1 << 20);
        DmaBuf buf = gpu.get(fd);
        buf.setName(name);
        MemorySegment m = buf.vmap();
        for (long i = 0; i < m.byteSize(); i += 4) {
            m.set(ValueLayout.JAVA_INT, i, (int) (i * 2654435761L));
        }
        CRC32 crc = new CRC32();
        crc.update(m.asByteBuffer());
        buf.vunmap(m);
        return new Frame(fd, buf, crc.getValue());
    }

    @Test
    void a_python_process_maps_the_frame_the_gpu_wrote_after_its_fence_with_nothing_copied() throws Exception {
        start();
        Frame f = frame("frame-1");
        // the render job is still running: its fence is the buffer's WRITE fence
        FenceView fences = new FenceView(gpu);
        FenceContext ring = fences.contextAlloc("nvidia", "gfx");
        DmaFence job = ring.next();
        DmaResv resv = f.buf().resv();
        resv.lock();
        resv.reserveFences(1);
        resv.addFence(job, DmaResvUsage.WRITE);
        resv.unlock();

        Process p = python("get", "frame-1", "--crc", Long.toHexString(f.crc()));
        await("the process holds the buffer and waits for its fence", () -> server.describe().stream()
                .anyMatch(l -> l.contains("1 buffer held, 1 fence pending")));
        assertThat(core.holders(f.buf().inode())).anyMatch(l -> l.startsWith("pid " + p.pid() + " (python3): fd "));
        job.signal(); // the GPU is done: the eventfd fires

        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("\"crc_ok\": true", "\"zero_copy\": true", "\"bytes_copied\": 0", "\"fence\": 0",
                "\"name\": \"frame-1\"", "\"module\": \"pid " + p.pid() + " (python3)\"");
        assertThat(p.exitValue()).as(out).isZero();
        await("the process's module is gone", () -> server.count() == 0);
        assertThat(core.holders(f.buf().inode())).noneMatch(l -> l.startsWith("pid "));
        f.buf().put();
        gpu.close(f.fd());
        assertThat(core.bufferCount()).isZero();
    }

    @Test
    void the_java_client_maps_the_same_pages_and_its_close_drops_its_reference() throws Exception {
        start();
        Frame f = frame("frame-java");
        try (org.dmabuf.client.PeerClient peer = org.dmabuf.client.PeerClient.connect(server.path(), "test")) {
            assertThat(peer.module()).isEqualTo("pid " + ProcessHandle.current().pid() + " (" + Files.readString(
                    Path.of("/proc/self/comm")).strip() + ")");
            try (org.dmabuf.client.PeerClient.Buffer b = peer.get("frame-java")) {
                assertThat(b.awaitWriters(java.time.Duration.ofSeconds(10))).isZero();
                CRC32 crc = new CRC32();
                crc.update(b.memory().asByteBuffer());
                assertThat(crc.getValue()).isEqualTo(f.crc());
                assertThat(b.inode()).as("the memfd's inode: the same file, nothing copied")
                        .isEqualTo(Files.getAttribute(Path.of("/proc/self/fd/" + memfdOf(f)), "unix:ino"));
                assertThat(core.holders(f.buf().inode())).anyMatch(l -> l.startsWith(peer.module() + ": fd "));
            }
            assertThat(core.holders(f.buf().inode())).noneMatch(l -> l.startsWith(peer.module()));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> peer.get("nosuch"))
                    .isInstanceOf(org.dmabuf.client.PeerException.class)
                    .satisfies(e -> assertThat(((org.dmabuf.client.PeerException) e).code()).isEqualTo("ENOENT"));
        }
        await("disconnected", () -> server.count() == 0);
        f.buf().put();
        gpu.close(f.fd());
    }

    // the JVM's fd of the frame's memfd: the one /proc/self/fd names memfd:dmabuf-memfd with the frame's inode
    private static int memfdOf(Frame f) throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) {
                try {
                    if (Files.readSymbolicLink(p).toString().startsWith("/memfd:dmabuf-memfd")) {
                        return Integer.parseInt(p.getFileName().toString());
                    }
                } catch (IOException gone) {
                    // closed meanwhile
                }
            }
        }
        throw new AssertionError("no memfd open");
    }

    @Test
    void a_fence_signalled_with_an_error_reaches_the_process_with_its_errno() throws Exception {
        start();
        Frame f = frame("frame-err");
        FenceView fences = new FenceView(gpu);
        DmaFence job = fences.contextAlloc("nvidia", "gfx").next();
        DmaResv resv = f.buf().resv();
        resv.lock();
        resv.reserveFences(1);
        resv.addFence(job, DmaResvUsage.WRITE);
        resv.unlock();
        Process p = python("get", "frame-err");
        await("the process waits for the fence", () -> server.describe().stream()
                .anyMatch(l -> l.contains("1 fence pending")));
        job.setError(-5); // the job failed: the error reaches the process (a fence signalled before is not
        job.signal();     // among the writers a reader waits for, as dma_resv_get_fences skips it)
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("\"fence\": -5");
        f.buf().put();
        gpu.close(f.fd());
    }

    @Test
    void killed_with_SIGKILL_mid_stream_the_process_leaves_no_buffer_fd_or_thread() throws Exception {
        start();
        Frame f = frame("frame-2");
        DmaFence job = new FenceView(gpu).contextAlloc("nvidia", "gfx").next(); // pending: an eventfd armed
        DmaResv resv = f.buf().resv();
        resv.lock();
        resv.reserveFences(1);
        resv.addFence(job, DmaResvUsage.WRITE);
        resv.unlock();
        long fdsIdle = openFds();
        Process p = python("hold", "frame-2");
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(r.readLine()).startsWith("READY " + f.buf().inode());
        assertThat(core.holders(f.buf().inode())).anyMatch(l -> l.startsWith("pid " + p.pid()));
        long fdsBefore = openFds();

        p.destroyForcibly(); // SIGKILL
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();

        await("the connection's end drops what the process held", () -> server.count() == 0
                && core.holders(f.buf().inode()).stream().noneMatch(l -> l.startsWith("pid ")));
        await("its thread ended", () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("dmabuf-peer pid " + p.pid())));
        await("the connection's fd, the armed eventfd and the reference's pipe are closed",
                () -> openFds() < fdsBefore && openFds() <= fdsIdle);
        job.signal(); // nobody waits on it any more: nothing to write, nothing left
        f.buf().put();
        gpu.close(f.fd());
        assertThat(core.bufferCount()).isZero();
    }

    @Test
    void bad_requests_get_an_error_that_names_what_was_expected_and_change_nothing() throws Exception {
        start();
        Frame f = frame("frame-3");
        String script = String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)",
                "s.connect(sys.argv[1])",
                "for m in [b'GET name=frame-3', b'HELLO version=2', b'HELLO version=1', b'HELLO version=1',",
                "          b'FROB x=1', b'GET', b'GET name=nosuch', b'\\xff\\xfe garbage', b'CLOSE fd=x', b'CLOSE fd=99',",
                "          b'x' * 5000]:",
                "    s.send(m)",
                "    print(s.recv(4096).decode(errors='replace'))",
                "s.close()");
        Process p = new ProcessBuilder("python3", "-c", script, server.path().toString()).redirectErrorStream(true)
                .start();
        processes.add(p);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        List<String> lines = out.lines().toList();
        assertThat(lines).hasSize(11);
        assertThat(lines.get(0)).startsWith("ERROR code=EPROTO message=").contains("expected%20HELLO%20version%3D1");
        assertThat(lines.get(1)).startsWith("ERROR code=EPROTONOSUPPORT");
        assertThat(lines.get(2)).startsWith("WELCOME version=1");
        assertThat(lines.get(3)).startsWith("ERROR code=EPROTO").contains("HELLO%20twice");
        assertThat(lines.get(4)).startsWith("ERROR code=EINVAL").contains("unknown%20request");
        assertThat(lines.get(5)).startsWith("ERROR code=EINVAL").contains("GET%20without%20a%20name");
        assertThat(lines.get(6)).startsWith("ERROR code=ENOENT").contains("no%20live%20buffer%20named");
        assertThat(lines.get(7)).startsWith("ERROR code=EINVAL");
        assertThat(lines.get(8)).startsWith("ERROR code=EINVAL").contains("expected%20the%20fd%20of%20a%20BUFFER");
        assertThat(lines.get(9)).startsWith("ERROR code=EBADF");
        assertThat(lines.get(10)).startsWith("ERROR code=EMSGSIZE");
        await("disconnected", () -> server.count() == 0);
        assertThat(core.holders(f.buf().inode())).containsExactlyInAnyOrder("nvidia: fd " + f.fd(),
                "nvidia: a reference");
        f.buf().put();
        gpu.close(f.fd());
    }

    @Test
    void thousands_of_connections_are_refused_past_the_limit_and_leave_nothing_behind() throws Exception {
        start();
        long threads = Thread.activeCount();
        long idle = openFds();
        String script = String.join("\n",
                "import resource, socket, sys",
                "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)",
                "resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))",
                "held, refused, other = [], 0, 0",
                "for i in range(2000):",
                "    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)",
                "    s.connect(sys.argv[1])",
                "    if len(held) < 64:",
                "        s.send(b'HELLO version=1')",
                "    reply = s.recv(4096).decode()",
                "    if reply.startswith('WELCOME'):",
                "        held.append(s)",
                "    elif reply.startswith('ERROR code=EMFILE'):",
                "        refused += 1; s.close()",
                "    else:",
                "        other += 1; s.close()",
                "print(len(held), refused, other, flush=True)",
                "sys.stdin.readline()");
        Process p = new ProcessBuilder("python3", "-c", script, server.path().toString()).redirectErrorStream(true)
                .start();
        processes.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo(PeerServer.MAX_PEERS + " " + (2000 - PeerServer.MAX_PEERS) + " 0");
        assertThat(server.count()).isEqualTo(PeerServer.MAX_PEERS);
        p.getOutputStream().close(); // it ends: its 64 connections close
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        await("every connection's thread ended", () -> server.count() == 0 && Thread.activeCount() <= threads);
        await("and every fd is closed", () -> openFds() <= idle);
    }

    @Test
    void the_socket_is_the_owners_alone_and_a_stale_one_is_replaced_but_never_another_file() throws Exception {
        start();
        assertThat(Files.getPosixFilePermissions(server.path())).extracting(Object::toString)
                .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
        Path sock = server.path();
        server.close();
        server = null;
        Files.writeString(sock, "not a socket");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PeerServer.start(core, sock))
                .hasMessageContaining("exists and is not a socket");
        assertThat(Files.readString(sock)).isEqualTo("not a socket");
    }

    // a subscriber the test drives line by line: "recv" prints the next message's verb and fd= (closing the memory
    // and the eventfd it carried, keeping the reference fd), "close N" asks CLOSE fd=N and then closes the reference,
    // "drop N" only closes the reference fd (as a process that just closes what it holds)
    private static final String SUBSCRIBER = String.join("\n",
            "import os, socket, sys",
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)",
            "s.connect(sys.argv[1])",
            "s.send(b'HELLO version=1'); s.recv(4096)",
            "s.send(b'SUBSCRIBE stream=display/test'); print(s.recv(4096).decode(), flush=True)",
            "refs = {}",
            "for line in sys.stdin:",
            "    cmd = line.split()",
            "    if cmd[0] == 'recv':",
            "        data, fds, _, _ = socket.recv_fds(s, 4096, 4)",
            "        for f in fds[:2]: os.close(f)",
            "        words = data.decode().split(' ')",
            "        refs[[w for w in words if w.startswith('fd=')][0][3:]] = fds[2]",
            "        print(words[0] + ' ' + ' '.join(w for w in words if w.startswith(('fd=', 'frame='))) + ' fds=' + str(len(fds)), flush=True)",
            "    elif cmd[0] == 'close':",
            "        s.send(('CLOSE fd=' + cmd[1]).encode())",
            "        os.close(refs.pop(cmd[1]))",
            "    elif cmd[0] == 'drop':",
            "        os.close(refs.pop(cmd[1]))");

    private static int unsignalledReaders(DmaBuf buf) {
        List<DmaFence> readers = buf.resv().getFences(DmaResvUsage.READ);
        readers.forEach(DmaFence::put);
        return readers.size();
    }

    @Test
    void a_subscriber_gets_each_frame_with_its_attributes_and_holds_off_the_next_write_until_it_lets_go()
            throws Exception {
        start();
        core.processShare(server);
        Frame f = frame("scanout-0");
        Process p = new ProcessBuilder("python3", "-c", SUBSCRIBER, server.path().toString())
                .redirectErrorStream(true).start();
        processes.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        java.io.Writer in = new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
        assertThat(out.readLine()).isEqualTo("SUBSCRIBED stream=display%2Ftest");
        assertThat(gpu.processesWatch("display/test")).isTrue();
        assertThat(gpu.processesWatch("display/other")).isFalse();

        // four frames at most in its hands; each puts a READ fence of its in the buffer
        for (int i = 0; i < PeerServer.MAX_FRAMES; i++) {
            assertThat(gpu.shareWithProcesses("display/test", f.buf(), java.util.Map.of("frame", String.valueOf(i))))
                    .isEqualTo(1);
        }
        assertThat(gpu.shareWithProcesses("display/test", f.buf(), java.util.Map.of("frame", "4")))
                .as("a fifth passes it by").isZero();
        List<String> fds = new ArrayList<>();
        for (int i = 0; i < PeerServer.MAX_FRAMES; i++) {
            in.write("recv\n");
            in.flush();
            String line = out.readLine();
            assertThat(line).startsWith("FRAME fd=").contains("frame=" + i).endsWith("fds=3");
            fds.add(line.substring("FRAME fd=".length(), line.indexOf(' ', "FRAME fd=".length())));
        }
        assertThat(f.buf().resv().testSignaled(DmaResvUsage.READ)).as("a writer must wait for the process")
                .isFalse();
        for (String fd : fds.subList(0, 2)) {
            in.write("close " + fd + "\n");
            in.flush();
        }
        await("two frames let go with CLOSE", () -> unsignalledReaders(f.buf()) == 2);
        for (String fd : fds.subList(2, 4)) {
            in.write("drop " + fd + "\n"); // it only closes its reference fd: the reference goes as well
            in.flush();
        }
        await("the process let go of every frame: the buffer is free to write",
                () -> f.buf().resv().testSignaled(DmaResvUsage.READ));
        await("and holds no buffer", () -> core.holders(f.buf().inode()).stream().noneMatch(l -> l.startsWith("pid ")));
        assertThat(gpu.shareWithProcesses("display/test", f.buf(), java.util.Map.of("frame", "5"))).isEqualTo(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gpu.shareWithProcesses("display/test", f.buf(),
                java.util.Map.of("bad name", "x"))).hasMessageContaining("attribute 'bad name'");
        p.destroyForcibly();
        await("gone: its frames let go with it", () -> server.count() == 0
                && f.buf().resv().testSignaled(DmaResvUsage.READ));
        assertThat(gpu.processesWatch("display/test")).isFalse();
        f.buf().put();
        gpu.close(f.fd());
    }

    @Test
    void the_java_client_takes_a_streams_frames_and_its_close_lets_the_renderer_write_again() throws Exception {
        start();
        core.processShare(server);
        Frame f = frame("scanout-java");
        try (org.dmabuf.client.PeerClient peer = org.dmabuf.client.PeerClient.connect(server.path(), "viewer")) {
            peer.subscribe("display/java");
            assertThat(gpu.shareWithProcesses("display/java", f.buf(), java.util.Map.of("frame", "7"))).isEqualTo(1);
            try (org.dmabuf.client.PeerClient.Buffer b = peer.nextFrame(java.time.Duration.ofSeconds(10))) {
                assertThat(b.attribute("frame")).isEqualTo("7");
                assertThat(b.awaitWriters(java.time.Duration.ofSeconds(10))).isZero();
                CRC32 crc = new CRC32();
                crc.update(b.memory().asByteBuffer());
                assertThat(crc.getValue()).isEqualTo(f.crc());
                assertThat(f.buf().resv().testSignaled(DmaResvUsage.READ)).as("held: a writer waits").isFalse();
            }
            assertThat(f.buf().resv().testSignaled(DmaResvUsage.READ)).as("let go").isTrue();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> peer.nextFrame(java.time.Duration.ofMillis(50)))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class);
        }
        await("disconnected", () -> server.count() == 0);
        f.buf().put();
        gpu.close(f.fd());
    }

}
