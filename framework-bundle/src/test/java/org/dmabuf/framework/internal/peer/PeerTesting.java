// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** What the peer-socket tests share: the Python client, started as a process, waiting on a thing, the JVM's fds. */
final class PeerTesting {
    /** The Python client, standard library only. */
    static final Path CLIENT = Path.of("..", "clients", "python", "dmabuf_peer.py").toAbsolutePath();

    private PeerTesting() {
    }

    /** Starts {@code dmabuf_peer.py --socket <socket> <args>}, remembered in {@code started} (to kill after). */
    static Process python(List<Process> started, Path socket, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("python3", CLIENT.toString(), "--socket", socket.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    /** Waits for the thing itself, 20 s at most. */
    static void await(String what, BooleanSupplier done) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(end);
            Thread.onSpinWait();
        }
    }

    /** @return the fds open in this JVM now */
    static long openFds() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
