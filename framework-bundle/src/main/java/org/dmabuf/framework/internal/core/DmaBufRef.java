// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.Fcntl;
import org.dmabuf.api.ImporterOps;
import org.dmabuf.api.Symbol;
import org.dmabuf.api.fence.DmaResv;

/**
 * One bundle's counted reference to a buffer ({@code struct dma_buf *}).
 * Every operation acts on behalf of {@link #owner}: a handle checks (the
 * symbol, that the reference is still held), does its owner's bookkeeping
 * (tracking attachments and vmaps, fds of sync files) and delegates the work
 * to the {@link DmaBufObject}, dma-buf.c's one home.
 */
final class DmaBufRef extends Tracked implements DmaBuf {
    private static final VarHandle HELD;

    static {
        try {
            HELD = MethodHandles.lookup().findVarHandle(DmaBufRef.class, "held", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final DmaBufObject buf;
    final LoadedModule owner;
    @SuppressWarnings("unused") // through HELD
    private volatile int held = 1;
    private ResvView resvView;
    // debug mode: what the owner's list holds in place of this handle, so that the handle can become unreachable
    Shadow shadow;

    /**
     * In debug mode, the owner's record of a reference, linked in its list in
     * place of the handle: it holds the buffer and only a weak reference to
     * the handle, so a handle the driver drops without {@code dma_buf_put}
     * becomes unreachable, and the {@link java.lang.ref.Cleaner} runs this:
     * the leak is reported with where the reference was taken, and put
     * (the kernel's {@code ref_tracker} finds it only at the end; a JVM sees
     * it as it happens). Holds the reference's state in place of the handle.
     */
    static final class Shadow extends Tracked implements Runnable {
        private static final VarHandle SHADOW_HELD;

        static {
            try {
                SHADOW_HELD = MethodHandles.lookup().findVarHandle(Shadow.class, "held", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final DmaBufObject buf;
        final LoadedModule owner;
        final java.lang.ref.WeakReference<DmaBufRef> handle;
        @SuppressWarnings("unused") // through SHADOW_HELD
        private volatile int held = 1;
        volatile java.lang.ref.Cleaner.Cleanable cleanable;

        Shadow(DmaBufRef ref) {
            this.buf = ref.buf;
            this.owner = ref.owner;
            this.handle = new java.lang.ref.WeakReference<>(ref);
        }

        boolean held() {
            return (int) SHADOW_HELD.getVolatile(this) != 0;
        }

        boolean drop() {
            if (!SHADOW_HELD.compareAndSet(this, 1, 0)) {
                return false;
            }
            java.lang.ref.Cleaner.Cleanable c = cleanable;
            if (c != null) {
                c.clean(); // deregisters: run() finds it dropped
            }
            return true;
        }

        /** The cleaner's action: the handle became unreachable. */
        @Override
        public void run() {
            if (SHADOW_HELD.compareAndSet(this, 1, 0)) {
                owner.leaked(this);
            }
        }
    }

    DmaBufRef(DmaBufObject buf, LoadedModule owner) {
        this.buf = buf;
        this.owner = owner;
    }

    @Override
    public long size() {
        return buf.size;
    }

    @Override
    public String expName() {
        return buf.expName;
    }

    @Override
    public long inode() {
        return buf.ino;
    }

    @Override
    public int flags() {
        return buf.flags;
    }

    @Override
    public String name() {
        return buf.name();
    }

    @Override
    public boolean isHeld() {
        Shadow s = shadow;
        return s != null ? s.held() : (int) HELD.getVolatile(this) != 0;
    }

    private void checkHeld(String func) {
        if (!isHeld()) {
            throw new DmaBufException(Errno.EBADF, func + ": this reference to ino " + buf.ino
                    + " was already put or moved into an fd; expected a reference that is still held");
        }
    }

    /** Takes this reference out of the holder's hands. @return whether this call did */
    boolean drop() {
        Shadow s = shadow;
        return s != null ? s.drop() : HELD.compareAndSet(this, 1, 0);
    }

    @Override
    public void setName(String name) {
        checkHeld("DMA_BUF_SET_NAME");
        if (name == null) {
            throw new DmaBufException(Errno.EINVAL, "DMA_BUF_SET_NAME: name is null; expected a string");
        }
        if (name.indexOf('\0') >= 0) {
            throw new DmaBufException(Errno.EINVAL, "DMA_BUF_SET_NAME: name contains NUL; expected a C string");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes + 1 > NAME_LEN) {
            throw new DmaBufException(Errno.EINVAL, "DMA_BUF_SET_NAME: name is " + bytes
                    + " bytes long; expected at most " + (NAME_LEN - 1) + " bytes (DMA_BUF_NAME_LEN "
                    + NAME_LEN + " with the NUL)");
        }
        buf.setName(name);
    }

    @Override
    public DmaBuf get() {
        checkHeld("get_dma_buf");
        buf.getRef();
        DmaBufRef ref = new DmaBufRef(buf, owner);
        if (!owner.track(ref)) {
            buf.put();
            throw owner.gone("get_dma_buf");
        }
        org.dmabuf.framework.internal.trace.Trace.get(owner.name(), buf, -1);
        return ref;
    }

    @Override
    public void put() {
        owner.require(Symbol.DMA_BUF_PUT);
        if (!drop()) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_put: this reference to ino " + buf.ino
                    + " was already put or moved into an fd; expected one put per reference");
        }
        owner.untrack(this);
        org.dmabuf.framework.internal.trace.Trace.put(owner.name(), buf); // before: put may release it
        buf.put();
    }

    @Override
    public int fd(int fdFlags) {
        owner.require(Symbol.DMA_BUF_FD);
        if ((fdFlags & ~Fcntl.O_CLOEXEC) != 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_fd: flags 0" + Integer.toOctalString(fdFlags)
                    + " are not fd flags; expected 0 or O_CLOEXEC");
        }
        checkHeld("dma_buf_fd");
        FdTable fds = owner.fdTable();
        int fd = fds.reserve();
        if (!drop()) {
            fds.unreserve(fd);
            checkHeld("dma_buf_fd");
        }
        owner.untrack(this);
        if (!fds.install(fd, buf)) {
            buf.put();
            throw owner.gone("dma_buf_fd");
        }
        owner.fdInstalled(fd);
        org.dmabuf.framework.internal.trace.Trace.fd(owner.name(), buf, fd);
        return fd;
    }

    @Override
    public Attachment attach(Device device) {
        owner.require(Symbol.DMA_BUF_ATTACH);
        return attach("dma_buf_attach", device, null);
    }

    @Override
    public Attachment dynamicAttach(Device device, ImporterOps importerOps) {
        owner.require(Symbol.DMA_BUF_DYNAMIC_ATTACH);
        if (importerOps == null || importerOps.invalidateMappings() == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_dynamic_attach: "
                    + (importerOps == null ? "importer_ops is null" : "importer_ops has no invalidate_mappings")
                    + "; expected importer ops with invalidate_mappings (move_notify before 2026; or use dma_buf_attach for a static importer)");
        }
        return attach("dma_buf_dynamic_attach", device, importerOps);
    }

    private Attachment attach(String func, Device device, ImporterOps importerOps) {
        checkHeld(func);
        AttachmentImpl a = buf.attach(func, owner, device, importerOps);
        if (!owner.track(a)) {
            buf.detach(a, "attach while the importer stops");
            throw owner.gone(func);
        }
        org.dmabuf.framework.internal.trace.Trace.attach(owner.name(), buf, device.name(), importerOps != null);
        return a;
    }

    @Override
    public void detach(Attachment attachment) {
        owner.require(Symbol.DMA_BUF_DETACH);
        checkHeld("dma_buf_detach");
        if (!(attachment instanceof AttachmentImpl a) || a.buf != buf) {
            LoadedModule.LOG.warn("dma_buf_detach: {}: {} is not an attachment of ino {}; nothing done", owner.name(),
                    attachment == null ? "null" : attachment, buf.ino);
            return;
        }
        if (a.owner != owner) {
            LoadedModule.LOG.warn("dma_buf_detach: {}: {} belongs to {}; nothing done", owner.name(), a, a.owner.name());
            return;
        }
        if (buf.detach(a, "dma_buf_detach")) {
            owner.untrack(a); // the handle's bookkeeping: its owner's list
            org.dmabuf.framework.internal.trace.Trace.detach(owner.name(), buf, a.device().name());
        } else {
            LoadedModule.LOG.warn("dma_buf_detach: {}: {} is already detached; nothing done", owner.name(), a);
        }
    }

    @Override
    @Deprecated
    public void moveNotify() {
        owner.require(Symbol.DMA_BUF_MOVE_NOTIFY);
        invalidate("dma_buf_move_notify");
    }

    @Override
    public void invalidateMappings() {
        owner.require(Symbol.DMA_BUF_INVALIDATE_MAPPINGS);
        invalidate("dma_buf_invalidate_mappings");
    }

    private void invalidate(String func) {
        checkHeld(func);
        if (buf.exporter != owner) {
            throw new DmaBufException(Errno.EPERM, func + ": " + owner.name() + " is not the exporter of ino "
                    + buf.ino + "; expected a call from its exporter " + buf.exporter.name());
        }
        buf.moveNotify();
    }

    @Override
    public void beginCpuAccess(DmaDirection direction) {
        owner.require(Symbol.DMA_BUF_BEGIN_CPU_ACCESS);
        cpuAccess("dma_buf_begin_cpu_access", direction, true);
    }

    @Override
    public void endCpuAccess(DmaDirection direction) {
        owner.require(Symbol.DMA_BUF_END_CPU_ACCESS);
        cpuAccess("dma_buf_end_cpu_access", direction, false);
    }

    private void cpuAccess(String func, DmaDirection direction, boolean begin) {
        checkHeld(func);
        buf.cpuAccess(func, direction, begin);
    }

    @Override
    public MemorySegment vmap() {
        owner.require(Symbol.DMA_BUF_VMAP);
        checkHeld("dma_buf_vmap");
        MemorySegment seg = buf.vmap(owner);
        if (!owner.track(new VmapRecord(buf))) {
            buf.vunmap(seg, owner.name(), owner);
            throw owner.gone("dma_buf_vmap");
        }
        return seg;
    }

    @Override
    public void vunmap(MemorySegment mapping) {
        owner.require(Symbol.DMA_BUF_VUNMAP);
        checkHeld("dma_buf_vunmap");
        VmapRecord r = owner.untrackVmap(buf);
        if (r == null) {
            LoadedModule.LOG.warn("dma_buf_vunmap: {}: no vmap of ino {} by this bundle; nothing done", owner.name(), buf.ino);
            return;
        }
        if (!buf.vunmap(mapping, owner.name(), owner)) {
            owner.track(r); // warned and ignored: the vmap stays
        }
    }

    @Override
    public DmaResv resv() {
        ResvView v = resvView;
        if (v == null) {
            v = resvView = new ResvView(buf.resv(), owner);
        }
        return v;
    }

    // DMA_BUF_IOCTL_EXPORT_SYNC_FILE: an ioctl, no symbol
    @Override
    public int exportSyncFile(int flags) {
        checkHeld("DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
        return FenceView.createSyncFile(owner, buf.syncFence(flags), "dma-buf-" + buf.ino);
    }

    // poll(): a file operation, no symbol
    @Override
    public java.util.concurrent.CompletionStage<Integer> poll(int events) {
        checkHeld("dma_buf_poll");
        if (events == 0 || (events & ~(DmaBuf.POLLIN | DmaBuf.POLLOUT)) != 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_poll: events " + events + "; expected POLLIN ("
                    + DmaBuf.POLLIN + "), POLLOUT (" + DmaBuf.POLLOUT + ") or both");
        }
        // what a reader (POLLIN) and a writer (POLLOUT) wait for, merged as EXPORT_SYNC_FILE would hold them; as
        // poll(), the stage completes as soon as one asked-for event is ready, with every one that is ready then
        java.util.concurrent.CompletableFuture<Integer> ready = new java.util.concurrent.CompletableFuture<>();
        DmaFence writers = (events & DmaBuf.POLLIN) != 0 ? buf.syncFence(DmaBuf.SYNC_READ) : null;
        DmaFence everybody = (events & DmaBuf.POLLOUT) != 0 ? buf.syncFence(DmaBuf.SYNC_WRITE) : null;
        java.util.function.IntSupplier readyNow = () -> (writers != null && writers.isSignaled() ? DmaBuf.POLLIN : 0)
                | (everybody != null && everybody.isSignaled() ? DmaBuf.POLLOUT | (events & DmaBuf.POLLIN) : 0);
        java.util.List<Runnable> undo = new java.util.ArrayList<>(2);
        for (DmaFence f : new DmaFence[] {writers, everybody}) {
            if (f == null) {
                continue;
            }
            DmaFence.Callback cb = x -> ready.complete(readyNow.getAsInt());
            if (f.addCallback(cb)) {
                undo.add(() -> f.removeCallback(cb));
            }
        }
        int now = readyNow.getAsInt();
        if (now != 0) {
            ready.complete(now);
        }
        // done or given up (cancelled): no callback stays behind, each merged fence is put once
        ready.whenComplete((r, e) -> {
            undo.forEach(Runnable::run);
            for (DmaFence f : new DmaFence[] {writers, everybody}) {
                if (f != null && f != org.dmabuf.framework.internal.fence.Fences.STUB) {
                    f.put();
                }
            }
        });
        return ready;
    }

    // DMA_BUF_IOCTL_IMPORT_SYNC_FILE: an ioctl, no symbol
    @Override
    public void importSyncFile(int syncFileFd, int flags) {
        checkHeld("DMA_BUF_IOCTL_IMPORT_SYNC_FILE");
        buf.importSyncFile(flags, () -> owner.syncFileFence(syncFileFd, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE"));
    }

    @Override
    public MemorySegment mmap(long offset, long length) {
        owner.require(Symbol.DMA_BUF_MMAP);
        checkHeld("dma_buf_mmap");
        MemorySegment m = buf.mmap(offset, length);
        org.dmabuf.framework.internal.trace.Trace.mmap(owner.name(), buf, offset, length);
        return m;
    }

    @Override
    public String toString() {
        return "reference to ino " + buf.ino + " held by " + owner.name() + (isHeld() ? "" : " (dropped)");
    }
}
