// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.dmabuf.it.bundles.buggy.BuggyActivator;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.osgi.framework.Bundle;

/**
 * Debug mode (on in every container of the project's tests) finds the bugs
 * planted in {@link BuggyActivator}, each reported once, as lockdep and
 * ref_tracker report them, with the bundles and their code's frames.
 */
public class LockdepIT extends PlatformTest {

    @Test
    public void a_planted_deadlock_lock_inversion_and_leak_are_each_reported_with_the_bundles_and_stacks()
            throws Exception {
        new Console(context).run("dmabuf:lockdep clear");
        Bundle first = TestBundles.bundle("test.buggy.first").activator(BuggyActivator.class)
                .header("Buggy-Role", "first").install(context);
        Bundle second = TestBundles.bundle("test.buggy.second").activator(BuggyActivator.class)
                .header("Buggy-Role", "second").install(context);
        try {
            first.start();
            second.start();

            String wait = report("WARNING: possible recursive locking detected\n", "(dma_fence_map)", "");
            assertTrue(wait, wait.contains("is trying to acquire lock:\n (dma_fence_map), at: dma_fence_wait_timeout"));
            assertTrue(wait, wait.contains("but task is already holding lock:\n (dma_fence_map), at:"
                    + " dma_fence_begin_signalling"));
            assertTrue(wait, wait.contains("BuggyActivator.signalling(BuggyActivator.java:"));
            assertTrue(wait, wait.endsWith("bundles: test.buggy.first\n"));

            String nested = report("WARNING: possible recursive locking detected\n", "bundles: test.buggy.first\n",
                    "missing lock nesting");
            assertTrue(nested, nested.contains("BuggyActivator.lockInOrder(BuggyActivator.java:"));

            String cycle = report("WARNING: possible circular locking dependency detected\n", "-> #1", "");
            assertTrue(cycle, cycle.contains("which lock already depends on the new lock."));
            assertTrue(cycle, cycle.contains("(reservation_ww_class_mutex) dma_buf ino "));
            assertTrue("both bundles' stacks:\n" + cycle, cycle.contains("[test.buggy.first]")
                    && cycle.contains("[test.buggy.second]"));
            assertTrue(cycle, cycle.contains("bundles: test.buggy.second, test.buggy.first\n"));

            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String leak;
            while ((leak = find("ref_tracker: test.buggy.first: a reference to ino ")) == null) {
                assertTrue("the leaked reference found by the cleaner", System.nanoTime() < end);
                System.gc();
                Thread.onSpinWait();
            }
            assertTrue(leak, leak.contains("became unreachable without dma_buf_put; putting it (taken at"
                    + " BuggyActivator.leak(BuggyActivator.java:"));

            String console = new Console(context).run("dmabuf:lockdep");
            assertTrue(console, console.contains("WARNING: possible circular locking dependency detected")
                    && console.contains("ref_tracker: test.buggy.first"));
        } finally {
            second.uninstall();
            first.uninstall();
            new Console(context).run("dmabuf:lockdep clear");
        }
        assertEquals(debug.bufinfo(), 0, debug.bufferCount());
    }

    private String report(String title, String mark, String and) {
        List<String> found = debug.debugReports().stream()
                .filter(r -> r.contains(title) && r.contains(mark) && r.contains(and)).toList();
        assertEquals(title + " with " + mark + " once, in " + debug.debugReports(), 1, found.size());
        return found.getFirst();
    }

    private String find(String start) {
        return debug.debugReports().stream().filter(r -> r.startsWith(start)).findFirst().orElse(null);
    }
}
