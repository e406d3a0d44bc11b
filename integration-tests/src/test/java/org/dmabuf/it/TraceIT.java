// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.PlatformTest;
import org.junit.Test;

/**
 * The kernel's dma_buf and dma_fence tracepoints as JFR events:
 * {@code dmabuf:trace on}, a demo run, {@code dump} to a recording that
 * {@code RecordingFile} (and JDK Mission Control) reads, {@code tail}.
 */
public class TraceIT extends PlatformTest {
    private static long count(List<RecordedEvent> events, String name, String driver) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)
                && driver.equals(e.getString("driver"))).count();
    }

    @Test
    public void an_optimus_run_is_traced_frame_by_frame_and_dumped_as_a_recording() throws Exception {
        Console console = new Console(context);
        assertTrue(console.run("dmabuf:trace on").startsWith("trace: on (14 tracepoints"));
        try {
            String demo = console.run("dmabuf:demo optimus 30");
            Matcher m = Pattern.compile("(\\d+) frames shown").matcher(demo);
            assertTrue(demo, m.find());
            int shown = Integer.parseInt(m.group(1));
            assertTrue(demo, shown > 0);

            String dumped = console.run("dmabuf:trace dump optimus-it.jfr");
            assertTrue(dumped, dumped.startsWith("trace: wrote ") && dumped.contains("optimus-it.jfr"));
            Path file = Path.of(dumped.substring("trace: wrote ".length(), dumped.indexOf(" (")));
            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            // every frame shown was rendered behind a fence of i915's timeline: made, then signalled
            long made = count(events, "org.dmabuf.dma_fence_init", "i915");
            long signalled = count(events, "org.dmabuf.dma_fence_signaled", "i915");
            assertTrue("render fences made: " + made + " for " + shown + " frames shown", made >= shown);
            assertTrue("render fences signalled: " + signalled + " for " + shown + " frames shown",
                    signalled >= shown);
            // and each emitted to the engine in between (trace_dma_fence_emit, fired by the drm helpers' engine)
            long emitted = count(events, "org.dmabuf.dma_fence_emit", "i915");
            assertTrue("render fences emitted: " + emitted + " for " + shown + " frames shown", emitted >= shown);
            for (RecordedEvent e : events) {
                if (e.getEventType().getName().equals("org.dmabuf.dma_fence_signaled")
                        && "i915".equals(e.getString("driver"))) {
                    assertTrue(e.toString(), e.getString("timeline").startsWith("gfx@"));
                    assertEquals(e.toString(), 0, e.getInt("error"));
                }
            }
            Files.delete(file);

            String tail = console.run("dmabuf:trace tail 5");
            assertEquals(tail, 5, tail.lines().count());
            assertTrue(tail, tail.contains("dma_fence"));
        } finally {
            console.run("dmabuf:trace off");
        }
    }

    /** Asserts that the console refuses {@code command} with a message that contains {@code expected}. */
    private static void refused(Console console, String command, String expected) {
        try {
            console.run(command);
            fail(command + " was taken");
        } catch (Exception e) {
            assertTrue(command + ": " + e.getMessage(), e.getMessage().contains(expected));
        }
    }

    @Test
    public void trace_refuses_bad_input_and_does_nothing_while_off() throws Exception {
        Console console = new Console(context);
        refused(console, "dmabuf:trace dump x.jfr", "tracing is off; expected dmabuf:trace on first");
        refused(console, "dmabuf:trace sideways", "is not an action; expected on, off, dump [name.jfr] or tail [count]");
        console.run("dmabuf:trace on");
        try {
            refused(console, "dmabuf:trace dump ../../etc/passwd.jfr", "is not a file name for trace/");
            refused(console, "dmabuf:trace dump notes.txt", "ending in .jfr");
            refused(console, "dmabuf:trace tail 0", "expected 1 to 10000");
            refused(console, "dmabuf:trace tail many", "is not a count");
            assertFalse(Files.exists(Path.of("target/dmabuf/etc/passwd.jfr")));
        } finally {
            console.run("dmabuf:trace off");
        }
    }
}
