// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import java.lang.foreign.MemorySegment;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A device's mapping of a buffer for one direction: the kernel's
 * {@code sg_table} returned by {@code dma_buf_map_attachment}. Ended by
 * {@link Attachment#unmapAttachment} or, equivalently, {@link #close()}.
 *
 * <pre>{@code
 * try (Mapping m = attachment.mapAttachment(DmaDirection.FROM_DEVICE)) {
 *     scanout(m.segment());
 * }
 * }</pre>
 */
@ProviderType
public interface Mapping extends AutoCloseable {
    /** @return the attachment it was made on */
    Attachment attachment();

    /** @return the direction it was made for */
    DmaDirection direction();

    /**
     * @return the memory itself (never a copy), {@link DmaBuf#size()} bytes.
     *         After unmap it must not be used: reads may return undefined
     *         contents (never another buffer's) or fail with an
     *         {@link IllegalStateException} once the memory is freed
     */
    MemorySegment segment();

    /** @return whether the mapping is still mapped */
    boolean isMapped();

    /** Same as {@code attachment().unmapAttachment(this)}; does nothing if already unmapped. */
    @Override
    void close();
}
