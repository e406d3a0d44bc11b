// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.lang.invoke.MethodHandles;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.FileDescriptors;

/**
 * Who may use a bundle's view: its owner, and the libraries the owner links
 * (docs/security.md, "fd calls on another bundle's view"). A call is judged
 * by who really makes it: a woven call carries a full-privilege
 * {@link MethodHandles.Lookup} of its class (the framework's weaving hook
 * rewrites every call of a guarded method in a module's classes), which only
 * that class can make, so the check is a class-to-bundle lookup and a
 * comparison; any other call (reflection, a method reference's hidden class,
 * code of no bundle) walks the stack to the first frame that belongs to a
 * bundle, as the caller guard does.
 *
 * <p>Without a rule (outside OSGi: unit tests, benchmarks) nothing is judged.
 */
public final class FdCallers {
    /** A caller that is the framework's own code, beneath the view layer. */
    public static final long TRUSTED = -2;
    /** No bundle on the stack at all. */
    public static final long NONE = -1;

    /** What the OSGi side knows: bundles of classes, the stack, wiring and licences. */
    public interface Rule {
        /** @return the id of the bundle {@code c} belongs to, {@link #NONE} for none */
        long bundleOf(Class<?> c);

        /** @return the bundle that really makes the current call, {@link #TRUSTED} or {@link #NONE} */
        long stackCaller();

        /**
         * @return the bundle that called the library whose code calls {@link FileDescriptors#checkLibraryCaller}:
         *         the first frame of a bundle other than that library's, {@link #NONE} for none
         */
        long libraryCaller();

        /**
         * @return whether {@code caller} may use {@code owner}'s view: a library the owner links (it imports
         *         a package of it, or requires it), with a GPL-compatible licence
         */
        boolean helper(LoadedModule owner, long caller);

        /** @return the symbolic name of a bundle, for messages */
        String name(long bundleId);
    }

    private static volatile Rule rule;

    private static final ClassValue<Long> BUNDLE = new ClassValue<>() {
        @Override
        protected Long computeValue(Class<?> type) {
            Rule r = rule;
            return r == null ? NONE : r.bundleOf(type);
        }
    };

    private FdCallers() {
    }

    /** @param r the rule, or {@code null} to judge nothing */
    public static void rule(Rule r) {
        rule = r;
    }

    /**
     * A woven call: judged by the class whose lookup it carries.
     *
     * @throws DmaBufException EBADF when the caller may not use the view
     */
    static void woven(LoadedModule owner, MethodHandles.Lookup caller, String func, int fd) {
        Rule r = rule;
        if (r == null) {
            return;
        }
        long who = caller != null && caller.hasFullPrivilegeAccess() ? BUNDLE.get(caller.lookupClass())
                : r.stackCaller(); // a lookup made elsewhere proves nothing: the stack decides
        owner.checkCaller(r, who, func, fd);
    }

    /**
     * A call that was not woven: judged by the stack.
     *
     * @throws DmaBufException EBADF when the caller may not use the view
     */
    static void unwoven(LoadedModule owner, String func, int fd) {
        Rule r = rule;
        if (r != null) {
            owner.checkCaller(r, r.stackCaller(), func, fd);
        }
    }

    /** A library's entry point: its caller is judged ({@code FileDescriptors.checkLibraryCaller}). */
    static void library(LoadedModule owner) {
        Rule r = rule;
        if (r != null) {
            owner.checkCaller(r, r.libraryCaller(), "checkLibraryCaller", -1);
        }
    }

    static DmaBufException refused(Rule r, LoadedModule owner, long who, String func, int fd) {
        String caller = who == NONE ? "code of no bundle" : r.name(who);
        return new DmaBufException(Errno.EBADF, func + (fd >= 0 ? ": fd " + fd + " is not " + caller + "'s: it is in "
                + owner.name() + "'s fd table" : ": " + owner.name() + "'s DMA-BUF view used by " + caller)
                + "; expected your own view and fds (a view is its bundle's, and the libraries it links')");
    }
}
