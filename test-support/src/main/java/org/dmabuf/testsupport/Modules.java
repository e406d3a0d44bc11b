// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport;

import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.api.debugfs.ModuleInfo;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * What a module holds through its DMA-BUF view, and assertions on it, for
 * either harness (Pax Exam or JUnit 5): plain {@link AssertionError}s, which
 * both report as failures.
 */
public final class Modules {
    private Modules() {
    }

    /**
     * Reads what a bundle holds, as {@code dmabuf:modules} shows it.
     *
     * @param context a bundle context in the container
     * @param symbolicName the bundle's symbolic name (the module's name)
     * @return its holdings, or {@code null} when it holds no DMA-BUF view (it never took one, or it stopped)
     * @throws AssertionError when the platform's debugfs service is not registered
     */
    public static ModuleInfo module(BundleContext context, String symbolicName) {
        ServiceReference<DmaBufDebug> ref = context.getServiceReference(DmaBufDebug.class);
        if (ref == null) {
            throw new AssertionError("no DmaBufDebug service: the framework bundle is not active");
        }
        try {
            return context.getService(ref).modules().stream().filter(m -> m.name().equals(symbolicName))
                    .findFirst().orElse(null);
        } finally {
            context.ungetService(ref);
        }
    }

    /**
     * Asserts what a module holds.
     *
     * @param m the module's holdings, as {@link #module} reads them; not {@code null}
     * @param fds the open fds that hold dma-bufs it must have
     * @param references the references taken with {@code get} and not put
     * @param attachments the attachments not detached
     * @throws AssertionError naming each count that differs, and the module's whole line
     */
    public static void assertHolds(ModuleInfo m, int fds, int references, int attachments) {
        if (m == null) {
            throw new AssertionError("no module: expected the holdings of a bundle that took a DMA-BUF view");
        }
        StringBuilder wrong = new StringBuilder();
        check(wrong, "fds", fds, m.fds());
        check(wrong, "references", references, m.references());
        check(wrong, "attachments", attachments, m.attachments());
        if (!wrong.isEmpty()) {
            throw new AssertionError(m.name() + " holds" + wrong + " (" + m + ")");
        }
    }

    private static void check(StringBuilder out, String what, int expected, int actual) {
        if (expected != actual) {
            out.append(out.isEmpty() ? " " : ", ").append(actual).append(' ').append(what).append(", expected ")
                    .append(expected);
        }
    }
}
