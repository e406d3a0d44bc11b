// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.TimeUnit;

import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.it.bundles.oom.OomRendererActivator;
import org.dmabuf.testsupport.Devices;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.osgi.framework.Bundle;

/** A display survives its source: whatever a source throws, even an Error, is contained and the display goes on. */
public class DisplayRobustnessIT extends PlatformTest {
    private static final String GPU = "0000:05:00.0";

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
}
