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
import org.dmabuf.api.Fcntl;
import org.dmabuf.api.ImporterOps;
import org.dmabuf.api.Symbol;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.framework.internal.fence.Fences;
import java.util.List;
import org.dmabuf.framework.internal.memory.PageAllocator;

/**
 * One bundle's counted reference to a buffer ({@code struct dma_buf *}).
 * Every operation acts on behalf of {@link #owner}.
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
        return (int) HELD.getVolatile(this) != 0;
    }

    private void checkHeld(String func) {
        if ((int) HELD.getVolatile(this) == 0) {
            throw new DmaBufException(Errno.EBADF, func + ": this reference to ino " + buf.ino
                    + " was already put or moved into an fd; expected a reference that is still held");
        }
    }

    /** Takes this reference out of the holder's hands. @return whether this call did */
    boolean drop() {
        return HELD.compareAndSet(this, 1, 0);
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
        if (importerOps == null || importerOps.moveNotify() == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_dynamic_attach: "
                    + (importerOps == null ? "importer_ops is null" : "importer_ops has no move_notify")
                    + "; expected importer ops with move_notify (or use dma_buf_attach for a static importer)");
        }
        return attach("dma_buf_dynamic_attach", device, importerOps);
    }

    private Attachment attach(String func, Device device, ImporterOps importerOps) {
        checkHeld(func);
        if (device == null) {
            throw new DmaBufException(Errno.EINVAL, func + ": device is null; expected the importing device");
        }
        if (!device.isPresent()) {
            throw new DmaBufException(Errno.ENODEV, func + ": device " + device.name()
                    + " is unplugged; expected a present device");
        }
        if (!buf.tryGetRef()) {
            throw new DmaBufException(Errno.EBADF, func + ": ino " + buf.ino + " is being released");
        }
        AttachmentImpl a = new AttachmentImpl(buf, owner, device, importerOps);
        try {
            if (buf.ops.attach() != null) {
                buf.callExporter("attach", () -> buf.ops.attach().attach(buf.priv, a));
            }
        } catch (RuntimeException e) {
            buf.put();
            throw e;
        }
        buf.addAttachment(a);
        if (!owner.track(a)) {
            buf.detach(a, "attach while the importer stops");
            throw owner.gone(func);
        }
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
        if (!buf.detach(a, "dma_buf_detach")) {
            LoadedModule.LOG.warn("dma_buf_detach: {}: {} is already detached; nothing done", owner.name(), a);
        }
    }

    @Override
    public void moveNotify() {
        owner.require(Symbol.DMA_BUF_MOVE_NOTIFY);
        checkHeld("dma_buf_move_notify");
        if (buf.exporter != owner) {
            throw new DmaBufException(Errno.EPERM, "dma_buf_move_notify: " + owner.name() + " is not the exporter of ino "
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
        if (direction == null) {
            throw new DmaBufException(Errno.EINVAL, func + ": direction is null; expected FROM_DEVICE to read,"
                    + " TO_DEVICE or BIDIRECTIONAL to write");
        }
        checkHeld(func);
        if (begin) {
            // implicit sync: a reader waits for the writers, a writer for everybody
            buf.awaitFences(DmaResvUsage.rw(direction.cpuWrites()), func);
        }
        var op = begin ? buf.ops.beginCpuAccess() : buf.ops.endCpuAccess();
        if (op != null) {
            buf.callExporter(begin ? "begin_cpu_access" : "end_cpu_access", () -> op.access(buf.priv, direction));
        }
    }

    @Override
    public MemorySegment vmap() {
        owner.require(Symbol.DMA_BUF_VMAP);
        checkHeld("dma_buf_vmap");
        MemorySegment seg = buf.vmap();
        if (!owner.track(new VmapRecord(buf))) {
            buf.vunmap(seg, owner.name());
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
        if (!buf.vunmap(mapping, owner.name())) {
            owner.track(r); // warned and ignored: the vmap stays
        }
    }

    @Override
    public DmaResv resv() {
        ResvView v = resvView;
        if (v == null) {
            v = resvView = new ResvView(buf.resv, owner);
        }
        return v;
    }

    // DMA_BUF_IOCTL_EXPORT_SYNC_FILE: an ioctl, no symbol
    @Override
    public int exportSyncFile(int flags) {
        checkHeld("DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
        if (flags == 0 || (flags & ~(SYNC_READ | SYNC_WRITE)) != 0) {
            throw new DmaBufException(Errno.EINVAL, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE: flags " + flags
                    + "; expected DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE or both");
        }
        List<DmaFence> fences = buf.resv.getFences(DmaResvUsage.rw((flags & SYNC_WRITE) != 0));
        DmaFence merged;
        try {
            merged = fences.isEmpty() ? Fences.STUB : Fences.merge(fences.toArray(DmaFence[]::new));
        } finally {
            fences.forEach(DmaFence::put);
        }
        return FenceView.createSyncFile(owner, merged, "dma-buf-" + buf.ino);
    }

    // DMA_BUF_IOCTL_IMPORT_SYNC_FILE: an ioctl, no symbol
    @Override
    public void importSyncFile(int syncFileFd, int flags) {
        checkHeld("DMA_BUF_IOCTL_IMPORT_SYNC_FILE");
        if (flags == 0 || (flags & ~(SYNC_READ | SYNC_WRITE)) != 0) {
            throw new DmaBufException(Errno.EINVAL, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE: flags " + flags
                    + "; expected DMA_BUF_SYNC_READ or DMA_BUF_SYNC_WRITE");
        }
        DmaFence fence = owner.syncFileFence(syncFileFd, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE");
        try {
            DmaResvUsage usage = (flags & SYNC_WRITE) != 0 ? DmaResvUsage.WRITE : DmaResvUsage.READ;
            List<DmaFence> leaves = Fences.unwrap(fence);
            buf.lock.lock();
            try {
                buf.resv.reserve(leaves.size());
                for (DmaFence f : leaves) {
                    buf.resv.add(f, usage);
                }
            } finally {
                buf.resv.unlock();
            }
        } finally {
            fence.put();
        }
    }

    @Override
    public MemorySegment mmap(long offset, long length) {
        owner.require(Symbol.DMA_BUF_MMAP);
        checkHeld("dma_buf_mmap");
        if (offset < 0 || length <= 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_mmap: offset " + offset + ", length " + length
                    + "; expected offset >= 0 and length > 0");
        }
        if (offset + length < offset) {
            throw new DmaBufException(Errno.EOVERFLOW, "dma_buf_mmap: offset " + offset + " + length " + length
                    + " overflows");
        }
        if (offset % PageAllocator.PAGE_SIZE != 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_mmap: offset " + offset
                    + " is not page-aligned; expected a multiple of " + PageAllocator.PAGE_SIZE);
        }
        if (offset + length > buf.size) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_mmap: range [" + offset + ", " + (offset + length)
                    + ") lies beyond the buffer's " + buf.size + " bytes; expected a range inside it");
        }
        if (buf.ops.mmap() == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_mmap: exporter " + buf.expName + " of ino " + buf.ino
                    + " has no mmap op; expected an exporter that supports mmap");
        }
        return buf.callExporter("mmap", () -> buf.ops.mmap().mmap(buf.priv, offset, length));
    }

    @Override
    public String toString() {
        return "reference to ino " + buf.ino + " held by " + owner.name() + (isHeld() ? "" : " (dropped)");
    }
}
