// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The exporter's callbacks of one buffer: {@code struct dma_buf_ops}.
 *
 * <p>Like the kernel's structure of function pointers, each member may be
 * absent ({@code null}); {@link DmaBufService#export} validates the set once,
 * at the door: {@link #map map}, {@link #unmap unmap} and {@link #release
 * release} are mandatory, and {@link #pin pin} and {@link #unpin unpin} come
 * as a pair or not at all. Everything else is optional and the framework does
 * the kernel's default when it is absent.
 *
 * <p>Every callback receives the exporter's private object ({@code priv}, the
 * kernel's {@code dmabuf->priv}) that was given to {@link ExportInfo}.
 *
 * <p>Callbacks run on the importer's thread, never concurrently for the same
 * buffer when the member says the buffer's reservation lock is held.
 * A callback that throws anything but {@link DmaBufException} is a driver bug:
 * the framework logs it and reports {@link Errno#EIO} to the caller, and the
 * operation changes nothing.
 *
 * @param <T> the type of the exporter's private object
 */
public final class DmaBufOps<T> {

    /**
     * {@code attach}: optional. Called by {@link DmaBuf#attach} and
     * {@link DmaBuf#dynamicAttach} before the attachment becomes visible,
     * without the reservation lock held, so that the exporter can check that
     * its backing store can serve the device.
     *
     * @param <T> the exporter's private type
     */
    @ConsumerType
    @FunctionalInterface
    public interface Attach<T> {
        /**
         * @param priv the exporter's private object
         * @param attachment the attachment being made; its device is the importer's
         * @throws DmaBufException to refuse, typically {@link Errno#EBUSY} when the
         *         memory cannot be reached by that device
         */
        void attach(T priv, Attachment attachment);
    }

    /**
     * {@code detach}: optional. Called by {@link DmaBuf#detach} after the last
     * mapping of the attachment is gone, without the reservation lock held, to
     * drop what {@link Attach} set up. Must not fail.
     *
     * @param <T> the exporter's private type
     */
    @ConsumerType
    @FunctionalInterface
    public interface Detach<T> {
        /**
         * @param priv the exporter's private object
         * @param attachment the attachment going away
         */
        void detach(T priv, Attachment attachment);
    }

    /**
     * {@code pin}: optional, but mandatory with {@link Unpin}. Called by
     * {@link Attachment#pin} with the reservation lock held: the backing
     * memory must stay where it is (no {@link DmaBuf#moveNotify}) until the
     * matching unpin. Exporters that implement it are "dynamic exporters".
     *
     * @param <T> the exporter's private type
     */
    @ConsumerType
    @FunctionalInterface
    public interface Pin<T> {
        /**
         * @param priv the exporter's private object
         * @param attachment the dynamic importer's attachment
         * @throws DmaBufException when the memory cannot be pinned where the
         *         device can reach it, for instance {@link Errno#ENOMEM}
         */
        void pin(T priv, Attachment attachment);
    }

    /**
     * {@code unpin}: optional, but mandatory with {@link Pin}. Called by
     * {@link Attachment#unpin} with the reservation lock held. Must not fail.
     *
     * @param <T> the exporter's private type
     */
    @ConsumerType
    @FunctionalInterface
    public interface Unpin<T> {
        /**
         * @param priv the exporter's private object
         * @param attachment the attachment that pinned
         */
        void unpin(T priv, Attachment attachment);
    }

    /**
     * {@code map_dma_buf}: mandatory. Called by {@link Attachment#mapAttachment}
     * with the reservation lock held. Returns the device's view of the whole
     * buffer for the direction: the kernel's {@code sg_table}, here one
     * segment of {@link DmaBuf#size()} bytes that the framework hands to the
     * importer without copying.
     *
     * @param <T> the exporter's private type
     */
    @ConsumerType
    @FunctionalInterface
    public interface Map<T> {
        /**
         * @param priv the exporter's private object
         * @param attachment the importer's attachment
         * @param direction the direction of the transfer
         * @return the memory, exactly {@link DmaBuf#size()} bytes long
         * @throws DmaBufException when the memory cannot be mapped for that
         *         device now, for instance {@link Errno#ENOMEM} or {@link Errno#ENODEV}
         */
        MemorySegment map(T priv, Attachment attachment, DmaDirection direction);
    }

    /**
     * {@code unmap_dma_buf}: mandatory. Called by
     * {@link Attachment#unmapAttachment} with the reservation lock held, with
     * the segment {@link Map} returned. Must not fail.
     *
     * @param <T> the exporter's private type
     */
    @ConsumerType
    @FunctionalInterface
    public interface Unmap<T> {
        /**
         * @param priv the exporter's private object
         * @param attachment the importer's attachment
         * @param mapping the segment that {@link Map} returned
         * @param direction the direction it was mapped for
         */
        void unmap(T priv, Attachment attachment, MemorySegment mapping, DmaDirection direction);
    }

    /**
     * {@code release}: mandatory. Called exactly once, by whichever thread
     * drops the last reference to the buffer, after every attachment and
     * virtual mapping is gone: free the backing memory here. It may run after
     * the exporting bundle has stopped (the buffer outlived its exporter), so
     * it must not depend on the bundle being active. Must not fail.
     *
     * @param <T> the exporter's private type
     */
    @ConsumerType
    @FunctionalInterface
    public interface Release<T> {
        /** @param priv the exporter's private object */
        void release(T priv);
    }

    /**
     * {@code begin_cpu_access} and {@code end_cpu_access}: optional. Called by
     * {@link DmaBuf#beginCpuAccess} after the framework has waited for the
     * fences that the access conflicts with, and by {@link DmaBuf#endCpuAccess};
     * without the reservation lock held. Exporters use them to make caches
     * coherent or to migrate memory to where the CPU can reach it.
     *
     * @param <T> the exporter's private type
     */
    @ConsumerType
    @FunctionalInterface
    public interface CpuAccess<T> {
        /**
         * @param priv the exporter's private object
         * @param direction the direction of the access, see {@link DmaDirection}
         * @throws DmaBufException to refuse the access
         */
        void access(T priv, DmaDirection direction);
    }

    /**
     * {@code vmap}: optional; without it {@link DmaBuf#vmap} fails with
     * {@link Errno#EINVAL}. Called with the reservation lock held, for the
     * first virtual mapping only: the framework counts the others and
     * returns the same segment.
     *
     * @param <T> the exporter's private type
     */
    @ConsumerType
    @FunctionalInterface
    public interface Vmap<T> {
        /**
         * @param priv the exporter's private object
         * @return the CPU's view of the whole buffer
         */
        MemorySegment vmap(T priv);
    }

    /**
     * {@code vunmap}: optional. Called with the reservation lock held when the
     * last virtual mapping goes. Must not fail.
     *
     * @param <T> the exporter's private type
     */
    @ConsumerType
    @FunctionalInterface
    public interface Vunmap<T> {
        /**
         * @param priv the exporter's private object
         * @param mapping the segment that {@link Vmap} returned
         */
        void vunmap(T priv, MemorySegment mapping);
    }

    /**
     * {@code mmap}: optional; without it {@link DmaBuf#mmap} fails with
     * {@link Errno#EINVAL}. Called without the reservation lock held, after
     * the framework has checked that the range lies inside the buffer.
     *
     * @param <T> the exporter's private type
     */
    @ConsumerType
    @FunctionalInterface
    public interface Mmap<T> {
        /**
         * @param priv the exporter's private object
         * @param offset the byte offset of the range, a multiple of the page size
         * @param length the length of the range in bytes
         * @return the CPU's view of that range
         */
        MemorySegment mmap(T priv, long offset, long length);
    }

    private final Attach<T> attach;
    private final Detach<T> detach;
    private final Pin<T> pin;
    private final Unpin<T> unpin;
    private final Map<T> map;
    private final Unmap<T> unmap;
    private final Release<T> release;
    private final CpuAccess<T> beginCpuAccess;
    private final CpuAccess<T> endCpuAccess;
    private final Vmap<T> vmap;
    private final Vunmap<T> vunmap;
    private final Mmap<T> mmap;

    private DmaBufOps(Builder<T> b) {
        this.attach = b.attach;
        this.detach = b.detach;
        this.pin = b.pin;
        this.unpin = b.unpin;
        this.map = b.map;
        this.unmap = b.unmap;
        this.release = b.release;
        this.beginCpuAccess = b.beginCpuAccess;
        this.endCpuAccess = b.endCpuAccess;
        this.vmap = b.vmap;
        this.vunmap = b.vunmap;
        this.mmap = b.mmap;
    }

    /**
     * Starts a set of callbacks. Nothing is checked until the set is given to
     * {@link DmaBufService#export}, as the kernel checks {@code dma_buf_ops}
     * in {@code dma_buf_export}.
     *
     * @param <T> the exporter's private type
     * @return an empty set of callbacks
     */
    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /** @return {@code attach}, or {@code null} */
    public Attach<T> attach() { return attach; }
    /** @return {@code detach}, or {@code null} */
    public Detach<T> detach() { return detach; }
    /** @return {@code pin}, or {@code null} */
    public Pin<T> pin() { return pin; }
    /** @return {@code unpin}, or {@code null} */
    public Unpin<T> unpin() { return unpin; }
    /** @return {@code map_dma_buf}, or {@code null} */
    public Map<T> map() { return map; }
    /** @return {@code unmap_dma_buf}, or {@code null} */
    public Unmap<T> unmap() { return unmap; }
    /** @return {@code release}, or {@code null} */
    public Release<T> release() { return release; }
    /** @return {@code begin_cpu_access}, or {@code null} */
    public CpuAccess<T> beginCpuAccess() { return beginCpuAccess; }
    /** @return {@code end_cpu_access}, or {@code null} */
    public CpuAccess<T> endCpuAccess() { return endCpuAccess; }
    /** @return {@code vmap}, or {@code null} */
    public Vmap<T> vmap() { return vmap; }
    /** @return {@code vunmap}, or {@code null} */
    public Vunmap<T> vunmap() { return vunmap; }
    /** @return {@code mmap}, or {@code null} */
    public Mmap<T> mmap() { return mmap; }

    /**
     * Collects callbacks; each setter replaces what was set before.
     *
     * @param <T> the exporter's private type
     */
    public static final class Builder<T> {
        private Attach<T> attach;
        private Detach<T> detach;
        private Pin<T> pin;
        private Unpin<T> unpin;
        private Map<T> map;
        private Unmap<T> unmap;
        private Release<T> release;
        private CpuAccess<T> beginCpuAccess;
        private CpuAccess<T> endCpuAccess;
        private Vmap<T> vmap;
        private Vunmap<T> vunmap;
        private Mmap<T> mmap;

        private Builder() {
        }

        /** @param op {@code attach} @return this builder */
        public Builder<T> attach(Attach<T> op) { this.attach = op; return this; }
        /** @param op {@code detach} @return this builder */
        public Builder<T> detach(Detach<T> op) { this.detach = op; return this; }
        /** @param op {@code pin} @return this builder */
        public Builder<T> pin(Pin<T> op) { this.pin = op; return this; }
        /** @param op {@code unpin} @return this builder */
        public Builder<T> unpin(Unpin<T> op) { this.unpin = op; return this; }
        /** @param op {@code map_dma_buf} @return this builder */
        public Builder<T> map(Map<T> op) { this.map = op; return this; }
        /** @param op {@code unmap_dma_buf} @return this builder */
        public Builder<T> unmap(Unmap<T> op) { this.unmap = op; return this; }
        /** @param op {@code release} @return this builder */
        public Builder<T> release(Release<T> op) { this.release = op; return this; }
        /** @param op {@code begin_cpu_access} @return this builder */
        public Builder<T> beginCpuAccess(CpuAccess<T> op) { this.beginCpuAccess = op; return this; }
        /** @param op {@code end_cpu_access} @return this builder */
        public Builder<T> endCpuAccess(CpuAccess<T> op) { this.endCpuAccess = op; return this; }
        /** @param op {@code vmap} @return this builder */
        public Builder<T> vmap(Vmap<T> op) { this.vmap = op; return this; }
        /** @param op {@code vunmap} @return this builder */
        public Builder<T> vunmap(Vunmap<T> op) { this.vunmap = op; return this; }
        /** @param op {@code mmap} @return this builder */
        public Builder<T> mmap(Mmap<T> op) { this.mmap = op; return this; }

        /** @return the set of callbacks, unchecked */
        public DmaBufOps<T> build() {
            return new DmaBufOps<>(this);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("dma_buf_ops{");
        append(sb, "attach", attach);
        append(sb, "detach", detach);
        append(sb, "pin", pin);
        append(sb, "unpin", unpin);
        append(sb, "map_dma_buf", map);
        append(sb, "unmap_dma_buf", unmap);
        append(sb, "release", release);
        append(sb, "begin_cpu_access", beginCpuAccess);
        append(sb, "end_cpu_access", endCpuAccess);
        append(sb, "vmap", vmap);
        append(sb, "vunmap", vunmap);
        append(sb, "mmap", mmap);
        return sb.append('}').toString();
    }

    private static void append(StringBuilder sb, String name, Object op) {
        if (Objects.nonNull(op)) {
            if (sb.charAt(sb.length() - 1) != '{') {
                sb.append(", ");
            }
            sb.append(name);
        }
    }
}
