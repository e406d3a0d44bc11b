// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Device;
import org.dmabuf.api.Errno;
import org.dmabuf.api.debugfs.HeapInfo;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.it.bundles.provider.ProviderActivator;
import org.dmabuf.it.bundles.renderer.RendererActivator;
import org.dmabuf.testsupport.Platform;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;

/**
 * The public device interface, with the simulated hardware left out: a
 * provider bundle of a test's own adds the devices, a third-party renderer
 * renders into one's local memory, i915 shows it, and unplugging does all
 * that the kernel does (drivers unbind, fences signalled -ENODEV, the heap
 * goes).
 */
public class DeviceProviderIT extends PlatformTest {
    private static final String IGPU = "0000:00:02.0";
    private static final String DGPU = "0000:03:00.0";
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Override
    @Configuration
    public Option[] config() {
        return Platform.options(Platform.without("simulated-gpu.jar"));
    }

    @Test
    public void a_provider_outside_the_framework_adds_a_device_and_its_heap_and_unplugs_it() throws Exception {
        assertTrue("the simulated hardware is not installed", Arrays.stream(context.getBundles())
                .noneMatch(b -> "simgpu".equals(b.getSymbolicName())));
        assertTrue("no device without a provider", context.getServiceReferences(Device.class, null).isEmpty());

        // a third-party driver built against drm 2.0: it does not link the fence annotations the helpers call
        // since 2.1 (dma_fence_begin/end_signalling, the emit tracepoint), and its frames render all the same
        Bundle renderer = TestBundles.bundle("test.renderer").activator(RendererActivator.class)
                .symbols(java.util.Arrays.stream(org.dmabuf.api.Symbol.values()).map(org.dmabuf.api.Symbol::symbolName)
                        .filter(n -> !n.equals("dma_fence_begin_signalling") && !n.equals("dma_fence_end_signalling")
                                && !n.equals("__tracepoint_dma_fence_emit")).toArray(String[]::new))
                .imports("org.dmabuf.drm;version=\"[2.0,3)\"").imports("org.dmabuf.api.display;version=\"[1.1,2)\"")
                .install(context);
        Bundle provider = TestBundles.bundle("test.provider").activator(ProviderActivator.class)
                .imports("org.dmabuf.api.device;version=\"[1.0,2)\"").install(context);
        try {
            renderer.start();
            provider.start();

            // i915 bound the provider's Intel GPU; the third-party renderer the discrete one
            DisplayEngine intel = await(DisplayEngine.class, "(dmabuf.device.name=" + IGPU + ")");
            assertEquals("i915", intel.driver());
            await(RenderNode.class, "(dmabuf.device.name=" + DGPU + ")");
            Device dgpu = await(Device.class, "(dmabuf.device.name=" + DGPU + ")");
            assertEquals("test.provider", context.getServiceReferences(Device.class, "(dmabuf.device.name=" + DGPU
                    + ")").iterator().next().getProperty("dmabuf.provider"));

            // its frames, in the discrete GPU's local memory, scanned out by i915 (PRIME, zero copies)
            DisplayStats s = intel.run(20, 10 * SECOND);
            assertEquals("no bad frame: " + s, 0, s.bad());
            assertTrue("frames shown: " + s, s.good() > 0);
            assertTrue(s.toString(), s.renderer().contains("test.renderer " + DGPU + " (PRIME)"));
            HeapInfo vram = debug.heaps().stream().filter(h -> h.name().equals("vram@" + DGPU)).findFirst()
                    .orElse(null);
            assertNotNull("the device's heap: " + debug.heaps(), vram);
            assertEquals(ProviderActivator.VRAM, vram.capacity());
            assertEquals(DGPU, vram.device());
            assertTrue("three framebuffers in it: " + vram, vram.usedBytes() >= 3L * 640 * 480 * 4);
            assertTrue(debug.bufinfo(), debug.buffers().stream().anyMatch(b -> b.expName().equals("test.renderer")
                    && b.attachedDevices().contains(IGPU)));
            assertNotNull("the intel frame is reachable through the display API", intel.lastFrame());

            // a job of the discrete GPU that never finishes by itself
            DmaFenceService fences = context.getService(context.getServiceReference(DmaFenceService.class));
            DmaFence pending = fences.contextAlloc("test", "gfx@" + DGPU, dgpu).next();
            CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(() -> pending.await(false));
            assertEquals(0, pending.getStatus());

            await(Runnable.class, "(test.unplug=" + DGPU + ")").run();

            assertEquals("the device's pending fence is signalled with -ENODEV", Errno.ENODEV.code(),
                    (int) waiter.get(10, TimeUnit.SECONDS));
            assertEquals(-19, pending.getStatus());
            assertTrue("the device's service is gone",
                    context.getServiceReferences(Device.class, "(dmabuf.device.name=" + DGPU + ")").isEmpty());
            assertTrue("its driver unbound", context.getServiceReferences(RenderNode.class,
                    "(dmabuf.device.name=" + DGPU + ")").isEmpty());
            assertTrue("its heap is gone: " + debug.heaps(), debug.heaps().stream()
                    .noneMatch(h -> h.name().equals("vram@" + DGPU)));
            DisplayStats own = intel.run(10, 10 * SECOND);
            assertEquals(own.toString(), 0, own.bad());
            assertTrue("i915 falls back to its own rendering: " + own, own.renderer().contains("(own)"));

            // the provider stops with the Intel GPU still added: the framework unplugs it for it
            provider.stop();
            assertTrue("no device left", context.getServiceReferences(Device.class, null).isEmpty());
            assertTrue("i915 unbound", context.getServiceReferences(DisplayEngine.class, null).isEmpty());
        } finally {
            provider.uninstall();
            renderer.uninstall();
        }
        assertTrue("nothing left:\n" + debug.bufinfo(), debug.buffers().isEmpty());
    }
}
