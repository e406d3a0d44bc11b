// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.TimeUnit;

import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.it.bundles.oom.OomRendererActivator;
import org.dmabuf.it.bundles.stuck.StuckRendererActivator;
import org.dmabuf.testsupport.Devices;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.osgi.framework.Bundle;

/** A display survives its source: whatever a source throws, even an Error, is contained and the display goes on. */
public class DisplayRobustnessIT extends PlatformTest {
    private static final String GPU = "0000:05:00.0";
    private static final String HUNG = "0000:06:00.0";

    @Test
    public void a_source_throwing_an_out_of_memory_error_is_dropped_and_the_display_shows_its_own() throws Exception {
        DisplayEngine intel = await(DisplayEngine.class, "(dmabuf.device.name=0000:00:02.0)");
        long bad = intel.stats().bad();
        Bundle oom = TestBundles.bundle("test.oom").activator(OomRendererActivator.class)
                .imports("org.dmabuf.api.display;version=\"[1.1,2)\"").install(context);
        Devices.plug(context, GPU, "0x1234", "0x0001", "render");
        try {
            oom.start();
            await(RenderNode.class, "(dmabuf.device.name=" + GPU + ")");
            assertEquals("ranked first, it is chosen", "test.oom " + GPU + " (PRIME)", intel.source());

            DisplayStats s = intel.run(10, TimeUnit.SECONDS.toNanos(10));
            assertTrue("the failed frame is skipped, never bad: " + s, s.skipped() >= 1 && s.bad() == 0);
            assertTrue("then its own rendering: " + s, s.good() > 0 && s.renderer().contains("(own)"));
            assertEquals("the display tells the truth", "i915 0000:00:02.0 (own)", intel.source());
            assertEquals(bad, intel.stats().bad());
        } finally {
            oom.uninstall();
            Devices.unplug(context, GPU);
        }
    }

    @Test
    public void a_source_whose_renders_never_complete_cannot_freeze_the_display() throws Exception {
        DisplayEngine intel = await(DisplayEngine.class, "(dmabuf.device.name=0000:00:02.0)");
        Bundle stuck = TestBundles.bundle("test.stuck").activator(StuckRendererActivator.class)
                .imports("org.dmabuf.api.display;version=\"[1.1,2)\"").imports("org.dmabuf.drm;version=\"[2.0,3)\"")
                .install(context);
        Devices.plug(context, HUNG, "0x1235", "0x0001", "render");
        try {
            stuck.start();
            await(RenderNode.class, "(dmabuf.device.name=" + HUNG + ")");
            assertEquals("test.stuck " + HUNG + " (PRIME)", intel.source());

            long t0 = System.nanoTime();
            DisplayStats s = intel.run(100, TimeUnit.SECONDS.toNanos(3));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue("the demo's limit holds (3 s): it took " + tookMs + " ms", tookMs < 3_000 + 1_000);
            assertEquals("nothing shown, nothing bad: " + s, 0, s.shown());
            assertTrue("missed frames are skipped: " + s, s.skipped() > 0);
            // the display told the hung GPU when it needed its frames (dma_fence_set_deadline): dmabuf:fences shows it
            String fences = new org.dmabuf.testsupport.Console(context).run("dmabuf:fences");
            assertTrue(fences, java.util.regex.Pattern.compile("test\\.stuck:hung .*\\n(  seq \\d+: active, \\d+ "
                    + "waiters?(, deadline (in \\d+ ms|\\d+ ms ago))?\\n)*  seq \\d+: active, \\d+ waiters?, deadline ")
                    .matcher(fences).find());
        } finally {
            stuck.uninstall(); // its fences are signalled -ENODEV; the display lets its swapchain go
            Devices.unplug(context, HUNG);
        }
        DisplayStats own = intel.run(10, TimeUnit.SECONDS.toNanos(10));
        assertTrue("and it goes on with its own: " + own, own.good() > 0 && own.bad() == 0
                && own.renderer().contains("(own)"));
    }
}
