// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.console;

import java.util.ArrayList;
import java.util.List;

/**
 * A console table whose columns are as wide as their widest cell, as
 * {@code lsmod} and {@code column -t} print them: a long module name or
 * licence shifts its column, never the ones after it. A header ending in
 * {@code >} is right-aligned (numbers); the last column is not padded.
 */
final class Columns {
    private final List<String[]> rows = new ArrayList<>();
    private final boolean[] right;

    /** @param headers the column headers; {@code "used>"} is the right-aligned column "used" */
    Columns(String... headers) {
        right = new boolean[headers.length];
        String[] h = new String[headers.length];
        for (int i = 0; i < headers.length; i++) {
            right[i] = headers[i].endsWith(">");
            h[i] = right[i] ? headers[i].substring(0, headers[i].length() - 1) : headers[i];
        }
        rows.add(h);
    }

    /** @param cells one per column, printed with {@link String#valueOf(Object)} */
    Columns row(Object... cells) {
        if (cells.length != right.length) {
            throw new IllegalArgumentException(cells.length + " cells; expected " + right.length);
        }
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            r[i] = String.valueOf(cells[i]);
        }
        rows.add(r);
        return this;
    }

    @Override
    public String toString() {
        int[] width = new int[right.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder s = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                boolean last = i == r.length - 1;
                String pad = " ".repeat(width[i] - r[i].length());
                if (right[i]) {
                    s.append(pad).append(r[i]);
                } else {
                    s.append(r[i]).append(last ? "" : pad);
                }
                if (!last) {
                    s.append("  ");
                }
            }
            s.append('\n');
        }
        return s.toString();
    }
}
