// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.console;

import java.util.Locale;

/** Sizes as people write them at the console and in configuration: 4096, 4K, 256M, 2G. */
public final class Sizes {
    private Sizes() {
    }

    /**
     * @param size a number of bytes, optionally followed by K, M or G (powers of 1024)
     * @return the number of bytes
     * @throws IllegalArgumentException naming the text and what was expected
     */
    public static long parse(String size) {
        String s = size == null ? "" : size.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (s.endsWith("IB")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("B")) {
            s = s.substring(0, s.length() - 1);
        }
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                default -> unit = 1;
            }
            if (unit != 1) {
                s = s.substring(0, s.length() - 1);
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(s), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("size '" + size + "' is not a size; expected bytes such as 4096, 4K or 8M");
        }
    }}
