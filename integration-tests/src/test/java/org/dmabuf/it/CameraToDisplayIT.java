// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.ProcessFrames;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.PlatformTest;
import org.junit.Test;

/**
 * A camera in another process: a Python process with nothing but its
 * standard library makes three memfds, sends them over the peer socket
 * (udmabuf takes them), publishes them as a stream, and fills each frame the
 * display asks for. The drm helpers offer the stream to the displays as a
 * PRIME render node; i915 takes it (its ranking is above the GPUs'), scans
 * its frames out of the process's own pages and checks each one's CRC. Killed
 * with SIGKILL mid-stream, the camera leaves no buffer, thread or service
 * behind, and i915 falls back to the GPUs.
 */
public class CameraToDisplayIT extends PlatformTest {
    private static final Path CLIENT = Path.of("..", "clients", "python", "dmabuf_peer.py").toAbsolutePath();
    private static final String IGPU = "0000:00:02.0";

    @Test
    public void i915_scans_out_a_python_cameras_frames_with_no_bad_frame_and_nothing_left_when_it_is_killed()
            throws Exception {
        Console console = new Console(context);
        DisplayEngine intel = await(DisplayEngine.class, "(dmabuf.device.name=" + IGPU + ")");
        Process camera = new ProcessBuilder("python3", CLIENT.toString(), "--socket",
                context.getProperty("dmabuf.peer.socket"), "camera", "camera/it", "--frames", "0", "--display", IGPU)
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(camera.getInputStream(),
                    StandardCharsets.UTF_8));
            String first = out.readLine();
            assertTrue(first, first != null && first.contains("\"published\": \"camera/it\"")
                    && first.contains("\"zero_copy\": true"));
            await(ProcessFrames.class, "(" + ProcessFrames.PROP_STREAM + "=camera/it)");
            await(RenderNode.class, "(" + ProcessFrames.PROP_STREAM + "=camera/it)");
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!intel.run(3, TimeUnit.SECONDS.toNanos(10)).renderer().contains("udmabuf camera/it (PRIME)")) {
                assertTrue("i915 shows the camera's frames: " + intel.stats(), System.nanoTime() < end);
            }
            // the platform maps the process's own files: memfd_create("camera-0") is the process's name for it
            assertTrue("the JVM maps the camera's memfds", Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .anyMatch(l -> l.contains("/memfd:camera-0")));
            String bufinfo = console.run("dmabuf:bufinfo");
            assertTrue(bufinfo, bufinfo.contains("udmabuf") && bufinfo.contains("camera-0")
                    && bufinfo.contains(": pid " + camera.pid() + " (python3), fd "));
            assertTrue(console.run("dmabuf:peers"), console.run("dmabuf:peers").contains("pid " + camera.pid()));

            DisplayStats s = intel.run(60, TimeUnit.SECONDS.toNanos(60));
            assertEquals("no bad frame from the camera: " + s, 0, s.bad());
            assertTrue("the camera's frames, each whole: " + s, s.good() >= 50 && s.good() == s.shown());
            assertTrue(s.renderer(), s.renderer().contains("udmabuf camera/it"));
        } finally {
            camera.destroyForcibly(); // SIGKILL, mid-stream
        }
        assertTrue(camera.waitFor(20, TimeUnit.SECONDS));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (String left = leftOf(camera, intel, console); !left.isEmpty(); left = leftOf(camera, intel, console)) {
            assertTrue("the camera's buffers, node, connection and thread are gone, but not " + left,
                    System.nanoTime() < end);
        }
        assertTrue("i915 falls back to the GPUs", !intel.source().contains("udmabuf"));
        DisplayStats after = intel.run(10, TimeUnit.SECONDS.toNanos(30));
        assertEquals("and shows their frames whole: " + after, 0, after.bad());
    }

    // what the camera left: empty when nothing
    private String leftOf(Process camera, DisplayEngine intel, Console console) throws Exception {
        StringBuilder left = new StringBuilder();
        if (intel.run(1, TimeUnit.SECONDS.toNanos(10)).renderer().contains("udmabuf")) {
            left.append("i915 shows it; ");
        }
        if (debug.buffers().stream().anyMatch(b -> b.expName().equals("udmabuf"))) {
            left.append("buffers: ").append(console.run("dmabuf:bufinfo")).append("; ");
        }
        String peers = console.run("dmabuf:peers");
        if (!peers.contains("0 processes connected")) {
            left.append(peers).append("; ");
        }
        for (Class<?> type : new Class<?>[] {RenderNode.class, ProcessFrames.class}) {
            var refs = context.getServiceReferences(type.getName(), "(" + ProcessFrames.PROP_STREAM + "=camera/it)");
            if (refs != null) {
                left.append(type.getSimpleName()).append(" services ").append(java.util.Arrays.toString(refs))
                        .append("; ");
            }
        }
        if (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("dmabuf-peer pid "
                + camera.pid()))) {
            left.append("its thread; ");
        }
        return left.toString();
    }
}
