// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.util.HashMap;
import java.util.Map;

import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.LoadedModule;
import org.osgi.framework.Bundle;

/**
 * One module per bundle, shared by its views ({@code DmaBufService} and
 * {@code DmaFenceService}): opened by the first view a bundle gets, closed
 * when it has ungot the last (it stopped, or let go of both).
 *
 * <p>A stop is bounded: the close itself by {@link DmaBufCore#closeWithin};
 * a bundle whose own stop code is blocked (on a lock one of its stuck
 * callbacks holds) is seen stopping by the watchdog, which revokes it once
 * the bound has passed.
 */
final class ModuleRegistry {
    // a bundle's module and how many of its views are out; changed in place, under the registry's lock
    private static final class Entry {
        final LoadedModule module;
        int users;

        Entry(LoadedModule module) {
            this.module = module;
        }
    }

    private final DmaBufCore core;
    private final GateService gate;
    private final Map<Bundle, Entry> modules = new HashMap<>(); // guarded by this; by the bundle: no boxed id a get

    ModuleRegistry(DmaBufCore core, GateService gate) {
        this.core = core;
        this.gate = gate;
    }

    synchronized LoadedModule acquire(Bundle b) {
        Entry e = modules.get(b);
        if (e == null || e.module.isClosed()) {
            e = new Entry(core.openModule(b.getSymbolicName(), b.getBundleId(), gate.grants(b)));
            e.module.stoppingProbe(() -> b.getState() == Bundle.STOPPING);
            modules.put(b, e);
        }
        e.users++;
        return e.module;
    }

    void release(Bundle b) {
        LoadedModule toClose = null;
        synchronized (this) {
            Entry e = modules.get(b);
            if (e == null) {
                return;
            }
            if (e.users <= 1) {
                modules.remove(b);
                toClose = e.module;
            } else {
                e.users--;
            }
        }
        if (toClose != null) {
            core.closeWithin(toClose); // outside the registry's lock: it calls back into drivers, bounded
        }
    }
}
