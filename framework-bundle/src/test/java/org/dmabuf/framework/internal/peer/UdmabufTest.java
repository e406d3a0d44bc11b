// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dmabuf.framework.internal.peer.PeerTesting.await;
import static org.dmabuf.framework.internal.peer.PeerTesting.openFds;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ProcessFrames;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.LoadedModule;
import org.dmabuf.framework.internal.heap.MemfdHeap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The other way (udmabuf): a Python process with nothing but its standard
 * library makes its own memfds, sends them, publishes them as a stream, and
 * fills each buffer with the frame it is asked for; the platform maps the
 * very file the process wrote. The test plays the display: it receives the
 * stream's buffers, asks for frames and reads them. Bad input from a process
 * gets an error that says what was expected and changes nothing; a process
 * killed mid-stream leaves nothing behind.
 */
class UdmabufTest {
    private static final long MAGIC = 0x444d414255462d31L;
    @TempDir
    Path dir;
    final DmaBufCore core = new DmaBufCore(List.of(new MemfdHeap(64L << 20)));
    final LoadedModule display = core.openModule("i915", 11);
    final List<Process> processes = new ArrayList<>();
    final List<ProcessFrames> published = new CopyOnWriteArrayList<>();
    final List<ProcessFrames> unpublished = new CopyOnWriteArrayList<>();
    PeerServer server;

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
        if (server != null) {
            server.close();
        }
    }

    private void start() throws IOException {
        server = PeerServer.start(core, dir.resolve("run").resolve("dmabuf.sock"), new PeerServer.Publisher() {
            @Override
            public Object publish(ProcessFrames frames, Map<String, Object> properties) {
                assertThat(properties).containsEntry(ProcessFrames.PROP_STREAM, frames.stream())
                        .containsKey(ProcessFrames.PROP_PID).containsKey("service.ranking");
                published.add(frames);
                return frames;
            }

            @Override
            public void unpublish(Object handle) {
                unpublished.add((ProcessFrames) handle);
            }
        });
    }

    private Process python(String... args) throws IOException {
        return PeerTesting.python(processes, server.path(), args);
    }


    private static List<String> memfdMappings(String name) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("/memfd:" + name))
                .toList();
    }

    // the display's side: the stream's buffers, received into its own table
    private DmaBuf[] receive(ProcessFrames f) {
        DmaBuf[] bufs = new DmaBuf[f.count()];
        for (int i = 0; i < bufs.length; i++) {
            int fd = display.receive(f.send(i));
            bufs[i] = display.get(fd);
            display.close(fd);
        }
        return bufs;
    }

    // asks for a frame, waits for its fence, and reads its header where a reader does (after beginCpuAccess)
    private static long show(ProcessFrames f, DmaBuf buf, int index, long frame) {
        DmaFence job = f.fill(index, frame);
        try {
            assertThat(job.waitTimeout(TimeUnit.SECONDS.toNanos(10), false)).as("frame %d filled", frame)
                    .isPositive();
            assertThat(job.getStatus()).isEqualTo(1);
            assertThat(buf.resv().testSignaled(DmaResvUsage.WRITE)).isTrue();
        } finally {
            job.put();
        }
        buf.beginCpuAccess(DmaDirection.FROM_DEVICE);
        try {
            MemorySegment m = buf.vmap();
            try {
                assertThat(m.get(ValueLayout.JAVA_LONG_UNALIGNED, 8)).isEqualTo(MAGIC);
                return m.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            } finally {
                buf.vunmap(m);
            }
        } finally {
            buf.endCpuAccess(DmaDirection.FROM_DEVICE);
        }
    }

    @ParameterizedTest(name = "write fence as an eventfd: {0}")
    @ValueSource(booleans = {false, true})
    void a_camera_process_fills_each_frame_asked_for_in_its_own_memfd_which_the_platform_maps(boolean eventfd)
            throws Exception {
        start();
        List<String> args = new ArrayList<>(List.of("camera", "camera/test", "--frames", "9", "--width", "64",
                "--height", "32"));
        if (eventfd) {
            args.add("--eventfd");
        }
        Process p = python(args.toArray(String[]::new));
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        assertThat(first).contains("\"published\": \"camera/test\"", "\"zero_copy\": true");
        await("the stream is published", () -> published.size() == 1);
        ProcessFrames f = published.get(0);
        assertThat(f.process()).isEqualTo("pid " + p.pid() + " (python3)");
        assertThat(List.of(f.width(), f.height(), f.stride(), f.count())).containsExactly(64, 32, 256, 3);
        assertThat(f.format()).isEqualTo("XR24");
        assertThat(server.streams()).singleElement().asString().startsWith("camera/test: pid " + p.pid());

        DmaBuf[] bufs = receive(f);
        assertThat(bufs[0].expName()).isEqualTo("udmabuf");
        // bufinfo says which process holds each: its three references
        assertThat(core.bufinfo()).contains("\nHeld by processes (the peer socket):\n")
                .contains("ino " + bufs[0].inode() + ": pid " + p.pid() + " (python3), fd ");
        assertThat(bufs[0].size()).isEqualTo(8192);
        // the platform maps the file the process made: its name is the process's (memfd_create("camera-0"))
        assertThat(memfdMappings("camera-")).hasSize(3);
        for (long frame = 0; frame < 9; frame++) {
            assertThat(show(f, bufs[(int) (frame % 3)], (int) (frame % 3), frame)).isEqualTo(frame);
        }
        String last = out.readLine();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(last).contains("\"filled\": 9", "\"first\": 0", "\"last\": 8", "\"errors\": []",
                "\"zero_copy\": true", "\"bytes_copied\": 0");
        assertThat(p.exitValue()).isZero();
        await("UNPUBLISH took the stream away", () -> unpublished.contains(f) && !f.isLive());
        assertThatThrownBy(() -> f.fill(0, 9)).isInstanceOf(DmaBufException.class)
                .satisfies(e -> assertThat(((DmaBufException) e).errno()).isEqualTo(Errno.ENODEV));
        // the display's references keep the buffers, and their pages, after the process left
        await("the process's connection and what it held are gone", () -> server.count() == 0
                && core.holders(bufs[0].inode()).stream().noneMatch(l -> l.startsWith("pid ")));
        assertThat(core.bufferCount()).isEqualTo(3);
        for (DmaBuf b : bufs) {
            b.put();
        }
        assertThat(core.bufferCount()).isZero();
        assertThat(memfdMappings("camera-")).as("unmapped with the buffers").isEmpty();
        assertThat(server.watchedEventfds()).isZero();
    }

    @Test
    void a_camera_killed_mid_stream_leaves_no_stream_buffer_fd_or_thread() throws Exception {
        start();
        long idle = openFds();
        Process p = python("camera", "camera/kill", "--frames", "0", "--width", "64", "--height", "32");
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).contains("\"published\"");
        await("published", () -> published.size() == 1);
        ProcessFrames f = published.get(0);
        DmaBuf[] bufs = receive(f);
        assertThat(show(f, bufs[0], 0, 0)).isZero();

        p.destroyForcibly(); // SIGKILL
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        await("the stream ends with its process", () -> unpublished.contains(f) && server.count() == 0);
        assertThatThrownBy(() -> f.fill(1, 1)).isInstanceOf(DmaBufException.class);
        await("its thread ended", () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("dmabuf-peer pid " + p.pid())));
        assertThat(core.holders(bufs[0].inode())).noneMatch(l -> l.startsWith("pid ") || l.startsWith("udmabuf"));
        for (DmaBuf b : bufs) {
            b.put();
        }
        assertThat(core.bufferCount()).isZero();
        await("every fd it cost is closed", () -> openFds() <= idle);
    }

    // a process that says each line of stdin in turn, with the fds that line asks for, and prints each reply
    private static final String SCRIPT = String.join("\n",
            "import fcntl, os, socket, sys",
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)",
            "s.connect(sys.argv[1])",
            "def memfd(size, seals):",
            "    f = os.memfd_create('bad', os.MFD_ALLOW_SEALING)",
            "    os.ftruncate(f, size)",
            "    if seals: fcntl.fcntl(f, fcntl.F_ADD_SEALS, seals)",
            "    return f",
            "fds = {'sealed': lambda: memfd(4096, fcntl.F_SEAL_SHRINK), 'unsealed': lambda: memfd(4096, 0),",
            "       'big': lambda: memfd(8192, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW),",
            "       'writeseal': lambda: memfd(4096, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_WRITE),",
            "       'pipe': lambda: os.pipe()[0], 'eventfd': lambda: os.eventfd(0)}",
            "kept = []",
            "for line in sys.stdin:",
            "    kind, _, msg = line.rstrip('\\n').partition(' ')",
            "    if kind == '-':",
            "        s.send(msg.encode())",
            "    else:",
            "        socket.send_fds(s, [msg.encode()], [fds[kind]()])",
            "    data, rfds, _, _ = socket.recv_fds(s, 4096, 4)",
            "    kept.extend(rfds)  # the reference fds: closing them would drop the references",
            "    print(data.decode(errors='replace'), flush=True)");

    @Test
    void bad_input_from_a_process_gets_an_error_naming_what_was_expected_and_changes_nothing() throws Exception {
        start();
        long idle = openFds();
        Process p = new ProcessBuilder("python3", "-c", SCRIPT, server.path().toString()).redirectErrorStream(true)
                .start();
        processes.add(p);
        var in = p.outputWriter(StandardCharsets.UTF_8);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        java.util.function.Function<String, String> say = line -> {
            try {
                in.write(line + "\n");
                in.flush();
                return out.readLine();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        assertThat(say.apply("- HELLO version=1")).startsWith("WELCOME");
        assertThat(say.apply("- IMPORT size=4096")).startsWith("ERROR code=EMSGSIZE").contains("exactly%20one");
        assertThat(say.apply("unsealed IMPORT size=4096")).startsWith("ERROR code=EINVAL")
                .contains("not%20sealed%20against%20shrinking");
        assertThat(say.apply("sealed IMPORT size=8192")).startsWith("ERROR code=EINVAL")
                .contains("holds%204096%20bytes%2C%20fewer%20than%20size%208192");
        assertThat(say.apply("sealed IMPORT size=100")).startsWith("ERROR code=EINVAL").contains("not%20page%20aligned");
        assertThat(say.apply("pipe IMPORT size=4096")).startsWith("ERROR code=EINVAL").contains("not%20a%20memfd");
        assertThat(say.apply("writeseal IMPORT size=4096")).startsWith("ERROR code=EINVAL")
                .contains("sealed%20against%20writing");
        assertThat(say.apply("sealed IMPORT size=x")).startsWith("ERROR code=EINVAL").contains("size%3Dx");
        assertThat(say.apply("sealed IMPORT size=134217728")).startsWith("ERROR code=E2BIG");
        assertThat(say.apply("sealed IMPORT size=4096 name=" + "n".repeat(33))).startsWith("ERROR code=EINVAL");
        assertThat(core.bufferCount()).as("nothing imported yet").isZero();
        String imported = say.apply("big IMPORT size=8192 name=cam");
        assertThat(imported).startsWith("IMPORTED fd=").contains("exp_name=udmabuf", "size=8192", "name=cam");
        String fd = imported.split(" ")[1].substring(3);
        assertThat(core.bufferCount()).isOne();
        assertThat(say.apply("- PUBLISH stream=camera/x fds=" + fd + " width=64 height=32 stride=200"))
                .startsWith("ERROR code=EINVAL").contains("expected%20width%20*%204%20%3D%20256");
        assertThat(say.apply("- PUBLISH stream=camera/x fds=" + fd + " width=64 height=64 stride=256"))
                .startsWith("ERROR code=EINVAL").contains("fewer%20than%20stride%20*%20height");
        assertThat(say.apply("- PUBLISH stream=camera/x fds=99 width=64 height=32 stride=256"))
                .startsWith("ERROR code=EBADF");
        assertThat(say.apply("- PUBLISH stream=camera/x fds=" + fd + "," + fd + " width=64 height=32 stride=256"))
                .startsWith("ERROR code=EINVAL").contains("named%20twice");
        assertThat(say.apply("- PUBLISH stream=camera/x fds=" + fd + " width=64 height=32 stride=256 format=NV12"))
                .startsWith("ERROR code=EINVAL").contains("XR24");
        assertThat(say.apply("- PUBLISH stream=camera/x fds=" + fd + " width=0 height=32 stride=0"))
                .startsWith("ERROR code=EINVAL").contains("width%3D0");
        assertThat(say.apply("- FILLED stream=camera/x index=0 frame=0")).startsWith("ERROR code=ENOENT");
        assertThat(published).as("no stream from bad input").isEmpty();
        assertThat(say.apply("- PUBLISH stream=camera/x fds=" + fd + " width=64 height=32 stride=256"))
                .isEqualTo("PUBLISHED stream=camera%2Fx");
        assertThat(say.apply("- PUBLISH stream=camera/x fds=" + fd + " width=64 height=32 stride=256"))
                .startsWith("ERROR code=EEXIST");
        assertThat(say.apply("- FILLED stream=camera/x index=0 frame=7")).startsWith("ERROR code=EINVAL")
                .contains("no%20such%20FILL%20is%20pending");
        assertThat(say.apply("- FILLED stream=camera/x index=5 frame=7")).startsWith("ERROR code=EINVAL")
                .contains("index%3D5");
        assertThat(say.apply("sealed FILLED stream=camera/x index=0 frame=7")).startsWith("ERROR code=EINVAL")
                .contains("not%20an%20eventfd");
        assertThat(say.apply("sealed GET name=cam")).startsWith("ERROR code=EMSGSIZE").contains("expected%20none");
        assertThat(say.apply("pipe CLOSE fd=" + fd)).startsWith("ERROR code=EINVAL").contains("not%20an%20eventfd");
        assertThat(published).hasSize(1);
        assertThat(core.bufferCount()).as("the bad requests changed nothing").isOne();
        in.close(); // the process ends: its stream and its buffer go
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        await("everything it had is dropped", () -> server.count() == 0 && unpublished.size() == 1
                && core.bufferCount() == 0);
        await("every fd it sent is closed", () -> openFds() <= idle);
    }

    @Test
    void a_close_refused_for_want_of_release_timelines_changes_nothing() throws Exception {
        start();
        LoadedModule gpu = core.openModule("nvidia", 10);
        int fd = gpu.heap("memfd").allocate(1 << 16);
        DmaBuf buf = gpu.get(fd);
        buf.setName("frame-busy");
        int slots = PeerServer.MAX_FRAMES + PeerServer.MAX_PENDING;
        String script = String.join("\n",
                "import os, socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)",
                "s.connect(sys.argv[1])",
                "s.send(b'HELLO version=1'); s.recv(4096)",
                "kept, last = [], None",
                "for i in range(" + (slots + 1) + "):",
                "    s.send(b'GET name=frame-busy')",
                "    data, fds, _, _ = socket.recv_fds(s, 4096, 4)",
                "    kept.extend(fds)",
                "    n = data.decode().split(' ')[1]",
                "    done = os.eventfd(0)",  // never signalled: each holds a release timeline for a second
                "    kept.append(done)",
                "    socket.send_fds(s, [('CLOSE ' + n).encode()], [done])",
                "    last = s.recv(4096).decode()",
                "print(last, flush=True)",
                "sys.stdin.readline()",
                "os.close(fds[2])  # the refused one's reference fd: closing it lets go of it",
                "print('CLOSED REFERENCE', flush=True)",
                "sys.stdin.readline()");
        Process p = new ProcessBuilder("python3", "-c", script, server.path().toString()).redirectErrorStream(true)
                .start();
        processes.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).startsWith("ERROR code=EBUSY").contains("release%20fences%20of%20this%20process");
        // the refused CLOSE left its reference as it was: held, and counted
        assertThat(core.holders(buf.inode())).filteredOn(l -> l.startsWith("pid " + p.pid())).hasSize(1);
        assertThat(server.describe()).singleElement().asString().contains("1 buffer held");
        var in = p.outputWriter(StandardCharsets.UTF_8);
        in.write("\n");
        in.flush();
        assertThat(out.readLine()).isEqualTo("CLOSED REFERENCE");
        await("and its reference fd still drops it", () -> core.holders(buf.inode()).stream()
                .noneMatch(l -> l.startsWith("pid ")));
        assertThat(server.count()).as("while it stays connected").isOne();
        p.destroyForcibly();
        await("gone, with what it held", () -> server.count() == 0
                && core.holders(buf.inode()).stream().noneMatch(l -> l.startsWith("pid ")));
        buf.put();
        gpu.close(fd);
        await("every release fence let go", () -> core.bufferCount() == 0);
    }

    @Test
    void a_release_eventfd_holds_the_buffer_until_the_process_signals_it_and_carries_its_error() throws Exception {
        start();
        LoadedModule gpu = core.openModule("nvidia", 10);
        int fd = gpu.heap("memfd").allocate(1 << 16);
        DmaBuf buf = gpu.get(fd);
        buf.setName("frame-r");
        String script = String.join("\n",
                "import os, socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)",
                "s.connect(sys.argv[1])",
                "s.send(b'HELLO version=1'); s.recv(4096)",
                "s.send(b'GET name=frame-r')",
                "data, fds, _, _ = socket.recv_fds(s, 4096, 4)",
                "n = data.decode().split(' ')[1]",
                "done = os.eventfd(0)",
                "socket.send_fds(s, [(('CLOSE ' + n).encode())], [done])",
                "print(s.recv(4096).decode(), flush=True)",
                "sys.stdin.readline()",
                "os.eventfd_write(done, (1 << 32) | 5)  # -EIO: the process's read failed",
                "print('SIGNALLED', flush=True)",
                "sys.stdin.readline()");
        Process p = new ProcessBuilder("python3", "-c", script, server.path().toString()).redirectErrorStream(true)
                .start();
        processes.add(p);
        var in = p.outputWriter(StandardCharsets.UTF_8);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).startsWith("CLOSED fd=");
        assertThat(core.holders(buf.inode())).noneMatch(l -> l.startsWith("pid ")); // its reference went
        List<DmaFence> readers = buf.resv().getFences(DmaResvUsage.READ);
        assertThat(readers).as("its release fence stands in the buffer").hasSize(1);
        DmaFence release = readers.get(0);
        assertThat(release.isSignaled()).isFalse();
        assertThat(server.watchedEventfds()).isOne();
        in.write("\n");
        in.flush();
        assertThat(out.readLine()).isEqualTo("SIGNALLED");
        assertThat(release.waitTimeout(TimeUnit.SECONDS.toNanos(10), false)).isPositive();
        assertThat(release.getStatus()).isEqualTo(-5);
        await("the eventfd is let go", () -> server.watchedEventfds() == 0);
        release.put();

        // a process that never signals: timed out, as the watchdog times out a driver's fence
        Process q = new ProcessBuilder("python3", "-c", script, server.path().toString()).redirectErrorStream(true)
                .start();
        processes.add(q);
        BufferedReader out2 = new BufferedReader(new InputStreamReader(q.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out2.readLine()).startsWith("CLOSED fd=");
        DmaFence stuck = buf.resv().getFences(DmaResvUsage.READ).stream().filter(f -> !f.isSignaled()).findFirst()
                .orElseThrow();
        assertThat(stuck.waitTimeout(TimeUnit.SECONDS.toNanos(10), false)).isPositive();
        assertThat(stuck.getStatus()).isEqualTo(Errno.ETIMEDOUT.code());
        stuck.put();
        buf.put();
        gpu.close(fd);
        assertThat(core.bufferCount()).isZero();
    }
}
