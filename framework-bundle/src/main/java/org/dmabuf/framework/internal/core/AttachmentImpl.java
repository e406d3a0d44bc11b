// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ImporterOps;
import org.dmabuf.api.Mapping;
import org.dmabuf.api.Symbol;

/** {@code struct dma_buf_attachment}: holds a reference to its buffer until detached. */
final class AttachmentImpl extends Tracked implements Attachment {
    final DmaBufObject buf;
    final LoadedModule owner;
    private final Device device;
    final ImporterOps importerOps;

    // guarded by the buffer's reservation lock
    volatile boolean attached = true;
    int slot; // its place in its buffer's list of attachments; under the buffer's reservation lock
    /** The newest of its mappings not yet unmapped, linked by {@link MappingImpl#next}: no list to allocate. */
    MappingImpl mappings;
    int pins;

    AttachmentImpl(DmaBufObject buf, LoadedModule owner, Device device, ImporterOps importerOps) {
        this.buf = buf;
        this.owner = owner;
        this.device = device;
        this.importerOps = importerOps;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public long inode() {
        return buf.ino;
    }

    @Override
    public boolean isDynamic() {
        return importerOps != null;
    }

    @Override
    public boolean peer2peer() {
        return importerOps != null && importerOps.allowPeer2peer();
    }

    // dma_buf_attach_revocable: the importer follows invalidate_mappings
    @Override
    public boolean revocable() {
        return importerOps != null && importerOps.invalidateMappings() != null;
    }

    @Override
    public boolean isAttached() {
        return attached;
    }

    @Override
    public Mapping mapAttachment(DmaDirection direction) {
        owner.require(Symbol.DMA_BUF_MAP_ATTACHMENT);
        if (direction == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_map_attachment: direction is null; expected"
                    + " TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL");
        }
        jdk.jfr.Event traced = org.dmabuf.framework.internal.trace.Trace.mapBegin();
        Mapping m = buf.map(this, direction);
        org.dmabuf.framework.internal.trace.Trace.mapped(traced, owner.name(), buf, device.name(),
                direction.name());
        return m;
    }

    @Override
    public void unmapAttachment(Mapping mapping) {
        owner.require(Symbol.DMA_BUF_UNMAP_ATTACHMENT);
        if (!(mapping instanceof MappingImpl m) || m.attachment() != this) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_unmap_attachment: "
                    + (mapping == null ? "mapping is null" : "the mapping belongs to another attachment")
                    + "; expected a mapping made by mapAttachment on this attachment");
        }
        buf.unmap(this, m);
        org.dmabuf.framework.internal.trace.Trace.unmap(owner.name(), buf, device.name());
    }

    @Override
    public void pin() {
        owner.require(Symbol.DMA_BUF_PIN);
        requireDynamic("dma_buf_pin");
        buf.pin(this);
    }

    @Override
    public void unpin() {
        owner.require(Symbol.DMA_BUF_UNPIN);
        requireDynamic("dma_buf_unpin");
        buf.unpin(this);
    }

    private void requireDynamic(String func) {
        if (importerOps == null) {
            throw new DmaBufException(Errno.EINVAL, func + ": the attachment of " + device.name() + " to ino "
                    + buf.ino + " is static; expected a dynamic attachment (dynamicAttach with invalidate_mappings)");
        }
    }

    /** Unlinks {@code m} from this attachment's mappings; under the buffer's reservation lock. @return whether it was there */
    boolean unlink(MappingImpl m) {
        MappingImpl prev = null;
        for (MappingImpl x = mappings; x != null; prev = x, x = x.next) {
            if (x == m) {
                if (prev == null) {
                    mappings = x.next;
                } else {
                    prev.next = x.next;
                }
                x.next = null;
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "attachment of " + device.name() + " to ino " + buf.ino + (isDynamic() ? " (dynamic)" : "");
    }
}
