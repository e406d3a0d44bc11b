// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.security.CodeSource;
import java.util.stream.Collectors;

/**
 * Where a handle was taken: the kernel's {@code ref_tracker}, in debug mode
 * ({@link DmaBufCore#debug}). The first frames of the caller's code (not the
 * framework's own classes, not the API's default methods, not the JDK's), as {@code Class.method(File:line)}
 * joined by " < ". Costs a stack walk, so only in debug mode.
 */
final class Origins {
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    /** Where the framework's own classes come from: its bundle's jar (or its classes folder in unit tests). */
    private static final java.net.URL OURS = location(Origins.class);
    /** How many frames an origin keeps. */
    static final int FRAMES = 3;

    private Origins() {
    }

    private static java.net.URL location(Class<?> c) {
        CodeSource s = c.getProtectionDomain().getCodeSource();
        return s == null ? null : s.getLocation();
    }

    /** @return the caller's frames, or {@code "?"} when only the framework and the JDK are on the stack */
    static String here() {
        String s = WALKER.walk(frames -> frames.filter(f -> {
            Class<?> c = f.getDeclaringClass();
            ClassLoader l = c.getClassLoader();
            return l != null && l != ClassLoader.getPlatformClassLoader() && !java.util.Objects.equals(location(c), OURS)
                    && !c.getName().startsWith("java.") && !c.getName().startsWith("jdk.")
                    && !c.getName().startsWith("org.dmabuf.api."); // the API's default methods are the kernel's
        }).limit(FRAMES).map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "."
                + f.getMethodName() + "(" + f.getFileName() + ":" + f.getLineNumber() + ")")
                .collect(Collectors.joining(" < ")));
        return s.isEmpty() ? "?" : s;
    }
}
