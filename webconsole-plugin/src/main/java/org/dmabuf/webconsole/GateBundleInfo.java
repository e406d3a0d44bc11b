// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.felix.webconsole.bundleinfo.BundleInfo;
import org.apache.felix.webconsole.bundleinfo.BundleInfoProvider;
import org.apache.felix.webconsole.bundleinfo.BundleInfoType;
import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.api.module.ModuleLine;
import org.dmabuf.api.module.ModuleTable;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The Web Console's bundle detail page, for every bundle: its licence as the
 * gate read it, its taint letters, and each symbol it was granted or denied,
 * in the words of {@code dmabuf:why}.
 */
@Component(service = BundleInfoProvider.class)
public class GateBundleInfo implements BundleInfoProvider {
    private final StateView state;
    private final ModuleTable gate;

    @Activate
    public GateBundleInfo(@Reference DmaBufDebug core, @Reference ModuleTable gate, BundleContext context) {
        this.state = new StateView(core, gate, context);
        this.gate = gate;
    }

    @Override
    public String getName(Locale locale) {
        return "DMA-BUF licence gate";
    }

    @Override
    public BundleInfo[] getBundleInfo(Bundle bundle, String webConsoleRoot, Locale locale) {
        List<BundleInfo> out = new ArrayList<>();
        ModuleLine line = gate.modules().stream().filter(m -> m.id() == bundle.getBundleId()).findFirst()
                .orElse(null);
        if (line == null) {
            out.add(new BundleInfo("DMA-BUF module", "no: it links no DMA-BUF symbol", BundleInfoType.VALUE,
                    "The licence gate looks only at bundles that require dmabuf.symbol capabilities or could wire to the API"));
            return out.toArray(BundleInfo[]::new);
        }
        out.add(new BundleInfo("Licence (as the gate read it)", line.licence(), BundleInfoType.VALUE,
                line.gpl() ? "GPL-compatible" : "not GPL-compatible"));
        String letters = line.label().contains("(") ? line.label().substring(line.label().indexOf('(')) : "none";
        out.add(new BundleInfo("Taint", letters, BundleInfoType.VALUE, "P: proprietary, O: out of tree"));
        for (String l : state.why(bundle)) {
            String t = l.strip();
            if (t.startsWith("granted") || t.startsWith("denied") || t.contains("Unknown symbol")
                    || t.startsWith("symbol") || t.startsWith("GPL")) {
                out.add(new BundleInfo("Symbols", t, BundleInfoType.VALUE, "dmabuf:why " + line.name()));
            }
        }
        if (webConsoleRoot != null) {
            out.add(new BundleInfo("DMA-BUF page", webConsoleRoot + "/" + DmaBufWebConsolePlugin.LABEL,
                    BundleInfoType.LINK, "buffers, devices, displays, the policy"));
        }
        return out.toArray(BundleInfo[]::new);
    }
}
