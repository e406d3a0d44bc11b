// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.Devices;
import org.dmabuf.testsupport.PlatformTest;
import org.junit.Test;

/**
 * Optimus, seen from another process: nvidia renders into memfd framebuffers
 * (the board says so for its GPU), i915 scans them out, and a Python process
 * with nothing but its standard library subscribes to i915's display and
 * checks every frame it is handed (its frame number and CRC-32) in the very
 * pages nvidia wrote; its READ fence in each frame holds nvidia's next render
 * of that buffer off until it lets go, so no frame tears under it.
 */
public class OptimusToProcessIT extends PlatformTest {
    private static final Path CLIENT = Path.of("..", "clients", "python", "dmabuf_peer.py").toAbsolutePath();
    private static final String DGPU = "0000:01:00.0";
    private static final String IGPU = "0000:00:02.0";

    @Test
    public void a_python_process_checks_every_frame_nvidia_rendered_and_i915_scanned_out_with_nothing_copied()
            throws Exception {
        Console console = new Console(context);
        assertTrue(console.run("dmabuf:policy export-symbol").contains("export-symbol"));
        // the discrete GPU again, its framebuffers in the memfd heap
        Devices.unplug(context, DGPU);
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("name", DGPU);
        p.put("kind", "nvidia");
        p.put("vendor", "0x10de");
        p.put("device", "0x2520");
        p.put("model", "NVIDIA GeForce RTX 3060 Mobile");
        p.put("engines", new String[] {"render"});
        p.put("iommu", true);
        p.put("vram", 268435456L);
        p.put("framebuffer.heap", "memfd"); // framebuffer_heap() of the device's configuration
        Devices.plug(context, p);
        DisplayEngine intel = await(DisplayEngine.class, "(dmabuf.device.name=" + IGPU + ")");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!intel.run(3, TimeUnit.SECONDS.toNanos(10)).renderer().contains("nvidia " + DGPU + " (PRIME)")) {
            assertTrue("i915 shows nvidia's frames: " + intel.stats(), System.nanoTime() < end);
        }
        assertTrue("nvidia's framebuffers are memfd memory", debug.heaps().stream()
                .anyMatch(h -> h.name().equals("memfd") && h.usedBytes() >= 3 * 640 * 480 * 4));
        long badBefore = intel.stats().bad();

        Process watch = new ProcessBuilder("python3", CLIENT.toString(), "--socket",
                context.getProperty("dmabuf.peer.socket"), "--timeout", "5", "watch", "display/" + IGPU,
                "--frames", "30").redirectErrorStream(true).start();
        try {
            // the panel scans out while the process watches (a test drives its vblanks)
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (watch.isAlive()) {
                assertTrue("the process saw 30 frames within 60 s", System.nanoTime() < until);
                intel.run(1, TimeUnit.SECONDS.toNanos(10));
            }
            String out = new String(watch.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(out, out.contains("\"frames\": 30") && out.contains("\"good\": 30") && out.contains("\"bad\": 0")
                    && out.contains("\"zero_copy\": true") && out.contains("\"bytes_copied\": 0"));
            assertEquals(out, 0, watch.exitValue());
        } finally {
            watch.destroyForcibly();
        }
        DisplayStats after = intel.stats();
        assertEquals("no bad frame on the panel meanwhile: " + after, badBefore, after.bad());
        long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!console.run("dmabuf:peers").contains("0 processes connected")) {
            assertTrue("the process's frames are dropped when it ends", System.nanoTime() < gone);
            Thread.onSpinWait();
        }
    }
}
