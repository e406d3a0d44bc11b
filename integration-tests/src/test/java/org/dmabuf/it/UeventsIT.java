// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.Hashtable;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.debugfs.Uevents;
import org.dmabuf.api.module.ExportPolicy;
import org.dmabuf.api.module.ExportPolicyControl;
import org.dmabuf.it.bundles.licence.HolderActivator;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * The kernel's uevents as Event Admin events: a test waits for the event
 * instead of polling, for buffers exported and released, devices plugged and
 * unplugged, a module refused and the policy switched.
 */
public class UeventsIT extends PlatformTest {
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private ServiceRegistration<EventHandler> handler;

    @Before
    public void subscribe() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(EventConstants.EVENT_TOPIC, Uevents.PREFIX + "*");
        handler = context.registerService(EventHandler.class, events::add, p);
    }

    @After
    public void unsubscribe() {
        handler.unregister();
    }

    /** @return the next event on that topic, skipping others, within the timeout */
    private Event next(String topic) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (true) {
            Event e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertNotNull("no " + topic + " within " + TIMEOUT_MS + " ms", e);
            if (e.getTopic().equals(topic)) {
                return e;
            }
        }
    }

    @Test
    public void a_buffer_exported_and_released_is_announced_with_its_ino_size_and_exporter() throws Exception {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        int fd = dmabuf.heap("system").allocate(8192);
        long ino;
        var buf = dmabuf.get(fd);
        ino = buf.inode();
        buf.put();
        Event exported = next(Uevents.BUFFER_EXPORTED);
        assertEquals("add", exported.getProperty(Uevents.ACTION));
        assertEquals(ino, exported.getProperty(Uevents.INO));
        assertEquals(8192L, exported.getProperty(Uevents.SIZE));
        assertEquals("kernel", exported.getProperty(Uevents.EXPORTER));
        assertEquals("system", exported.getProperty(Uevents.EXP_NAME));
        dmabuf.close(fd);
        Event released = next(Uevents.BUFFER_RELEASED);
        assertEquals("remove", released.getProperty(Uevents.ACTION));
        assertEquals(ino, released.getProperty(Uevents.INO));
    }

    @Test
    public void a_device_plugged_and_unplugged_is_announced_by_name_and_provider() throws Exception {
        Console console = new Console(context);
        console.run("dmabuf:plug intel uevent-0");
        Event added = next(Uevents.DEVICE_ADDED);
        assertEquals("add", added.getProperty(Uevents.ACTION));
        assertEquals("uevent-0", added.getProperty(Uevents.DEVNAME));
        assertEquals("simgpu", added.getProperty(Uevents.MODULE));
        console.run("dmabuf:unplug uevent-0");
        Event removed = next(Uevents.DEVICE_REMOVED);
        assertEquals("remove", removed.getProperty(Uevents.ACTION));
        assertEquals("uevent-0", removed.getProperty(Uevents.DEVNAME));
    }

    @Test
    public void a_refused_module_and_a_policy_switch_are_announced() throws Exception {
        Bundle b = TestBundles.bundle("test.uevent.blob").licence("Proprietary").activator(HolderActivator.class)
                .install(context);
        try {
            try {
                b.start();
            } catch (BundleException expected) {
                // refused: the event says it
            }
            Event refused = next(Uevents.MODULE_REFUSED);
            assertEquals("test.uevent.blob", refused.getProperty(Uevents.MODULE));
            assertEquals(b.getBundleId(), refused.getProperty(Uevents.BUNDLE_ID));
            String[] lines = (String[]) refused.getProperty(Uevents.LINES);
            assertTrue(String.join("\n", lines), java.util.Arrays.asList(lines)
                    .contains("test.uevent.blob: Unknown symbol dma_buf_export (err -2)"));
        } finally {
            b.uninstall();
        }
        ExportPolicyControl policy = context.getService(context.getServiceReference(ExportPolicyControl.class));
        policy.switchTo(ExportPolicy.EXPORT_SYMBOL).toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        try {
            Event changed = next(Uevents.POLICY_CHANGED);
            assertArrayEquals(new Object[] {"change", "gpl-only", "export-symbol"}, new Object[] {
                changed.getProperty(Uevents.ACTION), changed.getProperty(Uevents.FROM), changed.getProperty(Uevents.TO)});
        } finally {
            policy.switchTo(ExportPolicy.GPL_ONLY).toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        assertEquals("gpl-only", next(Uevents.POLICY_CHANGED).getProperty(Uevents.TO));
    }
}
