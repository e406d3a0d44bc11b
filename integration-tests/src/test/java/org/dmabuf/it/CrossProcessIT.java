// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.PlatformTest;
import org.junit.Test;

/**
 * The distribution's peer socket, with a Python process of the standard
 * library only: a buffer the console allocated from the memfd heap is mapped
 * by the process with nothing copied, the process shows in dmabuf:peers and
 * dmabuf:holders while it holds it, and it is gone when the process is killed.
 */
public class CrossProcessIT extends PlatformTest {
    private static final Path CLIENT = Path.of("..", "clients", "python", "dmabuf_peer.py").toAbsolutePath();

    @Test
    public void a_python_process_receives_a_memfd_buffer_of_the_console_and_leaves_nothing_when_killed()
            throws Exception {
        String socket = context.getProperty("dmabuf.peer.socket");
        assertNotNull("conf/config.properties names the peer socket", socket);
        Console console = new Console(context);
        String alloc = console.run("dmabuf:alloc memfd 64K it-frame");
        assertTrue(alloc, alloc.contains("65536 bytes from memfd named it-frame"));
        long ino = debug.buffers().stream().filter(b -> "it-frame".equals(b.name())).findFirst().orElseThrow().ino();

        Process get = new ProcessBuilder("python3", CLIENT.toString(), "--socket", socket, "get", "it-frame")
                .redirectErrorStream(true).start();
        String out = new String(get.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(get.waitFor(20, TimeUnit.SECONDS));
        assertTrue(out, out.contains("\"zero_copy\": true") && out.contains("\"bytes_copied\": 0")
                && out.contains("\"crc\": \"") && out.contains("\"fence\": 0"));
        assertEquals(out, 0, get.exitValue());

        Process hold = new ProcessBuilder("python3", CLIENT.toString(), "--socket", socket, "hold", "it-frame")
                .redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(hold.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("READY " + ino, r.readLine());
            String peers = console.run("dmabuf:peers");
            assertTrue(peers, peers.contains("1 process connected") && peers.contains("pid " + hold.pid()
                    + " (python3): uid ") && peers.contains("1 buffer held"));
            String holders = console.run("dmabuf:holders " + ino);
            assertTrue(holders, holders.contains("pid " + hold.pid() + " (python3): fd "));
        } finally {
            hold.destroyForcibly(); // SIGKILL
            assertTrue(hold.waitFor(20, TimeUnit.SECONDS));
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (console.run("dmabuf:holders " + ino).contains("pid " + hold.pid())) {
            assertTrue("the killed process's reference is dropped", System.nanoTime() < end);
            Thread.onSpinWait();
        }
        // the hang-up closes the process's module (its holdings go) before it leaves the list of peers
        String peers;
        while (!(peers = console.run("dmabuf:peers")).contains("0 processes connected")) {
            assertTrue("the killed process leaves the peers: " + peers, System.nanoTime() < end);
            Thread.onSpinWait();
        }
        console.run("dmabuf:close " + alloc.substring(alloc.indexOf("fd ") + 3, alloc.indexOf(':')));
    }
}
