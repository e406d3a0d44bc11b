// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.client;

import java.io.IOException;

/** An {@code ERROR} reply of the platform, or a failed system call: the errno's name and the message. */
public final class PeerException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String code;

    PeerException(String code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    /** @return the errno's name, such as {@code ENOENT} */
    public String code() {
        return code;
    }
}
