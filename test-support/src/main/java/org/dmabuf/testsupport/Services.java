// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.util.tracker.ServiceTracker;

/** Waiting for a service that appears after the test did something (a device plugged, a driver bound). */
public final class Services {
    /** How long {@link #await} waits: long enough for a driver to bind on a loaded CI machine. */
    public static final long TIMEOUT_MS = 10_000;

    private Services() {
    }

    /**
     * Waits for a service, on the service registry's events (no polling),
     * and gets it through {@code context}: the caller holds it (its use
     * count) until the bundle stops or calls
     * {@code context.ungetService} on its reference. A per-bundle service
     * (a DMA-BUF view) is therefore {@code context}'s own, and stays valid.
     *
     * @param <T> its type
     * @param context a bundle context in the container, whose view of the registry is searched (only services
     *        whose class {@code context}'s bundle shares)
     * @param type the service's interface
     * @param filter an LDAP filter on its properties, such as {@code (dmabuf.device.name=mali-0.gpu)}, or {@code ""}
     * @return the service, as {@code context} gets it
     * @throws AssertionError when none is registered within {@link #TIMEOUT_MS}, naming the filter
     * @throws IllegalArgumentException when the filter is not valid LDAP syntax
     * @throws InterruptedException when the waiting thread is interrupted
     */
    public static <T> T await(BundleContext context, Class<T> type, String filter) throws InterruptedException {
        Filter f;
        try {
            f = FrameworkUtil.createFilter("(&(objectClass=" + type.getName() + ")" + filter + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("not an LDAP filter: " + filter + " (" + e.getMessage() + ")", e);
        }
        ServiceTracker<T, T> t = new ServiceTracker<>(context, f, null);
        t.open();
        try {
            if (t.waitForService(TIMEOUT_MS) == null) {
                throw new AssertionError("no service " + f + " within " + TIMEOUT_MS + " ms");
            }
            // got again through the context, before the tracker lets its own use go: still valid when returned
            T s = context.getService(t.getServiceReference());
            if (s == null) {
                throw new AssertionError("the service " + f + " went away as it was got");
            }
            return s;
        } finally {
            t.close();
        }
    }
}
