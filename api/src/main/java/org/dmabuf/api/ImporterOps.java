// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A dynamic importer's callbacks: {@code struct dma_buf_attach_ops}, given to
 * {@link DmaBuf#dynamicAttach}. Built with {@link #builder}; checked by
 * dynamic attach ({@link #invalidateMappings} is mandatory).
 */
public final class ImporterOps {

    /**
     * {@code invalidate_mappings} ({@code move_notify} before Linux renamed it
     * in 2026): mandatory for a dynamic importer. Called by
     * {@link DmaBuf#invalidateMappings}, on the exporter's thread, with the buffer's
     * reservation lock held, when the exporter is about to move or revoke the
     * backing memory. Every mapping of the attachment is stale from this
     * point: the importer must stop using it, unmap it and map again before
     * the next access (which fails with {@link Errno#ENODEV} when the memory
     * was revoked rather than moved). Must not block and must not fail.
     */
    @ConsumerType
    @FunctionalInterface
    public interface MoveNotify {
        /** @param attachment the importer's attachment whose mappings are stale */
        void moveNotify(Attachment attachment);
    }

    private final MoveNotify moveNotify;
    private final boolean allowPeer2peer;

    private ImporterOps(MoveNotify moveNotify, boolean allowPeer2peer) {
        this.moveNotify = moveNotify;
        this.allowPeer2peer = allowPeer2peer;
    }

    /** @return an empty set of importer callbacks */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @return {@code invalidate_mappings} (the kernel's {@code move_notify}
     *         until its 2026 renaming), or {@code null}
     * @since 1.3
     */
    public MoveNotify invalidateMappings() {
        return moveNotify;
    }

    /**
     * @return {@code move_notify}, or {@code null}
     * @deprecated renamed {@link #invalidateMappings()}, as in Linux (2026)
     */
    @Deprecated
    public MoveNotify moveNotify() {
        return moveNotify;
    }

    /**
     * @return {@code allow_peer2peer}: whether the importer can reach memory
     *         local to another device directly, so the exporter need not
     *         migrate it to system memory
     */
    public boolean allowPeer2peer() {
        return allowPeer2peer;
    }

    /** Builds {@link ImporterOps}. */
    public static final class Builder {
        private MoveNotify moveNotify;
        private boolean allowPeer2peer;

        private Builder() {
        }

        /**
         * @param op {@code invalidate_mappings}: mandatory for a dynamic importer
         * @return this builder
         * @since 1.3
         */
        public Builder invalidateMappings(MoveNotify op) {
            this.moveNotify = op;
            return this;
        }

        /**
         * @param op {@code move_notify}
         * @return this builder
         * @deprecated renamed {@link #invalidateMappings(MoveNotify)}, as in Linux (2026)
         */
        @Deprecated
        public Builder moveNotify(MoveNotify op) {
            this.moveNotify = op;
            return this;
        }

        /** @param allow {@code allow_peer2peer} @return this builder */
        public Builder allowPeer2peer(boolean allow) {
            this.allowPeer2peer = allow;
            return this;
        }

        /** @return the callbacks, unchecked */
        public ImporterOps build() {
            return new ImporterOps(moveNotify, allowPeer2peer);
        }
    }
}
