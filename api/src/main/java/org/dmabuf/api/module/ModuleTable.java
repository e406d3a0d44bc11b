// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.module;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The licence gate, read-only: what {@code dmabuf:modules}, {@code taint},
 * {@code why} and {@code policy} print. A service of the framework, open to
 * every bundle. Every method returns a snapshot, may be called from any
 * thread, and takes no buffer's lock.
 */
@ProviderType
public interface ModuleTable {
    /** @return the export policy in force */
    ExportPolicy policy();

    /**
     * @return the taint as the kernel prints it: first {@code Tainted: P O}
     *         (or {@code Not tainted}), then one line per letter, decoded
     */
    List<String> taint();

    /** @return every DMA-BUF module, by bundle id */
    List<ModuleLine> modules();

    /**
     * @param bundleId a bundle's id
     * @return the gate's explanation of that bundle in the kernel's words
     *         (licence, taint, granted and denied symbols and why), one line
     *         each; empty when there is no such bundle
     */
    List<String> why(long bundleId);
}
