// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.testsupport.PlatformTest;
import org.junit.Test;
import org.osgi.framework.Bundle;

/** The platform boots as the distribution does, and its console works. */
public class PlatformIT extends PlatformTest {

    @Test
    public void the_gpl_drivers_bind_to_their_devices_through_their_own_view() throws Exception {
        for (String driver : List.of("i915", "tegra_drm")) {
            Bundle b = bundle(driver);
            assertEquals(driver + " is active", Bundle.ACTIVE, b.getState());
            assertNotNull(driver + " holds a DMA-BUF view", module(driver));
        }
        assertEquals("the four default devices", 4, context.getServiceReferences(Device.class, null).size());
        assertEquals("nvidia is refused under the default policy", Bundle.INSTALLED, bundle("nvidia").getState());
    }

    @Test
    public void the_licence_of_each_driver_is_in_its_manifest() {
        assertEquals("GPL-2.0-only", bundle("i915").getHeaders().get("Bundle-License"));
        assertEquals("GPL-2.0-only", bundle("tegra_drm").getHeaders().get("Bundle-License"));
        assertEquals("NVIDIA", bundle("nvidia").getHeaders().get("Bundle-License"));
    }

    @Test
    public void every_bundle_gets_its_own_view() throws Exception {
        DmaBufService mine = context.getService(context.getServiceReference(DmaBufService.class));
        int fd = mine.heap("system").allocate(4096);
        assertEquals("the first fd of a fresh table", 3, fd);
        assertEquals(1, module(context.getBundle().getSymbolicName()).fds());
        mine.close(fd);
    }

    @Test
    public void the_console_allocates_and_shows_bufinfo() throws Exception {
        CommandProcessor processor = context.getService(context.getServiceReference(CommandProcessor.class));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true);
        CommandSession session = processor.createSession(InputStream.nullInputStream(), ps, ps);
        try {
            Object alloc = session.execute("dmabuf:alloc system 4096 demo");
            assertTrue(String.valueOf(alloc), String.valueOf(alloc).matches("fd \\d+: ino \\d+, 4096 bytes from system named demo"));
            out.reset();
            assertEquals("written as it goes, not returned", null, session.execute("dmabuf:bufinfo"));
            String bufinfo = out.toString(java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(bufinfo, bufinfo.contains("\tsystem\t"));
            assertTrue(bufinfo, bufinfo.contains("\tdemo\n"));
            assertTrue(bufinfo, bufinfo.endsWith("Total 1 objects, 4096 bytes\n"));
            String fd = String.valueOf(alloc).replaceAll("fd (\\d+):.*", "$1");
            session.execute("dmabuf:close " + fd);
            assertEquals(0, debug.bufferCount());
        } finally {
            session.close();
        }
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + symbolicName);
    }
}
