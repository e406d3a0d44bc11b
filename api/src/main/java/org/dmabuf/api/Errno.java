// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

/**
 * The kernel error numbers the DMA-BUF API reports, with their Linux values
 * and {@code strerror} texts, so that a failure here reads like the kernel's.
 */
public enum Errno {
    /** Operation not permitted: a caller lacks the right (for instance a licence grant). */
    EPERM(1, "Operation not permitted"),
    /** No such file or directory: an unknown heap, an exporter that is gone. */
    ENOENT(2, "No such file or directory"),
    /** Interrupted system call: a wait was interrupted. */
    EINTR(4, "Interrupted system call"),
    /** Input/output error: a driver callback failed in a way it did not declare. */
    EIO(5, "Input/output error"),
    /** Bad file descriptor: the fd is not open in the caller's fd table. */
    EBADF(9, "Bad file descriptor"),
    /** Cannot allocate memory. */
    ENOMEM(12, "Cannot allocate memory"),
    /** Device or resource busy: the backing store cannot serve that device. */
    EBUSY(16, "Device or resource busy"),
    /** File exists: a device or heap of that name is there already. */
    EEXIST(17, "File exists"),
    /** No such device: the memory or device behind the buffer is gone. */
    ENODEV(19, "No such device"),
    /** Invalid argument. */
    EINVAL(22, "Invalid argument"),
    /** Too many open files: the caller's fd table is full. */
    EMFILE(24, "Too many open files"),
    /** Resource deadlock avoided. */
    EDEADLK(35, "Resource deadlock avoided"),
    /** Value too large for defined data type. */
    EOVERFLOW(75, "Value too large for defined data type"),
    /** Connection timed out: a bounded wait ran out. */
    ETIMEDOUT(110, "Connection timed out"),
    /** Operation already in progress: a lock this context or thread holds already ({@code ww_mutex_lock}). */
    EALREADY(114, "Operation already in progress");

    private final int value;
    private final String text;

    Errno(int value, String text) {
        this.value = value;
        this.text = text;
    }

    /** @return the positive errno value, as in {@code <uapi/asm-generic/errno-base.h>} */
    public int value() {
        return value;
    }

    /** @return the kernel's negative return code, for instance {@code -22} for EINVAL */
    public int code() {
        return -value;
    }

    /** @return the C library's {@code strerror} text */
    public String text() {
        return text;
    }
}
