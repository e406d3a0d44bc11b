// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Hashtable;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.Errno;
import org.dmabuf.testsupport.PlatformTest;
import org.junit.Test;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The framework's settings by the keys the docs give: Declarative Services
 * maps the {@code _} of an attribute's method to {@code .}, so
 * {@code heap_max()} is set as {@code heap.max} (a file or a configuration
 * that says {@code heap_max} sets nothing).
 */
public class FrameworkConfigurationIT extends PlatformTest {

    @Test
    public void heap_max_is_set_by_its_dotted_key_and_takes_effect_at_once() throws Exception {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        ConfigurationAdmin ca = context.getService(context.getServiceReference(ConfigurationAdmin.class));
        Configuration c = ca.getConfiguration("org.dmabuf.framework", "?");
        String me = context.getBundle().getSymbolicName();
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("heap_max", new String[] {me + "=4096"}); // the method's name: not a key
        c.update(p);
        dmabuf.close(allocation(dmabuf));

        p = new Hashtable<>();
        p.put("heap.max", new String[] {me + "=4096"});
        c.update(p);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                dmabuf.close(dmabuf.heap("system").allocate(8192));
                assertTrue("heap.max applied within 10 s", System.nanoTime() < end);
                // the allocation is what is watched (nothing else tells when SCR has applied the change); one try
                // a millisecond, not a spin: in debug mode each try is an arena of its own, and freeing it a
                // JVM-wide handshake, which in a tight loop starves Config Admin's and SCR's threads on two
                // cores (seen once in the whole suite after the allocation path got faster)
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            } catch (DmaBufException e) {
                assertEquals(Errno.ENOMEM, e.errno());
                assertTrue(e.getMessage(), e.getMessage().contains("would pass its max of 4096 (heap.max, PID"
                        + " org.dmabuf.framework)"));
                break;
            }
        }
        c.delete();
    }

    // an allocation of 8 KiB: it must succeed while the limit is not a key at all
    private static int allocation(DmaBufService dmabuf) {
        try {
            return dmabuf.heap("system").allocate(8192);
        } catch (DmaBufException e) {
            fail("heap_max (the method's name) limited the allocation: " + e.getMessage());
            return -1;
        }
    }
}
