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
    // a bundle's module (null while none is open) and how many of its views are out; kept from the bundle's
    // first view to its uninstall, so that a get and an unget change it in place (no map node, no entry, no
    // probe made again for each view); under the registry's lock
    private static final class Entry {
        final java.util.function.BooleanSupplier stopping;
        LoadedModule module;
        int users;

        Entry(Bundle b) {
            this.stopping = () -> b.getState() == Bundle.STOPPING;
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
        if (e == null) {
            e = new Entry(b);
            modules.put(b, e);
        }
        if (e.module == null || e.module.isClosed()) {
            e.module = core.openModule(b.getSymbolicName(), b.getBundleId(), gate.grants(b));
            e.module.stoppingProbe(e.stopping);
            e.users = 0;
        }
        e.users++;
        return e.module;
    }

    void release(Bundle b) {
        LoadedModule toClose = null;
        synchronized (this) {
            Entry e = modules.get(b);
            if (e == null || e.module == null) {
                return;
            }
            if (e.users <= 1) {
                toClose = e.module;
                e.module = null;
                e.users = 0;
                if (b.getState() == Bundle.UNINSTALLED) {
                    modules.remove(b); // gone already: nothing will forget it later
                }
            } else {
                e.users--;
            }
        }
        if (toClose != null) {
            core.closeWithin(toClose); // outside the registry's lock: it calls back into drivers, bounded
        }
    }

    /** The bundle was uninstalled: its entry goes, unless a view of it is still out (then at its release). */
    synchronized void forget(Bundle b) {
        Entry e = modules.get(b);
        if (e != null && e.module == null) {
            modules.remove(b);
        }
    }
}
