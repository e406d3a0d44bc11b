// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.licence;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kernel's taint: flags set when something happened that a developer
 * reading a bug report must know, sticky until the framework restarts
 * ({@code Documentation/admin-guide/tainted-kernels.rst}). Kept framework-wide
 * and per module (a module's letters stay listed after it is gone, as the
 * kernel lists unloaded tainted modules).
 */
public final class Taint {

    /** The flags this platform sets, with the kernel's letters and bits. */
    public enum Flag {
        /** A proprietary module was loaded. */
        PROPRIETARY_MODULE('P', 0, "proprietary module was loaded"),
        /**
         * A module reaches past the API by deep reflection ({@code setAccessible}, {@code privateLookupIn},
         * {@code sun.misc.Unsafe}): as a force-loaded module skips the kernel's checks, it can skip the
         * platform's.
         */
        FORCED_MODULE('F', 1, "module was force loaded"),
        /** An externally-built ("out-of-tree") module was loaded. */
        OOT_MODULE('O', 12, "externally-built (\"out-of-tree\") module was loaded");

        private final char letter;
        private final int bit;
        private final String description;

        Flag(char letter, int bit, String description) {
            this.letter = letter;
            this.bit = bit;
            this.description = description;
        }

        /** @return the letter of {@code Tainted:} */
        public char letter() {
            return letter;
        }

        /** @return the bit in {@code /proc/sys/kernel/tainted} */
        public int bit() {
            return bit;
        }

        /** @return what it means */
        public String description() {
            return description;
        }
    }

    private final EnumSet<Flag> flags = EnumSet.noneOf(Flag.class);
    private final Map<String, EnumSet<Flag>> modules = new LinkedHashMap<>();

    /**
     * Taints the framework, and the module when one is named.
     *
     * @param module the module's symbolic name, or {@code null}
     * @param flag the flag
     * @return whether the module (or, without one, the framework) did not have it yet
     */
    public synchronized boolean add(String module, Flag flag) {
        boolean fresh = flags.add(flag);
        if (module != null) {
            return modules.computeIfAbsent(module, m -> EnumSet.noneOf(Flag.class)).add(flag);
        }
        return fresh;
    }

    /** @return the flags set so far */
    public synchronized Set<Flag> flags() {
        return EnumSet.copyOf(flags.isEmpty() ? EnumSet.noneOf(Flag.class) : flags);
    }

    /** @return a module's flags */
    public synchronized Set<Flag> flags(String module) {
        EnumSet<Flag> f = modules.get(module);
        return f == null ? EnumSet.noneOf(Flag.class) : EnumSet.copyOf(f);
    }

    /** @return {@code Tainted: P O} or {@code Not tainted} */
    public synchronized String line() {
        if (flags.isEmpty()) {
            return "Not tainted";
        }
        StringBuilder s = new StringBuilder("Tainted:");
        for (Flag f : flags) {
            s.append(' ').append(f.letter);
        }
        return s.toString();
    }

    /** @return the value of {@code /proc/sys/kernel/tainted} */
    public synchronized long value() {
        long v = 0;
        for (Flag f : flags) {
            v |= 1L << f.bit;
        }
        return v;
    }

    /** @return a module's name as an oops lists it: {@code nvidia(PO)}, or {@code i915} when untainted */
    public synchronized String moduleLabel(String module) {
        EnumSet<Flag> f = modules.get(module);
        if (f == null || f.isEmpty()) {
            return module;
        }
        StringBuilder s = new StringBuilder(module).append('(');
        f.forEach(x -> s.append(x.letter));
        return s.append(')').toString();
    }

    /** @return the line and one decoded line per flag, as {@code kernel-chktaint} prints them */
    public synchronized List<String> decoded() {
        List<String> out = new ArrayList<>();
        out.add(line() + (flags.isEmpty() ? "" : "  (/proc/sys/kernel/tainted = " + value() + ")"));
        for (Flag f : flags) {
            out.add(" * " + f.letter + ": " + f.description + " (#" + f.bit + ")");
        }
        return out;
    }
}
