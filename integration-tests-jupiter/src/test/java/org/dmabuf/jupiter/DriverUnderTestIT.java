// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.jupiter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.api.debugfs.ModuleInfo;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.testsupport.Console;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.testsupport.Devices;
import org.dmabuf.testsupport.Services;
import org.dmabuf.testsupport.jupiter.DmaBufPlatform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.annotation.Property;
import org.osgi.test.common.annotation.config.WithFactoryConfiguration;

/**
 * A driver's JUnit 5 test as the archetype writes it: the platform as it
 * ships plus the driver under test (lima, from the system property
 * {@code driver.jar}), osgi-test's injection, test-support's helpers.
 */
@DmaBufPlatform
class DriverUnderTestIT {
    private static final String DEVICE = "mali-jupiter.gpu";

    @InjectBundleContext
    BundleContext context;

    @InjectService
    DmaBufService dmabuf;

    @InjectService
    DmaBufDebug debug;

    @Test
    void the_test_runs_in_its_probe_a_module_with_the_drivers_licence() {
        Bundle probe = FrameworkUtil.getBundle(getClass());
        assertThat(probe).as("the test class is loaded by a bundle").isNotNull();
        assertThat(probe.getSymbolicName()).isEqualTo("lima-tests");
        assertThat(probe.getHeaders().get("Bundle-License")).isEqualTo("MIT OR GPL-2.0-only");
        assertThat(context.getBundle()).isEqualTo(probe);
    }

    @Test
    void the_injected_service_is_the_probes_own_view_with_its_own_fd_table() {
        int fd = dmabuf.heap("system").allocate(4096);
        try {
            ModuleInfo mine = debug.modules().stream().filter(m -> m.name().equals("lima-tests")).findFirst()
                    .orElseThrow();
            assertThat(mine.fds()).as("%s", mine).isEqualTo(1);
            assertThat(fd).as("the lowest free fd of a fresh table, after stdin, stdout and stderr").isEqualTo(3);
        } finally {
            dmabuf.close(fd);
        }
    }

    @Test
    void the_driver_binds_a_device_of_its_id_table_and_shows_its_frames(Console console) throws Exception {
        Devices.plug(context, DEVICE, "0x13b5", "0x0400", "render", "display");
        try {
            var tracker = new org.osgi.util.tracker.ServiceTracker<DisplayEngine, DisplayEngine>(context,
                    context.createFilter("(&(objectClass=" + DisplayEngine.class.getName() + ")(dmabuf.device.name="
                            + DEVICE + "))"), null);
            tracker.open();
            try {
                DisplayEngine display = tracker.waitForService(Devices.TIMEOUT_MS);
                assertThat(display).as("lima's display engine for %s", DEVICE).isNotNull();
                DisplayStats stats = display.run(10, TimeUnit.SECONDS.toNanos(10));
                assertThat(stats.good()).as("%s", stats).isEqualTo(10);
                assertThat(stats.bad()).as("%s", stats).isZero();
            } finally {
                tracker.close();
            }
            assertThat(console.run("dmabuf:devices")).contains(DEVICE).contains("lima");
        } finally {
            Devices.unplug(context, DEVICE);
        }
        assertThat(debug.modules().stream().filter(m -> m.name().equals("lima")).findFirst().orElseThrow())
                .extracting(ModuleInfo::fds, ModuleInfo::references, ModuleInfo::attachments)
                .containsExactly(0, 0, 0);
    }

    @Test
    @WithFactoryConfiguration(factoryPid = Devices.FACTORY_PID, name = "jupiter", location = "?", properties = {
            @Property(key = "name", value = "cm-jupiter.gpu"), @Property(key = "kind", value = "test"),
            @Property(key = "vendor", value = "0x13b5"), @Property(key = "device", value = "0x0400"),
            @Property(key = "model", value = "plugged by osgi-test's Configuration Admin extension"),
            @Property(key = "engines", value = "render", type = Property.Type.Array),
            @Property(key = "iommu", value = "true", scalar = Property.Scalar.Boolean),
            @Property(key = "plugged", value = "true", scalar = Property.Scalar.Boolean)})
    void a_device_configured_through_osgi_tests_configuration_extension_is_bound_by_the_driver() throws Exception {
        RenderNode node = Services.await(context, RenderNode.class, "(dmabuf.device.name=cm-jupiter.gpu)");
        assertThat(node).isNotNull();
        assertThat(debug.modules()).anyMatch(m -> m.name().equals("lima"));
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 1 << 20})
    void parameterized_tests_run_inside_too(int size) {
        int fd = dmabuf.heap("system").allocate(size);
        try {
            assertThat(dmabuf.get(fd)).satisfies(b -> {
                try {
                    assertThat(b.size()).isEqualTo(size);
                } finally {
                    b.put();
                }
            });
        } finally {
            dmabuf.close(fd);
        }
    }
}
