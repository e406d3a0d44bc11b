// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import org.dmabuf.api.debugfs.ModuleInfo;
import org.dmabuf.it.bundles.hoarder.HoarderActivator;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.osgi.framework.Bundle;

/**
 * A bundle that stops holding every kind of handle has them all dropped by
 * the framework: buffers released, every off-heap byte returned.
 */
public class StopCleansUpIT extends PlatformTest {

    @Test
    public void stopping_a_bundle_drops_every_handle_it_held() throws Exception {
        Bundle hoarder = TestBundles.bundle("test.hoarder").activator(HoarderActivator.class).install(context);
        try {
            hoarder.start();
            int buffers = 2 * HoarderActivator.PER_HEAP;
            assertEquals(buffers, debug.bufferCount());
            ModuleInfo held = module("test.hoarder");
            assertEquals("an fd and its dup per buffer", 2 * buffers, held.fds());
            assertEquals("two references per buffer", 2 * buffers, held.references());
            assertEquals("a static and a dynamic attachment per buffer", 2 * buffers, held.attachments());
            assertEquals(buffers, held.vmaps());
            assertEquals(buffers, held.transfers());

            hoarder.stop();

            assertNull(module("test.hoarder"));
            assertEquals(debug.bufinfo(), 0, debug.bufferCount());
            assertEquals("every off-heap byte freed", 0, debug.offHeapBytes());
        } finally {
            hoarder.uninstall();
        }
    }

    @Test
    public void in_debug_mode_the_holders_and_the_warnings_at_stop_name_the_code_that_took_each_handle()
            throws Exception {
        Bundle hoarder = TestBundles.bundle("test.hoarder").activator(HoarderActivator.class).install(context);
        try {
            hoarder.start();
            long ino = debug.buffers().getFirst().ino();
            // test-support boots every container in debug mode (dmabuf.debug=true)
            String holders = new org.dmabuf.testsupport.Console(context).run("dmabuf:holders " + ino);
            for (String held : new String[] {": fd ", ": a reference (taken at HoarderActivator.start(",
                    ": an attachment of 0000:01:00.0 (taken at HoarderActivator.start(", ": a vmap (taken at",
                    ": a transfer not yet received (taken at"}) {
                assertTrue(held + " in\n" + holders, holders.contains(held));
            }
            assertTrue(holders, holders.lines().allMatch(l -> l.startsWith("test.hoarder: ")
                    && l.contains("(taken at HoarderActivator.start(HoarderActivator.java:")));

            org.dmabuf.testsupport.Console.Captured<Void> stop = org.dmabuf.testsupport.Console.logged(() -> {
                try {
                    hoarder.stop();
                } catch (org.osgi.framework.BundleException e) {
                    throw new RuntimeException(e);
                }
                return null;
            });
            assertTrue(stop.log(), stop.log().contains("test.hoarder: still attached 0000:01:00.0 to ino ")
                    && stop.log().contains("at stop; detaching (taken at HoarderActivator.start(HoarderActivator.java:"));
        } finally {
            hoarder.uninstall();
        }
    }
}
