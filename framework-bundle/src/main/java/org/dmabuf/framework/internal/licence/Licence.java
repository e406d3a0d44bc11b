// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.licence;

/**
 * A bundle's licence as the gate read it from {@code Bundle-License}.
 *
 * @param header the header as written, or {@code null} when there is none
 * @param name the licence as the kernel's taint message shows it
 *        ({@code 'unspecified'} when there is none)
 * @param kind how it was read
 * @param gplCompatible whether the kernel's {@code license_is_gpl_compatible} would say yes
 * @param reason why, in one sentence
 */
public record Licence(String header, String name, Kind kind, boolean gplCompatible, String reason) {

    /** How a header was read. */
    public enum Kind {
        /** One of the kernel's own strings ({@code GPL}, {@code Dual MIT/GPL}, {@code Proprietary}, ...). */
        KERNEL,
        /** An SPDX identifier or expression. */
        SPDX,
        /** No header: proprietary, with a warning. */
        MISSING,
        /** A header that could not be read: proprietary, with a warning naming it. */
        MALFORMED
    }

    /** @return whether reading the header deserves a warning */
    public boolean warns() {
        return kind == Kind.MISSING || kind == Kind.MALFORMED;
    }
}
