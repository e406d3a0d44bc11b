// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import java.util.Objects;

/**
 * A DMA-BUF call failed, for the reason the kernel would have returned as a
 * negative errno.
 *
 * <p>The message names the kernel function (for instance {@code dma_buf_get}),
 * the errno, what was wrong and what was expected. A call that throws this
 * exception has changed nothing: every buffer, handle and reference count is
 * as it was before the call.
 *
 * <p>Exporters throw it from their {@link DmaBufOps} callbacks to refuse an
 * operation, for instance {@code EBUSY} from {@link DmaBufOps.Attach} when
 * the backing store cannot serve a device.
 */
public class DmaBufException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    /**
     * @param errno the kernel error this failure stands for
     * @param message what was wrong and what was expected
     */
    public DmaBufException(Errno errno, String message) {
        super(format(errno, message));
        this.errno = errno;
    }

    /**
     * @param errno the kernel error this failure stands for
     * @param message what was wrong and what was expected
     * @param cause the failure behind it, for instance a driver callback's exception
     */
    public DmaBufException(Errno errno, String message, Throwable cause) {
        super(format(errno, message), cause);
        this.errno = errno;
    }

    /** @return the kernel error this failure stands for */
    public Errno errno() {
        return errno;
    }

    private static String format(Errno errno, String message) {
        Objects.requireNonNull(errno, "errno");
        return message + " (-" + errno.name() + ": " + errno.text() + ")";
    }
}
