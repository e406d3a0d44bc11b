// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.lang.foreign.MemorySegment;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Mapping;

/** A device mapping ({@code sg_table}): the exporter's memory, not a copy. */
final class MappingImpl implements Mapping {
    private final AttachmentImpl attachment;
    private final DmaDirection direction;
    private final MemorySegment segment;
    final boolean pinnedOnMap;
    volatile boolean mapped = true; // written under the buffer's reservation lock
    /** The attachment's next older mapping; guarded by the buffer's reservation lock. */
    MappingImpl next;

    MappingImpl(AttachmentImpl attachment, DmaDirection direction, MemorySegment segment, boolean pinnedOnMap) {
        this.attachment = attachment;
        this.direction = direction;
        this.segment = segment;
        this.pinnedOnMap = pinnedOnMap;
    }

    @Override
    public Attachment attachment() {
        return attachment;
    }

    @Override
    public DmaDirection direction() {
        return direction;
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public boolean isMapped() {
        return mapped;
    }

    @Override
    public void close() {
        if (mapped) {
            attachment.unmapAttachment(this);
        }
    }

    @Override
    public String toString() {
        return "mapping of ino " + attachment.inode() + " for " + attachment.device().name() + " " + direction;
    }
}
