// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

/**
 * How a fence in a reservation object uses the buffer: {@code enum dma_resv_usage}.
 * Ordered: asking for one usage returns every fence of that usage and below.
 */
public enum DmaResvUsage {
    /** Memory management by the kernel (moves, clears): everybody waits. */
    KERNEL,
    /** Implicit-sync writers. */
    WRITE,
    /** Implicit-sync readers. */
    READ,
    /** Book-keeping only: never waited for implicitly. */
    BOOKKEEP;

    /**
     * {@code dma_resv_usage_rw}: what an access must wait for.
     *
     * @param write whether the access writes
     * @return {@link #READ} (every reader and writer) for a write, {@link #WRITE} (the writers) for a read
     */
    public static DmaResvUsage rw(boolean write) {
        return write ? READ : WRITE;
    }

    /** @return the kernel's name, as bufinfo prints it */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
