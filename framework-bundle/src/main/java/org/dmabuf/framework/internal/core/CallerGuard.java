// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import org.dmabuf.api.Symbol;

/**
 * Checks who really calls a GPL-only entry point, when a bundle refused
 * GPL-only symbols could be calling through a view that is not its own (a
 * service object passed on, reflection). Installed by the licence gate only
 * while such a bundle is resolved: finding the caller walks the stack (about
 * 1 µs), so it is not paid when nobody could cheat.
 */
public interface CallerGuard {
    /**
     * @param owner the module whose view, reference or attachment is used
     * @param symbol the entry point's symbol
     * @throws org.dmabuf.api.DmaBufException ENOENT when the real caller may not use the symbol
     */
    void check(LoadedModule owner, Symbol symbol);
}
