// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.dmabuf.api.debugfs.BufferInfo;
import org.dmabuf.it.bundles.exporter.ExporterActivator;
import org.dmabuf.it.bundles.importer.ImporterActivator;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.osgi.framework.Bundle;

/**
 * Two real bundles share a buffer: one exports its own memory, the other
 * receives it, attaches a device, maps it and reads every byte the exporter
 * wrote, without a copy. Then each stops, and the framework gives back what
 * it held.
 */
public class SharingIT extends PlatformTest {

    @Test
    public void export_share_attach_map_and_release_across_two_bundles() throws Exception {
        Bundle exporter = TestBundles.bundle("test.exporter").activator(ExporterActivator.class).install(context);
        Bundle importer = TestBundles.bundle("test.importer").activator(ImporterActivator.class).install(context);
        try {
            exporter.start();
            importer.start();

            String verdict = await(String.class, "(test.result=*)");
            assertEquals("every byte the exporter wrote, read through the importer's mapping", "ok", verdict);

            BufferInfo buf = shared();
            assertEquals(ExporterActivator.SIZE, buf.size());
            assertEquals("test-exporter", buf.expName());
            assertEquals("test.exporter", buf.exporter());
            assertEquals(List.of("0000:00:02.0"), buf.attachedDevices());
            assertEquals("the exporter's fd, the importer's fd, reference and attachment", 4, buf.count());
            assertHolds(module("test.exporter"), 1, 0, 0);
            assertHolds(module("test.importer"), 1, 1, 1);
            String lsmod = new Console(context).run("dmabuf:modules");
            assertTrue(lsmod, lsmod.lines().anyMatch(l -> l.contains("test.exporter") && l.endsWith("1 test.importer")));

            importer.stop();
            buf = shared();
            assertEquals("only the exporter's fd is left", 1, buf.count());
            assertEquals(List.of(), buf.attachedDevices());
            assertNull("the importer holds nothing", module("test.importer"));

            exporter.stop();
            assertEquals("released with the last fd", 0, debug.bufferCount());
        } finally {
            importer.uninstall();
            exporter.uninstall();
        }
    }

    @Test
    public void the_buffer_outlives_its_exporter_while_the_importer_holds_it() throws Exception {
        Bundle exporter = TestBundles.bundle("test.exporter2").activator(ExporterActivator.class).install(context);
        Bundle importer = TestBundles.bundle("test.importer2").activator(ImporterActivator.class).install(context);
        try {
            exporter.start();
            importer.start();
            assertEquals("ok", await(String.class, "(test.result=*)"));

            exporter.stop();
            BufferInfo buf = shared();
            assertEquals("the importer's fd, reference and attachment", 3, buf.count());
            assertEquals(List.of("0000:00:02.0"), buf.attachedDevices());

            importer.stop();
            assertEquals(0, debug.bufferCount());
        } finally {
            importer.uninstall();
            exporter.uninstall();
        }
    }

    private BufferInfo shared() {
        List<BufferInfo> named = debug.buffers().stream().filter(b -> ExporterActivator.NAME.equals(b.name())).toList();
        assertEquals("one shared buffer: " + debug.bufinfo(), 1, named.size());
        return named.getFirst();
    }
}
