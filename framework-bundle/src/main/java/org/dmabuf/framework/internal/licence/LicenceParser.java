// SPDX-License-Identifier: GPL-2.0-only
// (Java 17 source: modpost compiles this file into the build-time check, which runs in Maven's JVM)
package org.dmabuf.framework.internal.licence;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code Bundle-License} the way the kernel reads {@code MODULE_LICENSE}:
 * is this licence GPL-compatible?
 *
 * <h2>The rule</h2>
 * <ul>
 * <li>The kernel's own strings ({@code include/linux/license.h}):
 * {@code GPL}, {@code GPL v2}, {@code GPL and additional rights},
 * {@code Dual BSD/GPL}, {@code Dual MIT/GPL}, {@code Dual MPL/GPL} are
 * GPL-compatible; {@code Proprietary} is not.</li>
 * <li>SPDX identifiers: the GPL family ({@code GPL-*} and {@code LGPL-*}, any
 * version, {@code -only}, {@code -or-later} or {@code +}) is GPL-compatible, as
 * the kernel's plain {@code "GPL"} covers them; permissive licences
 * ({@code MIT}, {@code BSD-2-Clause}, {@code BSD-3-Clause}, {@code ISC},
 * {@code X11}, {@code Zlib}, {@code 0BSD}) are not on their own (the kernel
 * has no {@code "MIT"} string either) but may join a GPL licence; everything
 * else ({@code LicenseRef-*}, {@code NVIDIA}, {@code Apache-2.0}, ...) is not.</li>
 * <li>SPDX expressions: {@code A OR B} is compatible when either is (as
 * {@code Dual MIT/GPL} is {@code MIT OR GPL-2.0-only}); {@code A AND B} when
 * one is and the others are compatible or permissive; {@code A WITH exception}
 * as {@code A} (an exception only adds rights, as "GPL and additional rights").
 * Operators are upper-case, as SPDX specifies.</li>
 * <li>Several clauses separated by commas (the OSGi header's syntax) are
 * alternatives, as {@code OR}; {@code ;description=} and {@code ;link=}
 * attributes are ignored.</li>
 * <li>No header, {@code <<EXTERNAL>>}, or a header that cannot be parsed:
 * not compatible, with a warning that names the header.</li>
 * </ul>
 */
public final class LicenceParser {
    /** The name the kernel shows when a module declares no licence. */
    public static final String UNSPECIFIED = "unspecified";

    private static final Set<String> KERNEL_GPL = Set.of("GPL", "GPL v2", "GPL and additional rights",
            "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL");
    private static final Set<String> KERNEL_PROPRIETARY = Set.of("Proprietary");
    private static final Pattern GPL_FAMILY = Pattern.compile("L?GPL-[123]\\.[01](\\+|-only|-or-later)?\\+?");
    private static final Set<String> PERMISSIVE = Set.of("MIT", "BSD-2-Clause", "BSD-3-Clause", "ISC", "X11", "Zlib",
            "0BSD");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9.\\-]+(:[A-Za-z0-9.\\-]+)?\\+?");

    private LicenceParser() {
    }

    /** What an expression amounts to. */
    enum Class0 {
        OTHER, PERMISSIVE, GPL
    }

    /**
     * @param header the {@code Bundle-License} header, or {@code null}
     * @return the licence; never throws
     */
    public static Licence parse(String header) {
        if (header == null || header.isBlank()) {
            return new Licence(header, UNSPECIFIED, Licence.Kind.MISSING, false,
                    "no Bundle-License header: treated as proprietary");
        }
        String trimmed = header.strip();
        if (trimmed.equals("<<EXTERNAL>>")) {
            return malformed(header, trimmed, "the licence is <<EXTERNAL>> to the bundle: treated as proprietary");
        }
        List<String> names;
        try {
            names = clauseNames(trimmed);
        } catch (IllegalArgumentException e) {
            return malformed(header, trimmed, e.getMessage());
        }
        String shown = String.join(", ", names);
        Class0 best = Class0.OTHER;
        boolean anySpdx = false;
        boolean anyKernel = false;
        for (String name : names) {
            Class0 c;
            if (KERNEL_GPL.contains(name)) {
                c = Class0.GPL;
                anyKernel = true;
            } else if (KERNEL_PROPRIETARY.contains(name)) {
                c = Class0.OTHER;
                anyKernel = true;
            } else {
                try {
                    c = new Expr(name).parse();
                    anySpdx = true;
                } catch (IllegalArgumentException e) {
                    return malformed(header, shown, "'" + name + "' " + e.getMessage());
                }
            }
            if (c.ordinal() > best.ordinal()) {
                best = c;
            }
        }
        boolean ok = best == Class0.GPL;
        Licence.Kind kind = anySpdx ? Licence.Kind.SPDX : Licence.Kind.KERNEL;
        String reason;
        if (ok) {
            reason = "GPL-compatible";
        } else if (best == Class0.PERMISSIVE) {
            reason = "permissive but not GPL: the kernel accepts only GPL-compatible strings (make it 'MIT OR GPL-2.0-only')";
        } else if (anyKernel && !anySpdx) {
            reason = "the kernel's string for a proprietary licence";
        } else {
            reason = "not GPL-compatible: neither one of the kernel's GPL strings nor an SPDX expression with a GPL choice";
        }
        return new Licence(header, shown, kind, ok, reason);
    }

    private static Licence malformed(String header, String name, String why) {
        return new Licence(header, name, Licence.Kind.MALFORMED, false,
                "Bundle-License '" + header + "' cannot be read: " + why + "; treated as proprietary");
    }

    // Splits the OSGi header into clauses at top-level commas and drops ;attributes.
    static List<String> clauseNames(String header) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int depth = 0;
        boolean quoted = false;
        boolean inParams = false;
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                if (!inParams) {
                    continue; // a quoted name: keep its text
                }
            }
            if (!quoted) {
                if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    depth--;
                    if (depth < 0) {
                        throw new IllegalArgumentException("has an unbalanced ')'");
                    }
                } else if (c == ',' && depth == 0) {
                    add(out, cur);
                    inParams = false;
                    continue;
                } else if (c == ';' && depth == 0) {
                    inParams = true;
                }
            }
            if (!inParams) {
                cur.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("has an unterminated quote");
        }
        if (depth != 0) {
            throw new IllegalArgumentException("has an unbalanced '('");
        }
        add(out, cur);
        return out;
    }

    private static void add(List<String> out, StringBuilder cur) {
        String s = cur.toString().strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("has an empty licence clause");
        }
        out.add(s);
        cur.setLength(0);
    }

    /** @return how an SPDX identifier counts */
    static Class0 classify(String id) {
        if (GPL_FAMILY.matcher(id).matches()) {
            return Class0.GPL;
        }
        return PERMISSIVE.contains(id) ? Class0.PERMISSIVE : Class0.OTHER;
    }

    /** A recursive-descent parser of SPDX licence expressions, evaluating as it goes. */
    private static final class Expr {
        private final List<String> tokens = new ArrayList<>();
        private int pos;

        Expr(String text) {
            StringBuilder t = new StringBuilder();
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '(' || c == ')' || Character.isWhitespace(c)) {
                    if (t.length() > 0) {
                        tokens.add(t.toString());
                        t.setLength(0);
                    }
                    if (c != ' ' && !Character.isWhitespace(c)) {
                        tokens.add(String.valueOf(c));
                    }
                } else {
                    t.append(c);
                }
            }
            if (t.length() > 0) {
                tokens.add(t.toString());
            }
        }

        Class0 parse() {
            if (tokens.isEmpty()) {
                throw new IllegalArgumentException("is empty");
            }
            Class0 c = or();
            if (pos != tokens.size()) {
                throw new IllegalArgumentException("has '" + tokens.get(pos) + "' where AND, OR, WITH or the end was expected");
            }
            return c;
        }

        private Class0 or() {
            Class0 best = and();
            while (accept("OR")) {
                Class0 next = and();
                if (next.ordinal() > best.ordinal()) {
                    best = next;
                }
            }
            return best;
        }

        private Class0 and() {
            List<Class0> parts = new ArrayList<>();
            parts.add(with());
            while (accept("AND")) {
                parts.add(with());
            }
            if (parts.size() == 1) {
                return parts.get(0);
            }
            if (parts.contains(Class0.OTHER)) {
                return Class0.OTHER;
            }
            return parts.contains(Class0.GPL) ? Class0.GPL : Class0.PERMISSIVE;
        }

        private Class0 with() {
            Class0 base = primary();
            if (accept("WITH")) {
                String exception = next("a license exception id after WITH");
                if (!ID.matcher(exception).matches() || isOperator(exception)) {
                    throw new IllegalArgumentException("has '" + exception + "' where a license exception id was expected");
                }
            }
            return base;
        }

        private Class0 primary() {
            if (accept("(")) {
                Class0 c = or();
                if (!accept(")")) {
                    throw new IllegalArgumentException("misses a ')'");
                }
                return c;
            }
            String id = next("a license id");
            if (isOperator(id) || id.equals(")") || !ID.matcher(id).matches()) {
                throw new IllegalArgumentException("has '" + id + "' where a license id was expected");
            }
            return classify(id);
        }

        private static boolean isOperator(String s) {
            return s.equals("AND") || s.equals("OR") || s.equals("WITH");
        }

        private boolean accept(String s) {
            if (pos < tokens.size() && tokens.get(pos).equals(s)) {
                pos++;
                return true;
            }
            return false;
        }

        private String next(String what) {
            if (pos >= tokens.size()) {
                throw new IllegalArgumentException("ends where " + what + " was expected");
            }
            return tokens.get(pos++);
        }
    }
}
