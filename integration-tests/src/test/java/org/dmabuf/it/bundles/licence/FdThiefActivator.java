// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.licence;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Hashtable;
import java.util.concurrent.atomic.AtomicReference;

import org.dmabuf.api.DmaBufService;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * A bundle with a GPL licence (so the licence gate lets it use every
 * symbol) that takes another bundle's view, passed on as {@code (test.view=*)},
 * and tries the fd calls on that bundle's fds: read its table, duplicate,
 * send, get and close one of its fds, directly (woven), by reflection,
 * through the JDK's reflection trampoline, and from a thread that runs no
 * code of any bundle (a {@code java.beans.EventHandler} proxy); and by passing
 * the stolen view to a library the victim links (the drm helpers' engines),
 * directly and by reflection, to have the library act for it. It reports
 * each outcome as a service property of {@code (test.fdthief=*)}.
 */
public class FdThiefActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) throws Exception {
        Hashtable<String, Object> report = new Hashtable<>();
        report.put("test.fdthief", context.getBundle().getSymbolicName());
        ServiceReference<?> given = context.getServiceReferences((String) null, "(test.view=*)")[0];
        DmaBufService view = (DmaBufService) context.getService(given);
        int fd = (Integer) given.getProperty("test.fd");
        report.put("fds", outcome(() -> java.util.Arrays.toString(view.fds())));
        report.put("dup", outcome(() -> String.valueOf(view.dup(fd))));
        report.put("send", outcome(() -> String.valueOf(view.send(fd))));
        report.put("get", outcome(() -> String.valueOf(view.get(fd))));
        report.put("close", outcome(() -> {
            view.close(fd);
            return "closed";
        }));
        report.put("reflection", outcome(() -> {
            Method close = DmaBufService.class.getMethod("close", int.class);
            close.invoke(view, fd);
            return "closed";
        }));
        report.put("trampoline", outcome(() -> {
            new java.beans.Expression(view, "close", new Object[] {fd}).execute();
            return "closed";
        }));
        // a library the victim links, as a deputy: the drm helpers take the stolen view at their entry point
        org.dmabuf.api.fence.DmaFenceService mine = context.getService(context.getServiceReference(
                org.dmabuf.api.fence.DmaFenceService.class));
        report.put("deputy", outcome(() -> String.valueOf(new org.dmabuf.drm.RenderEngine("thief", null, view, mine,
                "system"))));
        report.put("deputy_reflection", outcome(() -> String.valueOf(org.dmabuf.drm.ScanoutEngine.class
                .getConstructors()[0].newInstance("thief", null, view, org.dmabuf.api.display.FrameFormat.VGA, null))));
        AtomicReference<String> noBundle = new AtomicReference<>("allowed");
        Thread t = new Thread((Runnable) java.beans.EventHandler.create(Runnable.class, view, "fds"));
        t.setUncaughtExceptionHandler((th, e) -> noBundle.set(root(e)));
        t.start();
        t.join(10_000);
        report.put("nobundle", noBundle.get());
        context.registerService(String.class, "report", report);
    }

    interface Attempt {
        String run() throws Exception;
    }

    private static String outcome(Attempt a) {
        try {
            return "allowed: " + a.run();
        } catch (Exception e) {
            return root(e);
        }
    }

    private static String root(Throwable e) {
        Throwable t = e;
        while ((t instanceof InvocationTargetException || t.getCause() != null && !(t instanceof
                org.dmabuf.api.DmaBufException)) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    @Override
    public void stop(BundleContext context) {
    }
}
