// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

/**
 * What an exporter hands to {@link DmaBufService#export}: {@code struct
 * dma_buf_export_info}. Built with {@link #builder}; checked only by export.
 *
 * <pre>{@code
 * ExportInfo<Vram> info = ExportInfo.builder(OPS, vram, vram.size())
 *         .expName("nvidia")
 *         .build();
 * DmaBuf buf = dmabuf.export(info);
 * }</pre>
 *
 * @param <T> the type of the exporter's private object
 */
public final class ExportInfo<T> {
    private final DmaBufOps<T> ops;
    private final T priv;
    private final long size;
    private final int flags;
    private final String expName;
    private final org.dmabuf.api.fence.DmaResv resv;

    private ExportInfo(Builder<T> b) {
        this.ops = b.ops;
        this.priv = b.priv;
        this.size = b.size;
        this.flags = b.flags;
        this.expName = b.expName;
        this.resv = b.resv;
    }

    /**
     * @param <T> the exporter's private type
     * @param ops the callbacks; mandatory members are checked by export
     * @param priv the exporter's private object, passed to every callback; mandatory
     * @param size the size of the buffer in bytes; fixed for its lifetime
     * @return a builder with the file flags {@link Fcntl#O_RDWR} and the
     *         exporter's name defaulting to the exporting bundle's symbolic name
     *         (the kernel's {@code KBUILD_MODNAME})
     */
    public static <T> Builder<T> builder(DmaBufOps<T> ops, T priv, long size) {
        return new Builder<>(ops, priv, size);
    }

    /** @return the callbacks */
    public DmaBufOps<T> ops() { return ops; }
    /** @return the exporter's private object */
    public T priv() { return priv; }
    /** @return the size in bytes */
    public long size() { return size; }
    /** @return the file flags, an access mode of {@link Fcntl} */
    public int flags() { return flags; }
    /** @return the exporter's name, or {@code null} for the exporting bundle's symbolic name */
    public String expName() { return expName; }
    /** @return the reservation object to share, or {@code null} for a new one */
    public org.dmabuf.api.fence.DmaResv resv() { return resv; }

    /**
     * Builds an {@link ExportInfo}.
     *
     * @param <T> the exporter's private type
     */
    public static final class Builder<T> {
        private final DmaBufOps<T> ops;
        private final T priv;
        private final long size;
        private int flags = Fcntl.O_RDWR;
        private String expName;
        private org.dmabuf.api.fence.DmaResv resv;

        private Builder(DmaBufOps<T> ops, T priv, long size) {
            this.ops = ops;
            this.priv = priv;
            this.size = size;
        }

        /**
         * @param flags the file's access mode: {@link Fcntl#O_RDONLY},
         *        {@link Fcntl#O_WRONLY} or {@link Fcntl#O_RDWR}
         * @return this builder
         */
        public Builder<T> flags(int flags) {
            this.flags = flags;
            return this;
        }

        /**
         * @param expName the exporter's name as {@code bufinfo} shows it
         * @return this builder
         */
        public Builder<T> expName(String expName) {
            this.expName = expName;
            return this;
        }

        /**
         * @param resv the reservation object of the exporter's own object (a GEM
         *        buffer, say), so the buffer shares its fences and lock
         *        ({@code exp_info.resv}); by default the buffer gets its own
         * @return this builder
         */
        public Builder<T> resv(org.dmabuf.api.fence.DmaResv resv) {
            this.resv = resv;
            return this;
        }

        /** @return the export info, unchecked */
        public ExportInfo<T> build() {
            return new ExportInfo<>(this);
        }
    }
}
