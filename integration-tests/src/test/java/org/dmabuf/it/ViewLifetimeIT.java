// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.fail;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.Errno;
import org.dmabuf.it.bundles.hoarder.HoarderActivator;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * A bundle's DMA-BUF view lives from its first get to its last unget, as an
 * open file lives from its open to its last close. The framework keeps one
 * entry for the bundle from its first view to its uninstall, so that a get
 * and an unget change it in place: it must never keep a view, its fds or its
 * buffers alive across the last unget.
 */
public class ViewLifetimeIT extends PlatformTest {

    @Test
    public void an_ungot_view_is_dead_and_the_next_get_is_a_fresh_module() throws Exception {
        String me = context.getBundle().getSymbolicName();
        ServiceReference<DmaBufService> ref = context.getServiceReference(DmaBufService.class);
        assertNull("the probe holds no view yet", module(me));
        long buffersBefore = debug.bufferCount();
        DmaBufService previous = null;
        for (int round = 0; round < 3; round++) { // the bundle's entry is reused from the second round on
            DmaBufService view = context.getService(ref);
            assertNotNull(view);
            assertNotSame("a fresh view, not the dead one", previous, view);
            assertEquals("a fresh fd table: the standard streams only", 0, module(me).fds());
            int fd = view.heap("system").allocate(4096);
            assertEquals(1, module(me).fds());
            assertEquals(buffersBefore + 1, debug.bufferCount());
            assertEquals("Felix hands the bundle the same view: one module", view, context.getService(ref));
            context.ungetService(ref);
            assertNotNull("one view still out", module(me));
            context.ungetService(ref);

            assertNull("the last unget closed the module", module(me));
            assertEquals("its buffer released with its fd", buffersBefore, debug.bufferCount());
            try {
                view.get(fd);
                fail("a view used after its unget");
            } catch (DmaBufException e) {
                assertEquals(e.getMessage(), Errno.EBADF, e.errno());
            }
            previous = view;
        }
    }

    // uninstalled while active: Felix stops it (the framework ungets its views: the module closes, its entry is
    // kept until the uninstall event forgets it); installed again, the same name gets a fresh module
    @Test
    public void a_bundle_uninstalled_with_its_view_out_leaves_nothing_and_comes_back_fresh() throws Exception {
        long buffersBefore = debug.bufferCount();
        for (int round = 0; round < 2; round++) {
            Bundle hoarder = TestBundles.bundle("test.hoarder").activator(HoarderActivator.class).install(context);
            hoarder.start();
            assertEquals(buffersBefore + 2 * HoarderActivator.PER_HEAP, debug.bufferCount());
            assertNotNull(module("test.hoarder"));

            hoarder.uninstall();

            assertEquals(Bundle.UNINSTALLED, hoarder.getState());
            assertNull("its module closed", module("test.hoarder"));
            assertEquals(debug.bufinfo(), buffersBefore, debug.bufferCount());
        }
    }
}
