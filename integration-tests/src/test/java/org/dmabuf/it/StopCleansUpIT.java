// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

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
}
