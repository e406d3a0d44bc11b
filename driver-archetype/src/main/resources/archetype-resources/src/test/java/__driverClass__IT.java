package ${package};
#if( $testFramework == "pax-exam" )

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.module.ExportPolicy;
import org.dmabuf.api.module.ModuleTable;
import org.dmabuf.testsupport.Devices;
import org.dmabuf.testsupport.Platform;
#if( $exportPolicy == "export-symbol" )
import org.dmabuf.testsupport.ExportSymbolDriverTest;
#else
import org.dmabuf.testsupport.PlatformTest;
#end
import org.junit.Test;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;

#if( $exportPolicy == "export-symbol" )
/**
 * Boots the platform as it ships, under the export-symbol policy this driver
 * is written for, plus this driver, in the real Felix (Pax Exam), and
 * hot-plugs a device of the driver's id table. The test's own bundle is
 * licensed as the driver is, out of tree: the module the kernel would build
 * to test it (ExportSymbolDriverTest).
 */
public class ${driverClass}IT extends ExportSymbolDriverTest {
    private static final String DEVICE = "${deviceKind}-it.gpu";

    @Override
    protected String driverLicence() {
        return "${license}";
    }

    @Configuration
    @Override
    public Option[] config() {
        return options(Platform.driver(Path.of(System.getProperty("driver.jar"))));
    }
#else
/**
 * Boots the platform as it ships, plus this driver, in the real Felix (Pax
 * Exam), and hot-plugs a device of the driver's id table.
 */
public class ${driverClass}IT extends PlatformTest {
    private static final String DEVICE = "${deviceKind}-it.gpu";

    @Configuration
    @Override
    public Option[] config() {
        return Platform.options(Platform.driver(Path.of(System.getProperty("driver.jar"))));
    }
#end

    @Test
    public void it_binds_a_device_of_its_id_table_and_shows_the_frames_it_renders_through_a_dma_buf() throws Exception {
        Devices.plug(context, DEVICE, "${vendorId}", "${deviceId}", "render", "display");
        try {
            DisplayEngine display = await(DisplayEngine.class, "(dmabuf.device.name=" + DEVICE + ")");
            assertEquals("${bsn}", display.driver());

            DisplayStats stats = display.run(10, TimeUnit.SECONDS.toNanos(10));
            assertEquals("frames shown whole: " + stats, 10, stats.good());
            assertEquals("frames torn or wrong: " + stats, 0, stats.bad());
            // the buffers it exported, attached by its own display: what bufinfo shows
            String bufinfo = debug.bufinfo();
            assertTrue(bufinfo, bufinfo.contains("${bsn}"));
            assertNotNull("${bsn} holds a DMA-BUF view", module("${bsn}"));
        } finally {
            Devices.unplug(context, DEVICE);
        }
        // unbound: its display is gone, and it holds nothing
        assertTrue(context.getServiceReferences(DisplayEngine.class, "(dmabuf.device.name=" + DEVICE + ")").isEmpty());
        assertHolds(module("${bsn}"), 0, 0, 0);
    }

#if( $exportPolicy == "export-symbol" )
    @Test
    public void it_runs_under_the_export_symbol_policy_and_the_platform_says_so() throws Exception {
        ModuleTable lsmod = context.getService(context.getServiceReference(ModuleTable.class));
        assertEquals("the policy it is written for", ExportPolicy.EXPORT_SYMBOL, lsmod.policy());
        // listed, not refused, and tainting the platform with its letters (O: out of tree; P: proprietary)
        assertTrue("${bsn} runs, tainted: " + lsmod.modules(), lsmod.modules().stream()
                .anyMatch(m -> m.name().equals("${bsn}") && !m.refused() && m.label().startsWith("${bsn}(")));
        assertTrue(lsmod.taint().toString(), lsmod.taint().get(0).startsWith("Tainted: "));
    }
#else
    @Test
    public void i915_shows_the_frames_it_renders_under_the_default_policy() throws Exception {
        assertEquals("the default policy", ExportPolicy.GPL_ONLY,
                context.getService(context.getServiceReference(ModuleTable.class)).policy());
        Devices.plug(context, DEVICE, "${vendorId}", "${deviceId}", "render", "display");
        try {
            // the PRIME source rule: i915 takes a render node of another device that it can reach
            DisplayEngine intel = await(DisplayEngine.class, "(dmabuf.device.name=0000:00:02.0)");
            await(RenderNode.class, "(dmabuf.device.name=" + DEVICE + ")");
            DisplayStats stats = intel.run(10, TimeUnit.SECONDS.toNanos(10));
            assertEquals("frames torn or wrong: " + stats, 0, stats.bad());
            assertTrue("frames shown whole: " + stats, stats.good() > 0);
            assertTrue("rendered by ${bsn}: " + stats, stats.renderer().contains("${bsn} " + DEVICE + " (PRIME)"));
        } finally {
            Devices.unplug(context, DEVICE);
        }
    }
#end
}
#else

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.module.ExportPolicy;
import org.dmabuf.api.module.ModuleTable;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.Devices;
import org.dmabuf.testsupport.Modules;
import org.dmabuf.testsupport.Services;
import org.dmabuf.testsupport.jupiter.DmaBufPlatform;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
#if( $exportPolicy == "export-symbol" )
 * Boots the platform as it ships, under the export-symbol policy this driver
 * is written for, plus this driver (target/${bsn}.jar), in the real Felix,
 * and hot-plugs a device of the driver's id table. The test runs in its own
 * bundle, licensed as the driver is ("${license}"), out of tree: the module
 * the kernel would build to test it. JUnit 5 with osgi-test; the
 * dmabuf-platform engine of test-support runs it (see pom.xml).
 */
@DmaBufPlatform(policy = ExportPolicy.EXPORT_SYMBOL)
#else
 * Boots the platform as it ships, plus this driver (target/${bsn}.jar), in
 * the real Felix, and hot-plugs a device of the driver's id table. The test
 * runs in its own bundle, licensed as the driver is. JUnit 5 with osgi-test;
 * the dmabuf-platform engine of test-support runs it (see pom.xml).
 */
@DmaBufPlatform
#end
class ${driverClass}IT {
    private static final String DEVICE = "${deviceKind}-it.gpu";

    @InjectBundleContext
    BundleContext context;

    @InjectService
    DmaBufDebug debug;

    @InjectService
    ModuleTable lsmod;

    @Test
    void it_binds_a_device_of_its_id_table_and_shows_the_frames_it_renders_through_a_dma_buf(Console console)
            throws Exception {
        Devices.plug(context, DEVICE, "${vendorId}", "${deviceId}", "render", "display");
        try {
            DisplayEngine display = Services.await(context, DisplayEngine.class, "(dmabuf.device.name=" + DEVICE + ")");
            assertEquals("${bsn}", display.driver());

            DisplayStats stats = display.run(10, TimeUnit.SECONDS.toNanos(10));
            assertEquals(10, stats.good(), () -> "frames shown whole: " + stats);
            assertEquals(0, stats.bad(), () -> "frames torn or wrong: " + stats);
            // the buffers it exported, attached by its own display: what bufinfo shows, as the console shows it
            String bufinfo = console.run("dmabuf:bufinfo");
            assertTrue(bufinfo.contains("${bsn}"), bufinfo);
        } finally {
            Devices.unplug(context, DEVICE);
        }
        // unbound: its display is gone, and it holds nothing
        assertTrue(context.getServiceReferences(DisplayEngine.class, "(dmabuf.device.name=" + DEVICE + ")").isEmpty());
        Modules.assertHolds(Modules.module(context, "${bsn}"), 0, 0, 0);
    }

#if( $exportPolicy == "export-symbol" )
    @Test
    void it_runs_under_the_export_symbol_policy_and_the_platform_says_so() {
        assertEquals(ExportPolicy.EXPORT_SYMBOL, lsmod.policy(), "the policy it is written for");
        // listed, not refused, and tainting the platform with its letters (O: out of tree; P: proprietary)
        assertTrue(lsmod.modules().stream()
                .anyMatch(m -> m.name().equals("${bsn}") && !m.refused() && m.label().startsWith("${bsn}(")),
                () -> "${bsn} runs, tainted: " + lsmod.modules());
        assertTrue(lsmod.taint().get(0).startsWith("Tainted: "), () -> lsmod.taint().toString());
    }
#else
    @Test
    void i915_shows_the_frames_it_renders_under_the_default_policy() throws Exception {
        assertEquals(ExportPolicy.GPL_ONLY, lsmod.policy(), "the default policy");
        Devices.plug(context, DEVICE, "${vendorId}", "${deviceId}", "render", "display");
        try {
            // the PRIME source rule: i915 takes a render node of another device that it can reach
            DisplayEngine intel = Services.await(context, DisplayEngine.class, "(dmabuf.device.name=0000:00:02.0)");
            Services.await(context, RenderNode.class, "(dmabuf.device.name=" + DEVICE + ")");
            DisplayStats stats = intel.run(10, TimeUnit.SECONDS.toNanos(10));
            assertEquals(0, stats.bad(), () -> "frames torn or wrong: " + stats);
            assertTrue(stats.good() > 0, () -> "frames shown whole: " + stats);
            assertTrue(stats.renderer().contains("${bsn} " + DEVICE + " (PRIME)"), () -> "rendered by ${bsn}: " + stats);
        } finally {
            Devices.unplug(context, DEVICE);
        }
    }
#end
}
#end
