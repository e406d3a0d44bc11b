// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

import org.apache.felix.inventory.Format;
import org.apache.felix.inventory.InventoryPrinter;
import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.api.module.ModuleLine;
import org.dmabuf.api.module.ModuleTable;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The whole DMA-BUF state as text, for the Web Console's status page and the
 * inventory (a support bundle): the policy, the taint, the modules with the
 * gate's reasons for the refused ones, the devices, and bufinfo.
 */
@Component(service = InventoryPrinter.class, property = {
        InventoryPrinter.NAME + "=dmabuf",
        InventoryPrinter.TITLE + "=DMA-BUF",
        InventoryPrinter.FORMAT + "=TEXT"
})
public class DmaBufInventory implements InventoryPrinter {
    private final StateView state;

    @Activate
    public DmaBufInventory(@Reference DmaBufDebug core, @Reference ModuleTable gate, BundleContext context) {
        this.state = new StateView(core, gate, context);
    }

    @Override
    public void print(PrintWriter w, Format format, boolean isZip) {
        w.println("export policy: " + state.policy());
        state.taint().forEach(w::println);
        w.println();
        w.println("Modules:");
        for (ModuleLine m : state.modules()) {
            w.printf("%-4d %-22s %-24s %-10s %d bytes of heap memory%n", m.id(), m.label(), m.licence(), m.state(),
                    m.heapBytes());
        }
        Map<String, List<String>> refused = state.refused();
        refused.forEach((name, why) -> {
            w.println();
            why.forEach(w::println);
        });
        w.println();
        w.println("Devices:");
        for (StateView.DeviceLine d : state.devices()) {
            w.printf("%-14s %-10s %-12s %-44s %-16s %s%n", d.name(), d.kind(), d.ids(), d.model(), d.engines(),
                    d.drivers().isEmpty() ? "unbound" : String.join(" ", d.drivers()));
        }
        w.println();
        List<String> health = state.health();
        if (!health.isEmpty()) {
            w.println("Health (hc:exec dmabuf):");
            health.forEach(w::println);
            w.println();
        }
        state.bufinfo(w); // as it goes
        w.flush();
    }
}
