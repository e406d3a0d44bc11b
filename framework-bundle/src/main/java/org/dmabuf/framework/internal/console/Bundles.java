// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.console;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/** Bundles as the console names them: by id or symbolic name. */
final class Bundles {
    private Bundles() {
    }

    /** @return {@code s} as a message may echo it: at most 80 characters */
    static String shown(String s) {
        return s == null ? "null" : s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    /**
     * @param context a bundle context
     * @param idOrName a bundle id or symbolic name
     * @return the bundle, or {@code null}
     */
    static Bundle find(BundleContext context, String idOrName) {
        if (idOrName == null) {
            return null;
        }
        try {
            return context.getBundle(Long.parseLong(idOrName.trim()));
        } catch (NumberFormatException e) {
            for (Bundle b : context.getBundles()) {
                if (idOrName.trim().equals(b.getSymbolicName())) {
                    return b;
                }
            }
            return null;
        }
    }
}
