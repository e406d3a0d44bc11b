// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.Platform;
import org.dmabuf.testsupport.PlatformTest;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;

/**
 * Hot-plug while the pipelines run: drivers stopped, started, updated,
 * uninstalled and reinstalled, devices unplugged and plugged in again, and a
 * seeded storm of all of these. After each: no bad frame was ever shown, the
 * display shows who it should, and nothing leaked.
 */
public class HotplugIT extends PlatformTest {
    static final String DGPU = "0000:01:00.0";
    static final String TEGRA_GPU = "57000000.gpu";
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private Console console;

    /** The panels scan out at 30 Hz, as in the distribution, while the tests run frames of their own. */
    @Override
    @Configuration
    public Option[] config() {
        return Platform.options(frameworkProperty("dmabuf.display.refresh").value("30"));
    }

    @Before
    public void exportSymbol() throws Exception {
        console = new Console(context);
        console.run("dmabuf:policy export-symbol"); // nvidia runs
        awaitRenderNode(DGPU);
    }

    @After
    public void restore() throws Exception {
        for (String bsn : List.of("i915", "tegra_drm", "nvidia")) {
            if (bundle(bsn).getState() != Bundle.ACTIVE) {
                bundle(bsn).start();
            }
        }
        for (String dev : List.of(DGPU, TEGRA_GPU)) {
            if (console.run("dmabuf:devices").lines().noneMatch(l -> l.startsWith(dev))) { // listed only when present
                console.run("dmabuf:plug " + dev);
            }
        }
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    private DisplayEngine display(String kind) throws Exception {
        return await(DisplayEngine.class, "(dmabuf.kind=" + kind + ")");
    }

    private RenderNode awaitRenderNode(String device) throws Exception {
        return await(RenderNode.class, "(dmabuf.device.name=" + device + ")");
    }

    private boolean renderNodePresent(String device) throws Exception {
        return !context.getServiceReferences(RenderNode.class, "(dmabuf.device.name=" + device + ")").isEmpty();
    }

    private static void assertWhole(DisplayStats s, String renderer) {
        assertEquals("no bad frame, ever: " + s, 0, s.bad());
        assertTrue("frames shown: " + s, s.good() > 0);
        assertEquals(s.toString(), s.shown(), s.good());
        assertTrue("rendered by " + renderer + ": " + s, s.renderer().contains(renderer));
    }

    private long nvidiaBuffers() {
        return debug.buffers().stream().filter(b -> b.expName().equals("nvidia")).count();
    }

    /** Frames scanned out on another thread while the test changes the platform under them. */
    private final class Background implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final CompletableFuture<Long> frames;

        Background(DisplayEngine display) {
            frames = CompletableFuture.supplyAsync(() -> {
                long n = 0;
                while (!stop.get()) {
                    n += display.run(1, 10 * SECOND).shown();
                }
                return n;
            });
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            frames.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    public void optimus_falls_back_to_intel_when_nvidia_stops_and_resumes_prime_when_it_starts() throws Exception {
        DisplayEngine intel = display("intel");
        long bad = intel.stats().bad();
        assertWhole(intel.run(30, 10 * SECOND), "nvidia " + DGPU + " (PRIME)");
        try (Background running = new Background(intel)) {
            bundle("nvidia").stop();
            assertWhole(intel.run(30, 10 * SECOND), "i915 0000:00:02.0 (own)");
            assertEquals("nvidia's buffers are released once the displays let go:\n" + debug.bufinfo(), 0,
                    nvidiaBuffers());
            bundle("nvidia").start();
            awaitRenderNode(DGPU);
            assertWhole(intel.run(30, 10 * SECOND), "nvidia " + DGPU + " (PRIME)");
        }
        assertEquals("no torn or stale frame counted as good, through both switches", bad, intel.stats().bad());
    }

    @Test
    public void nvidia_updated_uninstalled_and_reinstalled_mid_stream() throws Exception {
        DisplayEngine intel = display("intel");
        long bad = intel.stats().bad();
        try (Background running = new Background(intel)) {
            Bundle nvidia = bundle("nvidia");
            String location = nvidia.getLocation();
            nvidia.update();
            awaitRenderNode(DGPU);
            assertWhole(intel.run(20, 10 * SECOND), "nvidia " + DGPU + " (PRIME)");

            nvidia.uninstall();
            assertWhole(intel.run(20, 10 * SECOND), "(own)");
            Bundle again = context.installBundle(location);
            again.start();
            awaitRenderNode(DGPU);
            assertWhole(intel.run(20, 10 * SECOND), "nvidia " + DGPU + " (PRIME)");
        }
        assertEquals(bad, intel.stats().bad());
    }

    @Test
    public void unplugging_and_plugging_in_the_discrete_gpu_mid_stream() throws Exception {
        DisplayEngine intel = display("intel");
        long bad = intel.stats().bad();
        try (Background running = new Background(intel)) {
            assertTrue(console.run("dmabuf:unplug " + DGPU), console.run("dmabuf:devices").lines()
                    .noneMatch(l -> l.startsWith(DGPU)));
            assertTrue("plug-able again", console.run("dmabuf:plug").contains(DGPU + " (nvidia)"));
            assertTrue("nvidia unbound from the GPU", !renderNodePresent(DGPU));
            // the next render node by the PRIME source rule (no PCI one is left): the Tegra SoC's GPU, via nvidia
            assertWhole(intel.run(20, 10 * SECOND), "nvidia " + TEGRA_GPU + " (PRIME)");
            assertTrue(console.run("dmabuf:plug " + DGPU).contains("plugged in"));
            awaitRenderNode(DGPU);
            assertWhole(intel.run(20, 10 * SECOND), "nvidia " + DGPU + " (PRIME)");
            assertTrue(console.run("dmabuf:devices").lines().anyMatch(l -> l.startsWith(DGPU) && l.endsWith("nvidia")));
        }
        assertEquals(bad, intel.stats().bad());
    }

    @Test
    public void when_the_display_goes_the_render_sides_buffers_are_released() throws Exception {
        DisplayEngine intel = display("intel");
        assertWhole(intel.run(10, 10 * SECOND), "(PRIME)");
        List<Long> shared = debug.buffers().stream().filter(b -> b.expName().equals("nvidia")
                && b.attachedDevices().contains("0000:00:02.0")).map(b -> b.ino()).toList();
        assertEquals("three framebuffers shared with Intel", 3, shared.size());
        bundle("i915").stop();
        assertTrue("released as soon as nobody holds them:\n" + debug.bufinfo(),
                debug.buffers().stream().noneMatch(b -> shared.contains(b.ino())));
        bundle("i915").start();
        assertWhole(display("intel").run(10, 10 * SECOND), "(PRIME)");
    }

    @Test
    public void tegra_shows_the_geforce_frames_and_survives_nvidia_going() throws Exception {
        DisplayEngine tegra = display("tegra-dc");
        awaitRenderNode(TEGRA_GPU);
        assertWhole(tegra.run(30, 10 * SECOND), "nvidia " + TEGRA_GPU + " (PRIME)");
        bundle("nvidia").stop();
        DisplayStats nothing = tegra.run(10, 10 * SECOND);
        assertEquals("no renderer: nothing shown, nothing bad, no hang: " + nothing, 0, nothing.shown());
        assertEquals(10, nothing.skipped());
        bundle("nvidia").start();
        awaitRenderNode(TEGRA_GPU);
        assertWhole(tegra.run(30, 10 * SECOND), "nvidia " + TEGRA_GPU + " (PRIME)");
        String demo = console.run("dmabuf:demo tegra 50");
        assertTrue(demo, demo.contains("50 frames shown, 50 CRC matches, 0 bad"));
    }

    @Test
    public void with_every_driver_stopped_nothing_is_left() throws Exception {
        display("intel").run(10, 10 * SECOND);
        display("tegra-dc").run(10, 10 * SECOND);
        for (String bsn : List.of("i915", "tegra_drm", "nvidia")) {
            bundle(bsn).stop();
        }
        assertEquals(debug.bufinfo(), 0, debug.bufferCount());
        assertTrue(console.run("dmabuf:bufinfo").endsWith("Total 0 objects, 0 bytes\n"));
        assertEquals("every off-heap byte freed", 0, debug.offHeapBytes());
    }

    @Test
    public void a_seeded_storm_of_random_hotplug_during_a_running_pipeline() throws Exception {
        long seed = Long.getLong("dmabuf.storm.seed", System.nanoTime());
        Random random = new Random(seed);
        DisplayEngine intel = display("intel");
        long bad = intel.stats().bad();
        String step = "start";
        try (Background running = new Background(intel)) {
            for (int i = 0; i < 200; i++) {
                step = storm(random);
                if (bundle("i915").getState() == Bundle.ACTIVE && i % 20 == 19) {
                    DisplayStats s = display("intel").run(5, 10 * SECOND);
                    assertEquals("step " + i + " (" + step + "): " + s, 0, s.bad());
                }
            }
        } catch (Throwable t) {
            throw new AssertionError("hot-plug storm with seed " + seed + " failed after " + step
                    + " (rerun with -Ddmabuf.storm.seed=" + seed + ")", t);
        }
        restore();
        DisplayEngine after = display("intel");
        awaitRenderNode(DGPU);
        assertWhole(after.run(20, 10 * SECOND), "(PRIME)");
        if (after == intel) {
            assertEquals("seed " + seed, bad, intel.stats().bad());
        }
        for (String bsn : List.of("i915", "tegra_drm", "nvidia")) {
            bundle(bsn).stop();
        }
        assertEquals("seed " + seed + ": leak-free\n" + debug.bufinfo(), 0, debug.bufferCount());
        assertEquals("seed " + seed, 0, debug.offHeapBytes());
    }

    private String storm(Random random) throws Exception {
        String[] drivers = {"nvidia", "i915", "tegra_drm"};
        switch (random.nextInt(5)) {
            case 0, 1 -> {
                Bundle b = bundle(drivers[random.nextInt(drivers.length)]);
                if (b.getState() == Bundle.ACTIVE) {
                    b.stop();
                    return "stop " + b.getSymbolicName();
                }
                b.start();
                return "start " + b.getSymbolicName();
            }
            case 2 -> {
                String dev = random.nextBoolean() ? DGPU : TEGRA_GPU;
                boolean plugged = console.run("dmabuf:devices").lines()
                        .anyMatch(l -> l.startsWith(dev) && l.contains(" plugged "));
                console.run((plugged ? "dmabuf:unplug " : "dmabuf:plug ") + dev);
                return (plugged ? "unplug " : "plug ") + dev;
            }
            case 3 -> {
                if (bundle("i915").getState() == Bundle.ACTIVE) {
                    DisplayStats s = display("intel").run(1 + random.nextInt(5), 10 * SECOND);
                    if (s.bad() != 0) {
                        fail("bad frame: " + s);
                    }
                }
                return "frames";
            }
            default -> {
                Bundle b = bundle("nvidia");
                if (b.getState() == Bundle.ACTIVE) {
                    b.update();
                    return "update nvidia";
                }
                return "nothing";
            }
        }
    }
}
