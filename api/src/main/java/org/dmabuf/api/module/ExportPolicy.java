// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.module;

import java.util.Locale;

/** How the DMA-BUF core's symbols are exported: the policy the licence gate enforces. */
public enum ExportPolicy {
    /** Upstream Linux: the DMA-BUF core is {@code EXPORT_SYMBOL_NS_GPL(.., "DMA_BUF")}. The default. */
    GPL_ONLY("gpl-only"),
    /**
     * The 2012 request (NVIDIA, acked by Rob Clark, NAKed by Alan Cox and
     * Mauro Chehab, never merged): the DMA-BUF core as {@code EXPORT_SYMBOL}.
     * The GPL-only reservation and fence helpers stay GPL-only.
     */
    EXPORT_SYMBOL("export-symbol");

    private final String label;

    ExportPolicy(String label) {
        this.label = label;
    }

    /** @return the policy's name in configuration and commands: {@code gpl-only}, {@code export-symbol} */
    public String label() {
        return label;
    }

    /**
     * @param label {@code gpl-only} or {@code export-symbol}, any case
     * @return the policy
     * @throws IllegalArgumentException naming the value and what was expected
     */
    public static ExportPolicy of(String label) {
        for (ExportPolicy p : values()) {
            if (label != null && p.label.equals(label.trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        String shown = label == null ? "null" : label.length() > 40 ? label.substring(0, 37) + "..." : label;
        throw new IllegalArgumentException("export policy '" + shown + "' is unknown; expected gpl-only or export-symbol");
    }
}
