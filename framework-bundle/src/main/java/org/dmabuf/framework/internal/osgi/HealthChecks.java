// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.function.Supplier;

import org.apache.felix.hc.api.FormattingResultLog;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.dmabuf.api.debugfs.HeapInfo;
import org.dmabuf.api.module.ModuleLine;
import org.dmabuf.api.module.ModuleTable;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.Watchdog;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The platform's health as Felix Health Checks, tag {@value #TAG}
 * ({@code hc:exec dmabuf} in the console): memory (no leaked buffer, no stop
 * still cleaning up in the background), fences (none pending past its
 * timeout, no reservation lock held too long in a driver's code), heaps
 * (each under 90% of its capacity), and the modules (taint and refused modules, told as information: a
 * tainted kernel or a refused proprietary driver is the policy working, not
 * a fault). Each check reads the core's state without a lock and never
 * calls a driver. Registered only when the Health Check API is there (an
 * optional import).
 */
final class HealthChecks {
    /** The tag of every check. */
    static final String TAG = "dmabuf";
    private static final double FULL = 0.9;

    private HealthChecks() {
    }

    /**
     * @return the registrations, empty when Felix Health Checks' API is not wired
     */
    static List<ServiceRegistration<?>> register(BundleContext context, DmaBufCore core, ModuleTable lsmod,
            Supplier<Watchdog> dog) {
        try {
            return Checks.register(context, core, lsmod, dog);
        } catch (NoClassDefFoundError noHealthChecks) {
            return List.of();
        }
    }

    /**
     * The checks themselves, a class of their own: the JVM links the Health Check API's types when it links
     * the class that uses them, so this one is linked only inside the guard above.
     */
    private static final class Checks {
        static List<ServiceRegistration<?>> register(BundleContext context, DmaBufCore core,
                ModuleTable lsmod, Supplier<Watchdog> dog) {
            List<ServiceRegistration<?>> regs = new ArrayList<>();
            regs.add(check(context, "DMA-BUF memory", "memory", () -> {
                FormattingResultLog log = new FormattingResultLog();
                List<String> leaks = core.leaks();
                leaks.forEach(l -> log.critical("{}", l));
                if (leaks.isEmpty()) {
                    log.info("{} buffers live, {} bytes; none leaked", core.bufferCount(), core.bufferBytes());
                }
                return new Result(log);
            }));
            regs.add(check(context, "DMA-BUF fences and locks", "fences", () -> {
                FormattingResultLog log = new FormattingResultLog();
                Watchdog w = dog.get();
                List<String> fences = w == null ? List.of() : w.overdueFences();
                fences.forEach(f -> log.warn("pending past its timeout: {}", f));
                List<String> locks = core.overdueLocks();
                locks.forEach(l -> log.warn("held past callback.timeout.s: {}", l));
                if (fences.isEmpty() && locks.isEmpty()) {
                    log.info("no fence pending past its timeout, no reservation lock held too long{}",
                            w == null ? " (the watchdog is off)" : "");
                }
                return new Result(log);
            }));
            regs.add(check(context, "DMA-BUF heaps", "heaps", () -> {
                FormattingResultLog log = new FormattingResultLog();
                for (HeapInfo h : core.heaps()) {
                    String line = h.name() + ": " + h.usedBytes() + " of " + h.capacity() + " bytes in use";
                    if (h.capacity() > 0 && h.usedBytes() >= FULL * h.capacity()) {
                        log.warn("{} (90% or more: the next allocations may fail with ENOMEM)", line);
                    } else {
                        log.info("{}", line);
                    }
                }
                return new Result(log);
            }));
            regs.add(check(context, "DMA-BUF modules", "modules", () -> {
                FormattingResultLog log = new FormattingResultLog();
                lsmod.taint().forEach(t -> log.info("{}", t));
                for (ModuleLine m : lsmod.modules()) {
                    if (m.refused()) {
                        log.info("{} is refused by the licence gate under the {} policy (dmabuf:why {})", m.name(),
                                lsmod.policy().label(), m.name());
                    }
                }
                return new Result(log);
            }));
            return regs;
        }

        private static ServiceRegistration<HealthCheck> check(BundleContext context, String name, String tag,
                HealthCheck check) {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(HealthCheck.NAME, name);
            props.put(HealthCheck.TAGS, new String[] {TAG, tag});
            return context.registerService(HealthCheck.class, check, props);
        }
    }
}
