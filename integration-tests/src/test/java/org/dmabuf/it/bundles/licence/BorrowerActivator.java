// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.licence;

import java.util.Hashtable;

import org.dmabuf.api.DmaBufService;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * A proprietary bundle that reaches the API without importing it the usual
 * way (by {@code DynamicImport-Package: *}, or {@code Require-Bundle} of the
 * framework) and links no symbol, hoping not to be judged at all: it
 * allocates through a GPL bundle's view passed on as {@code (test.view=*)}
 * and reports the outcome as {@code (test.borrower=<bsn>)}.
 */
public class BorrowerActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) throws Exception {
        Hashtable<String, Object> report = new Hashtable<>();
        report.put("test.borrower", context.getBundle().getSymbolicName());
        ServiceReference<?> given = context.getServiceReferences((String) null, "(test.view=*)")[0];
        try {
            int fd = ((DmaBufService) context.getService(given)).heap("system").allocate(4096);
            report.put("outcome", "allowed: fd " + fd);
        } catch (RuntimeException e) {
            report.put("outcome", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        context.registerService(String.class, "report", report);
    }

    @Override
    public void stop(BundleContext context) {
    }
}
