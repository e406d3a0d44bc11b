// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Hashtable;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.Devices;
import org.dmabuf.testsupport.PlatformTest;
import org.junit.Test;

/**
 * Tegra scans out of the memfd heap, where its memory can reach: the SoC's
 * GeForce-class GPU renders into memfd framebuffers (frames another process
 * can map), and a display controller behind an SMMU (as on the Tegra parts
 * after K1) scans them out whole. The board's K1 controller has no IOMMU:
 * memfd pages are scattered, so it passes them over, as {@code dma_buf_attach}
 * fails in Linux for a device that cannot reach the memory.
 */
public class TegraMemfdIT extends PlatformTest {
    private static final String DC = "54200000.dc";
    private static final String GPU = "57000000.gpu";

    private void plugDc(boolean iommu) throws Exception {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("name", DC);
        p.put("kind", "tegra-dc");
        p.put("vendor", "0x10de");
        p.put("device", "0x0fa0");
        p.put("model", iommu ? "NVIDIA Tegra display controller behind an SMMU" : "NVIDIA Tegra K1 display controller");
        p.put("engines", new String[] {"display"});
        p.put("iommu", iommu);
        p.put("vram", 0L);
        Devices.plug(context, p);
    }

    @Test
    public void a_display_behind_an_smmu_scans_out_memfd_frames_whole_and_one_without_passes_them_over()
            throws Exception {
        Console console = new Console(context);
        assertTrue(console.run("dmabuf:policy export-symbol").contains("export-symbol"));
        Devices.unplug(context, GPU);
        Devices.unplug(context, DC);
        Hashtable<String, Object> g = new Hashtable<>();
        g.put("name", GPU);
        g.put("kind", "tegra-gpu");
        g.put("vendor", "0x10de");
        g.put("device", "0x0fa1");
        g.put("model", "NVIDIA Tegra K1 GPU (GK20A, GeForce-class)");
        g.put("engines", new String[] {"render"});
        g.put("iommu", true);
        g.put("vram", 0L);
        g.put("framebuffer.heap", "memfd");
        Devices.plug(context, g);
        plugDc(true);
        DisplayEngine tegra = await(DisplayEngine.class, "(dmabuf.device.name=" + DC + ")");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!tegra.run(3, TimeUnit.SECONDS.toNanos(10)).renderer().contains("nvidia " + GPU + " (PRIME)")) {
            assertTrue("tegra-dc shows the GPU's frames: " + tegra.stats(), System.nanoTime() < end);
        }
        assertTrue("the GPU's framebuffers are memfd memory", debug.heaps().stream()
                .anyMatch(h -> h.name().equals("memfd") && h.usedBytes() >= 3 * 640 * 480 * 4));
        DisplayStats s = tegra.run(60, TimeUnit.SECONDS.toNanos(60));
        assertEquals("no bad frame: " + s, 0, s.bad());
        assertTrue("every frame whole: " + s, s.good() == 60 && s.shown() == 60);

        // the K1's controller: no IOMMU, so scattered memfd pages are out of its reach
        Devices.unplug(context, DC);
        plugDc(false);
        DisplayEngine k1 = tegra;
        long replugged = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (k1 == tegra) { // the new controller's engine, not the one unplugged
            assertTrue("the K1 controller's display engine is up", System.nanoTime() < replugged);
            for (var r : context.getServiceReferences(DisplayEngine.class, "(dmabuf.device.name=" + DC + ")")) {
                k1 = context.getService(r);
            }
        }
        DisplayStats none = k1.run(5, TimeUnit.SECONDS.toNanos(10));
        assertEquals("nothing shown from memory it cannot reach: " + none, 0, none.shown());
        assertTrue(k1.source(), k1.source().equals("none"));
    }
}
