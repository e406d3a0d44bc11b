// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One device's attachment to a buffer: {@code struct dma_buf_attachment}.
 * Made by {@link DmaBuf#attach} or {@link DmaBuf#dynamicAttach}, ended by
 * {@link DmaBuf#detach}. It belongs to the importer's bundle; the exporter
 * sees the same object in its callbacks.
 */
@ProviderType
public interface Attachment {
    /** @return the device that attached */
    Device device();

    /** @return the inode number of the buffer, as {@link DmaBuf#inode()} */
    long inode();

    /** @return whether this is a dynamic importer's attachment */
    boolean isDynamic();

    /** @return whether the importer accepts peer-to-peer access to device memory */
    boolean peer2peer();

    /**
     * {@code dma_buf_attach_revocable} (Linux, 2026): whether the exporter may
     * revoke this attachment's access for good, because the importer follows
     * {@link ImporterOps.MoveNotify invalidate_mappings} (a dynamic
     * attachment) and will find its next map failing with
     * {@link Errno#ENODEV}. An exporter of memory that can vanish (a device's
     * local memory on hot-unplug, a PCI BAR) calls it in its
     * {@link DmaBufOps.Attach attach} callback and refuses, with
     * {@link Errno#EBUSY}, an importer that would keep mapping it. A query,
     * from any thread; its symbol is GPL-only in the {@code DMA_BUF}
     * namespace, which only exporters and importers already link.
     *
     * @return whether the attachment is revocable
     * @since 1.3
     */
    boolean revocable();

    /** @return whether the attachment is still attached */
    boolean isAttached();

    /**
     * {@code dma_buf_map_attachment}: maps the buffer for the device, for a
     * direction, through the exporter's {@link DmaBufOps.Map}. Takes the
     * reservation lock. A static importer first waits for the buffer's KERNEL
     * fences (memory management in flight), as the kernel does. For a static
     * importer of a dynamic exporter (one with pin and unpin) the memory is
     * pinned for as long as the mapping lives.
     *
     * @param direction the direction of the transfer
     * @return the mapping; its segment is the exporter's memory itself, not a copy
     * @throws DmaBufException {@link Errno#EINVAL} for a null direction or a
     *         detached attachment; {@link Errno#ENODEV} when the memory is gone;
     *         {@link Errno#EINTR} when the wait was interrupted; the exporter's error
     */
    Mapping mapAttachment(DmaDirection direction);

    /**
     * {@code dma_buf_unmap_attachment}: undoes {@link #mapAttachment}. Takes
     * the reservation lock.
     *
     * @param mapping a mapping made on this attachment and not yet unmapped
     * @throws DmaBufException {@link Errno#EINVAL} when the mapping is null,
     *         belongs to another attachment or was already unmapped
     */
    void unmapAttachment(Mapping mapping);

    /**
     * {@code dma_buf_pin}: a dynamic importer keeps the memory in place (for
     * instance for scanout) until {@link #unpin}. Counted. Takes the
     * reservation lock and calls the exporter's {@link DmaBufOps.Pin}.
     *
     * @throws DmaBufException {@link Errno#EINVAL} for a static attachment or a
     *         detached one; the exporter's error
     */
    void pin();

    /**
     * {@code dma_buf_unpin}: undoes one {@link #pin}. Takes the reservation lock.
     *
     * @throws DmaBufException {@link Errno#EINVAL} for a static attachment, or
     *         when the attachment is not pinned
     */
    void unpin();
}
