// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.dmabuf.api.Device;
import org.dmabuf.api.debugfs.BufferInfo;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.api.module.ModuleLine;
import org.dmabuf.api.module.ModuleTable;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * What the Web Console page, the bundle details and the status printer show,
 * read in one place from the public, read-only services ({@link DmaBufDebug},
 * {@link ModuleTable}) and the service registry: the
 * same facts {@code dmabuf:bufinfo}, {@code dmabuf:devices},
 * {@code dmabuf:modules}, {@code dmabuf:taint} and {@code dmabuf:why} print.
 */
final class StateView {
    private final DmaBufDebug core;
    private final ModuleTable gate;
    private final BundleContext context;

    StateView(DmaBufDebug core, ModuleTable gate, BundleContext context) {
        this.core = core;
        this.gate = gate;
        this.context = context;
    }

    /** Writes bufinfo as it goes (a million buffers are not a 100 MB string first). */
    void bufinfo(Appendable out) {
        try {
            core.bufinfo(out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** @return the platform's health checks, as {@code hc:exec dmabuf} prints them; empty without them */
    List<String> health() {
        return Health.lines(context);
    }

    List<BufferInfo> buffers() {
        return core.buffers();
    }

    String policy() {
        return gate.policy().label();
    }

    List<String> taint() {
        return gate.taint();
    }

    List<ModuleLine> modules() {
        return gate.modules();
    }

    /**
     * @return the processes outside the JVM that hold buffers through the peer socket (docs/cross-process.md):
     *         the modules of no bundle named {@code pid <pid> (<comm>)}
     */
    List<org.dmabuf.api.debugfs.ModuleInfo> processes() {
        return core.modules().stream().filter(m -> m.bundleId() < 0 && m.name().startsWith("pid ")).toList();
    }

    /** @return the gate's explanation of each module it refused, by symbolic name */
    Map<String, List<String>> refused() {
        Map<String, List<String>> out = new TreeMap<>();
        for (ModuleLine m : gate.modules()) {
            Bundle b = context.getBundle(m.id());
            if (b != null && b.getState() == Bundle.INSTALLED) {
                out.put(m.name(), gate.why(m.id()));
            }
        }
        return out;
    }

    List<String> why(Bundle b) {
        return gate.why(b.getBundleId());
    }

    /** A device and the drivers bound to it. */
    record DeviceLine(String name, String kind, String ids, String model, String engines, List<String> drivers) {
    }

    List<DeviceLine> devices() {
        List<DeviceLine> out = new ArrayList<>();
        try {
            for (ServiceReference<Device> r : context.getServiceReferences(Device.class, null)) {
                Device d = context.getService(r);
                if (d == null) {
                    continue;
                }
                try {
                    List<String> drivers = new ArrayList<>();
                    Bundle[] using = r.getUsingBundles();
                    if (using != null) {
                        for (Bundle b : using) {
                            if (b.getBundleId() != context.getBundle().getBundleId()) {
                                drivers.add(b.getSymbolicName());
                            }
                        }
                    }
                    Object engines = r.getProperty("dmabuf.engines");
                    Object kind = r.getProperty("dmabuf.kind"); // the simulated hardware's word; else who added it
                    String k = kind != null ? kind.toString() : "(" + r.getProperty("dmabuf.provider") + ")";
                    out.add(new DeviceLine(d.name(), k,
                            r.getProperty(Device.PROP_VENDOR) + ":" + r.getProperty("dmabuf.device"), d.model(),
                            engines instanceof String[] a ? String.join(",", a) : String.valueOf(engines), drivers));
                } finally {
                    context.ungetService(r);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    /** @return the display engines by device name */
    Map<String, DisplayEngine> displays() {
        Map<String, DisplayEngine> out = new TreeMap<>();
        try {
            for (ServiceReference<DisplayEngine> r : context.getServiceReferences(DisplayEngine.class, null)) {
                DisplayEngine d = context.getService(r);
                if (d != null) {
                    out.put(d.device().name(), d);
                    context.ungetService(r); // the engine lives on in its driver; we only read it
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /**
     * Who exports to whom: exporter -> buffers, and buffer -> attached devices and the processes outside the JVM
     * that hold it (docs/cross-process.md), for the graph.
     */
    record Edge(String exporter, long ino, String name, List<String> devices, List<String> processes) {
    }

    List<Edge> graph() {
        boolean peers = !processes().isEmpty(); // a holder lookup per buffer only while processes are connected
        Map<Long, Edge> out = new LinkedHashMap<>();
        for (BufferInfo b : core.buffers()) {
            List<String> procs = peers ? core.holders(b.ino()).stream().filter(h -> h.startsWith("pid "))
                    .map(h -> h.substring(0, h.indexOf(": ") < 0 ? h.length() : h.indexOf(": "))).distinct()
                    .toList() : List.of();
            out.put(b.ino(), new Edge(b.exporter(), b.ino(), b.name() == null ? "" : b.name(),
                    List.copyOf(b.attachedDevices()), procs));
        }
        return new ArrayList<>(out.values());
    }
}
