// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.sim;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Tells when plugging a device in (or out) has fully taken effect: the
 * device component reports it after registering (unregistering) the device's
 * service, which is when every driver's bind (unbind) has run, since service
 * events are delivered synchronously. The console's plug and unplug wait here,
 * so they report the drivers truthfully. One per bundle class loader (a
 * refreshed bundle starts afresh); never registered as a service.
 */
final class PlugEvents {
    /** The bundle's one. */
    static final PlugEvents INSTANCE = new PlugEvents();


    private final Map<String, Boolean> plugged = new HashMap<>(); // guarded by this

    synchronized void reported(String name, boolean in) {
        plugged.put(name, in);
        notifyAll();
    }

    /**
     * @param name the device's name
     * @param in whether to wait for it plugged in (or out)
     * @param timeoutMs how long at most
     * @return whether it got there in time
     */
    synchronized boolean await(String name, boolean in, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!Boolean.valueOf(in).equals(plugged.get(name))) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    /** Forgets a device's state before a change is asked for, so a wait sees the change itself. */
    synchronized void expect(String name) {
        plugged.remove(name);
    }
}
