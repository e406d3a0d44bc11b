// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.licence;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Hashtable;

import org.dmabuf.api.DmaBufService;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * A proprietary bundle that tries every other route to a GPL-only entry
 * point: looking the service up itself, calling a view another bundle passed
 * on, calling it by reflection, and through the JDK's reflection trampoline
 * (java.beans), whose frames belong to no bundle. It reports each outcome as a service
 * property of {@code (test.thief=*)}.
 */
public class ThiefActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) throws Exception {
        Hashtable<String, Object> report = new Hashtable<>();
        report.put("test.thief", context.getBundle().getSymbolicName());
        report.put("lookup", String.valueOf(context.getServiceReference(DmaBufService.class)));
        ServiceReference<?> given = context.getServiceReferences((String) null, "(test.view=*)")[0];
        Object view = context.getService(given);
        try {
            ((DmaBufService) view).heap("system").allocate(4096);
            report.put("direct", "allowed");
        } catch (RuntimeException e) {
            report.put("direct", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        try {
            Method heap = DmaBufService.class.getMethod("heap", String.class);
            heap.invoke(view, "system");
            report.put("reflection", "allowed");
        } catch (InvocationTargetException e) {
            report.put("reflection", e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage());
        }
        try { // through the JDK's own reflection trampoline (sun.reflect.misc.MethodUtil): a frame of no bundle
            new java.beans.Expression(view, "heap", new Object[] {"system"}).getValue();
            report.put("trampoline", "allowed");
        } catch (Exception e) {
            Throwable t = e instanceof InvocationTargetException ite ? ite.getCause() : e;
            report.put("trampoline", t.getClass().getSimpleName() + ": " + t.getMessage());
        }
        context.registerService(String.class, "report", report);
    }

    @Override
    public void stop(BundleContext context) {
    }
}
