// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ImporterOps;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.framework.internal.fence.Fences;
import org.dmabuf.framework.internal.fence.ResvImpl;
import org.dmabuf.framework.internal.memory.PageAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shared buffer: {@code struct dma_buf}. Counted by every reference, fd,
 * attachment, virtual mapping and transfer in flight; released once, when the
 * count drops to zero. Its reservation object's lock ({@link ResvImpl#lock()}) is the buffer's lock:
 * map, unmap, pin, unpin, vmap, vunmap and move-notify run under it, attach
 * and detach take it only to change the list of attachments.
 */
final class DmaBufObject extends LiveList.Node implements org.dmabuf.framework.internal.trace.Trace.Buffer {
    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");
    private static final VarHandle REFS;
    private static final VarHandle CB_THREAD;
    private static final VarHandle CB_OP;
    private static final VarHandle RESV;
    private static final VarHandle ATTACH_SEQ;

    static {
        try {
            REFS = MethodHandles.lookup().findVarHandle(DmaBufObject.class, "refs", long.class);
            CB_THREAD = MethodHandles.lookup().findVarHandle(DmaBufObject.class, "cbThread", Thread.class);
            CB_OP = MethodHandles.lookup().findVarHandle(DmaBufObject.class, "cbOp", String.class);
            RESV = MethodHandles.lookup().findVarHandle(DmaBufObject.class, "resv", ResvImpl.class);
            ATTACH_SEQ = MethodHandles.lookup().findVarHandle(DmaBufObject.class, "attachSeq", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final long size;
    final int flags;
    final String expName;
    volatile DmaBufOps<Object> ops; // replaced once, when the exporter stops before the buffer is released
    final Object priv;
    final LoadedModule exporter;
    // the reservation object: an exporter's shared one from the start, else the buffer's own, made the first
    // time it is needed (the first lock or fence) and kept: a buffer that is only held costs no lock; through RESV
    private volatile ResvImpl resv;
    private final boolean ownResv;

    private volatile String name;
    @SuppressWarnings("unused") // through REFS
    private volatile long refs = 1;

    private static final ResvImpl.Entry[] NO_FENCES = new ResvImpl.Entry[0];
    private static final AttachmentImpl[] NO_ATTACHMENTS = new AttachmentImpl[0];
    // the attachments, as the kernel's list_head: added at the end and removed by swapping the last into the
    // hole, O(1) both, under the reservation lock; read without it through attachSeq, a seqlock (odd while a
    // writer changes the list), so introspection (bufinfo, the Web Console) never takes a driver's lock and
    // never sees half a change
    private AttachmentImpl[] attachments = NO_ATTACHMENTS;
    private int attachmentCount;
    private volatile int attachSeq;
    // guarded by the reservation lock
    private int vmapCount;
    private MemorySegment vmapPtr;
    private boolean released;
    private boolean orphaned;
    // the exporter callback in flight without the reservation lock (attach, detach, release, cpu access, mmap),
    // the last one entered: the watchdog reports it when it runs too long; through CB_THREAD and CB_OP
    @SuppressWarnings("unused")
    private Thread cbThread;
    @SuppressWarnings("unused")
    private String cbOp;

    @SuppressWarnings("unchecked")
    DmaBufObject(long ino, LoadedModule exporter, DmaBufOps<?> ops, Object priv,
            long size, int flags, String expName, ResvImpl sharedResv) {
        super(ino);
        this.ownResv = sharedResv == null;
        this.resv = sharedResv;
        this.exporter = exporter;
        this.ops = (DmaBufOps<Object>) ops;
        this.priv = priv;
        this.size = size;
        this.flags = flags;
        this.expName = expName;
    }

    /** @return the buffer's reservation object, made now if this is its first use */
    ResvImpl resv() {
        ResvImpl r = resv;
        return r != null ? r : newResv();
    }

    private ResvImpl newResv() {
        ResvImpl r = new ResvImpl();
        if (org.dmabuf.framework.internal.fence.Lockdep.enabled()) {
            org.dmabuf.framework.internal.fence.Lockdep.name(r, "dma_buf ino " + ino + " (" + expName + ", "
                    + exporter.name() + ")");
        }
        ResvImpl was = (ResvImpl) RESV.compareAndExchange(this, (ResvImpl) null, r);
        return was != null ? was : r;
    }

    /** @return the reservation object if the buffer has one yet, for readers that must not make it */
    ResvImpl resvIfAny() {
        return resv;
    }

    /** @return the fences now, without a lock: none for a buffer that never had a reservation object */
    ResvImpl.Entry[] fenceSnapshot() {
        ResvImpl r = resv;
        return r == null ? NO_FENCES : r.snapshot();
    }

    /** @return the current hold of the reservation lock, or {@code null} (also for a buffer never locked) */
    ResvImpl.Hold hold() {
        ResvImpl r = resv;
        return r == null ? null : r.hold();
    }

    @Override
    public long ino() {
        return ino;
    }

    @Override
    public String expName() {
        return expName;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public String name() {
        return name;
    }

    void setName(String name) {
        this.name = name;
    }

    long refCount() {
        return (long) REFS.getVolatile(this);
    }

    /** Takes a reference; the caller must already hold one (an fd, a reference, an attachment). */
    void getRef() {
        long was = (long) REFS.getAndAdd(this, 1L);
        if (was <= 0) {
            REFS.getAndAdd(this, -1L);
            throw new IllegalStateException("dma-buf ino " + ino + ": get on a released buffer");
        }
    }

    /** Takes a reference unless the buffer is already being released. @return whether it was taken */
    boolean tryGetRef() {
        long c;
        do {
            c = (long) REFS.getVolatile(this);
            if (c <= 0) {
                return false;
            }
        } while (!REFS.weakCompareAndSet(this, c, c + 1));
        return true;
    }

    /** Drops a reference; the last one releases the buffer. */
    void put() {
        long now = (long) REFS.getAndAdd(this, -1L) - 1;
        if (now == 0) {
            release();
        } else if (now < 0) {
            throw new IllegalStateException("dma-buf ino " + ino + ": reference count went below zero");
        }
    }

    // dma_buf_release: called once, by whoever dropped the last reference
    private void release() {
        // under the lock even for a buffer never locked before (made now, for the release only): an exporter's
        // stop that orphans the buffer on another thread reads released under it
        ResvImpl r = resv();
        r.lock();
        try {
            released = true;
            if (attachmentCount != 0 || vmapCount != 0) {
                // cannot happen: attachments and vmaps hold references. Kept as the kernel's WARN_ON.
                LOG.warn("dma-buf ino {}: released with {} attachments and {} vmaps left", ino,
                        attachmentCount, vmapCount);
            }
        } finally {
            r.unlock();
        }
        if (ownResv) {
            r.fini();
        }
        boolean marked = enter("release");
        try {
            ops.release().release(priv);
        } catch (Throwable t) {
            // the memory is not back: the object stays listed (bufinfo, the Web Console, bufferCount and
            // bufferBytes), with a count of 0, as the kernel's debugfs would still list a leaked dma_buf
            if (marked) {
                leave();
            }
            exporter.core().leaked(this, String.valueOf(t));
            LOG.error("dma-buf ino {}: exporter {}: release failed; its {} bytes stay listed as leaked", ino,
                    expName, size, t);
            return;
        }
        if (marked) {
            leave();
        }
        exporter.core().unregister(this);
    }

    /** @return why the exporter's release failed, leaving the buffer's memory leaked; {@code null} if it did not */
    String leak() {
        return exporter.core().leakOf(this);
    }

    // --- attachments -------------------------------------------------------

    void addAttachment(AttachmentImpl a) {
        ResvImpl rv = resv();
        rv.lock(a.owner);
        try {
            AttachmentImpl[] room = attachments;
            if (attachmentCount == room.length) { // grown first: an OutOfMemoryError must not leave the count odd
                room = java.util.Arrays.copyOf(room, Math.max(4, attachmentCount * 2));
            }
            int seq = changing();
            attachments = room;
            a.slot = attachmentCount;
            attachments[attachmentCount++] = a;
            changed(seq);
        } finally {
            rv.unlock();
        }
    }

    /** Detaches {@code a}: unmaps what is left, drops its pins, runs the exporter's detach, drops its reference. */
    boolean detach(AttachmentImpl a, String why) {
        return detach(a, why, a.owner);
    }

    /**
     * @param waiter the module whose wait for the lock ends with ENODEV if it is revoked, or {@code null} to
     *        wait as long as it takes (a stop's cleanup, which runs bounded on a thread of its own)
     */
    boolean detach(AttachmentImpl a, String why, ResvImpl.Waiter waiter) {
        MappingImpl leftover;
        int pins;
        ResvImpl rv = resv();
        rv.lock(waiter);
        try {
            if (!a.attached) {
                return false;
            }
            a.attached = false;
            withoutAttachment(a);
            leftover = a.mappings;
            a.mappings = null;
            pins = a.pins;
            a.pins = 0;
            for (MappingImpl m = leftover, next; m != null; m = next) {
                next = m.next;
                m.next = null;
                LOG.warn("dma-buf ino {}: {}: {} still mapped {}, unmapping", ino, why, a.device().name(),
                        m.direction());
                unmapLocked(a, m);
            }
            if (pins > 0) {
                LOG.warn("dma-buf ino {}: {}: {} still pinned {} time(s), unpinning", ino, why,
                        a.device().name(), pins);
                if (ops.unpin() != null) {
                    for (int i = 0; i < pins; i++) {
                        callUnpin(a);
                    }
                }
            }
        } finally {
            rv.unlock();
        }
        if (ops.detach() != null) {
            boolean marked = enter("detach");
            try {
                ops.detach().detach(priv, a);
            } catch (Throwable t) {
                LOG.error("dma-buf ino {}: exporter {}: detach of {} failed", ino, expName, a.device().name(), t);
            } finally {
                if (marked) {
                    leave();
                }
            }
        }
        put();
        return true;
    }

    // under the reservation lock: the last attachment fills the hole
    private void withoutAttachment(AttachmentImpl a) {
        int i = a.slot;
        if (i >= attachmentCount || attachments[i] != a) {
            return;
        }
        int seq = changing();
        int last = --attachmentCount;
        attachments[i] = attachments[last];
        attachments[i].slot = i;
        attachments[last] = null;
        if (attachmentCount == 0) {
            attachments = NO_ATTACHMENTS; // a buffer mostly has a few: give the array back when it empties
        }
        changed(seq);
    }

    // the seqlock's writer side, under the reservation lock: odd before the change, even after. The odd value
    // needs only to be seen before the change's stores (a release fence, as Boehm's seqlock has it) and the even
    // one after them (a release store): on x86 neither is an instruction, where two volatile stores were two
    // full fences. Nothing between the two may throw: the count would stay odd and readers spin
    private int changing() {
        int seq = (int) ATTACH_SEQ.getOpaque(this) + 1;
        ATTACH_SEQ.setOpaque(this, seq);
        VarHandle.releaseFence();
        return seq;
    }

    private void changed(int seq) {
        ATTACH_SEQ.setRelease(this, seq + 1);
    }

    // under the reservation lock: the attachments now, copied (callbacks may detach while the caller walks them)
    private AttachmentImpl[] attachmentsLocked() {
        return java.util.Arrays.copyOf(attachments, attachmentCount);
    }

    /** @return the attachments now, read without the reservation lock: a consistent copy (the seqlock) */
    List<AttachmentImpl> attachmentsSnapshot() {
        while (true) {
            int seq = attachSeq;
            if ((seq & 1) != 0) {
                Thread.onSpinWait(); // a writer is in the middle of a change: a few instructions
                continue;
            }
            AttachmentImpl[] as = attachments;
            int n = Math.min(attachmentCount, as.length);
            AttachmentImpl[] copy = n == 0 ? null : java.util.Arrays.copyOf(as, n); // none: nothing to allocate
            VarHandle.acquireFence(); // the reads above happen before the check below
            if (attachSeq == seq) {
                return n == 0 ? List.of() : List.of(copy);
            }
        }
    }

    // --- mappings ------------------------------------------------------------

    MappingImpl map(AttachmentImpl a, DmaDirection dir) {
        ResvImpl rv = resv();
        rv.lock(a.owner);
        try {
            if (!a.isDynamic() && !rv.testSignaled(DmaResvUsage.KERNEL)) {
                // a static importer cannot follow moves: wait for memory management in flight, the hold
                // charged to the importer (revoking it interrupts the wait)
                String waiting = "dma_buf_map_attachment (waiting for kernel fences)";
                rv.busy(null, a.owner, waiting);
                try {
                    awaitFences(DmaResvUsage.KERNEL, "dma_buf_map_attachment");
                } finally {
                    if (!rv.busy(a.owner, null, null)) {
                        throw revokedWaiter(a.owner, waiting);
                    }
                }
            }
            if (!a.attached || released) {
                throw new DmaBufException(Errno.EINVAL, "dma_buf_map_attachment: the attachment of "
                        + a.device().name() + " to ino " + ino + " is detached; expected a live attachment");
            }
            boolean pinOnMap = ops.pin() != null && !a.isDynamic();
            if (pinOnMap) {
                callLocked("pin", () -> ops.pin().pin(priv, a));
            }
            MemorySegment seg;
            try {
                seg = callLocked("map_dma_buf", () -> ops.map().map(priv, a, dir));
                if (seg == null || seg.byteSize() != size) {
                    if (seg != null) {
                        final MemorySegment bad = seg;
                        callLocked("unmap_dma_buf", () -> {
                            ops.unmap().unmap(priv, a, bad, dir);
                            return null;
                        });
                    }
                    throw new DmaBufException(Errno.EIO, "dma_buf_map_attachment: exporter " + expName
                            + " returned " + (seg == null ? "no memory" : seg.byteSize() + " bytes")
                            + " for ino " + ino + "; expected " + size + " bytes");
                }
            } catch (RuntimeException | Error e) { // an OutOfMemoryError passes through, the pin undone
                if (pinOnMap && rv.isLockedByCurrentThread()) { // revoked: the exporter's pins are moot
                    callUnpin(a);
                }
                throw e;
            }
            MappingImpl m = new MappingImpl(a, dir, seg, pinOnMap);
            m.next = a.mappings;
            a.mappings = m;
            return m;
        } finally {
            rv.unlock();
        }
    }

    void unmap(AttachmentImpl a, MappingImpl m) {
        ResvImpl rv = resv();
        rv.lock(a.owner);
        try {
            if (!m.mapped || !a.unlink(m)) {
                throw new DmaBufException(Errno.EINVAL, "dma_buf_unmap_attachment: this mapping of ino " + ino
                        + " for " + a.device().name() + " is not mapped; expected a mapping returned by"
                        + " mapAttachment and not yet unmapped");
            }
            unmapLocked(a, m);
        } finally {
            rv.unlock();
        }
    }

    private void unmapLocked(AttachmentImpl a, MappingImpl m) {
        m.mapped = false;
        Object who = charge("unmap_dma_buf");
        if (who != LOST) {
            try {
                ops.unmap().unmap(priv, a, m.segment(), m.direction());
            } catch (Throwable t) {
                LOG.error("dma-buf ino {}: exporter {}: unmap_dma_buf failed", ino, expName, t);
            } finally {
                discharge(who);
            }
        }
        if (m.pinnedOnMap) {
            callUnpin(a);
        }
    }

    // --- pin -----------------------------------------------------------------

    void pin(AttachmentImpl a) {
        ResvImpl rv = resv();
        rv.lock(a.owner);
        try {
            if (!a.attached || released) {
                throw new DmaBufException(Errno.EINVAL, "dma_buf_pin: the attachment of " + a.device().name()
                        + " to ino " + ino + " is detached; expected a live attachment");
            }
            if (ops.pin() != null) {
                callLocked("pin", () -> ops.pin().pin(priv, a));
            }
            a.pins++;
        } finally {
            rv.unlock();
        }
    }

    void unpin(AttachmentImpl a) {
        ResvImpl rv = resv();
        rv.lock(a.owner);
        try {
            if (a.pins == 0) {
                throw new DmaBufException(Errno.EINVAL, "dma_buf_unpin: the attachment of " + a.device().name()
                        + " to ino " + ino + " is not pinned; expected one unpin per pin");
            }
            a.pins--;
            if (ops.unpin() != null) {
                callUnpin(a);
            }
        } finally {
            rv.unlock();
        }
    }

    private void callUnpin(AttachmentImpl a) {
        Object who = charge("unpin");
        if (who == LOST) {
            return;
        }
        try {
            ops.unpin().unpin(priv, a);
        } catch (Throwable t) {
            LOG.error("dma-buf ino {}: exporter {}: unpin failed", ino, expName, t);
        } finally {
            discharge(who);
        }
    }

    // --- the exporter stopped -------------------------------------------------

    /**
     * The exporter stopped while others hold the buffer: the framework serves
     * it from now on ({@link OrphanOps}) and dynamic importers are told the
     * exporter's mappings are revoked.
     *
     * @return whether this call orphaned it
     */
    boolean orphan() {
        ResvImpl rv = resv();
        rv.lock();
        try {
            if (!orphanOps()) {
                return false;
            }
            moveNotify(); // revoke: dynamic importers re-map from the framework's memory, or fail with ENODEV
            return true;
        } finally {
            rv.unlock();
        }
    }

    /**
     * The framework's callbacks instead of the exporter's, with no call into
     * any driver (a revocation does it under the new lock, then tells the
     * importers on a thread of its own).
     *
     * @return whether this call orphaned it
     */
    boolean orphanOps() {
        ResvImpl rv = resv();
        rv.lock();
        try {
            if (orphaned || released) {
                return false;
            }
            orphaned = true;
            ops = OrphanOps.of(priv, ops, expName, size);
            return true;
        } finally {
            rv.unlock();
        }
    }

    boolean orphaned() {
        return orphaned;
    }

    // --- move notify ---------------------------------------------------------

    int moveNotify() {
        ResvImpl rv = resv();
        rv.lock();
        try {
            int n = 0;
            for (AttachmentImpl a : attachmentsLocked()) {
                if (a.importerOps != null) {
                    n++;
                    if (!rv.busy(null, a.owner, "move_notify")) {
                        return n; // the lock was taken from this thread: the rest is not ours to do
                    }
                    boolean atomic = org.dmabuf.framework.internal.fence.Lockdep.enterAtomic(
                            "dma_buf_attach_ops invalidate_mappings", a.importerOps.invalidateMappings());
                    try {
                        a.importerOps.invalidateMappings().moveNotify(a);
                    } catch (Throwable t) {
                        LOG.error("dma-buf ino {}: importer {} of {}: move_notify failed", ino,
                                a.owner.name(), a.device().name(), t);
                    } finally {
                        org.dmabuf.framework.internal.fence.Lockdep.exitAtomic(atomic);
                    }
                    if (!rv.busy(a.owner, null, null)) {
                        return n; // revoked while in its callback (its importer stopped)
                    }
                }
            }
            return n;
        } finally {
            rv.unlock();
        }
    }

    // --- vmap ------------------------------------------------------------------

    MemorySegment vmap(LoadedModule caller) {
        ResvImpl rv = resv();
        rv.lock(caller);
        try {
            if (released) {
                throw new DmaBufException(Errno.EBADF, "dma_buf_vmap: ino " + ino + " is released");
            }
            if (ops.vmap() == null) {
                throw new DmaBufException(Errno.EINVAL, "dma_buf_vmap: exporter " + expName
                        + " of ino " + ino + " has no vmap op; expected an exporter that supports vmap");
            }
            if (vmapCount == 0) {
                MemorySegment seg = callLocked("vmap", () -> ops.vmap().vmap(priv));
                if (seg == null || seg.byteSize() < size) {
                    throw new DmaBufException(Errno.EIO, "dma_buf_vmap: exporter " + expName
                            + " returned " + (seg == null ? "no memory" : seg.byteSize() + " bytes")
                            + "; expected " + size + " bytes");
                }
                vmapPtr = seg;
            }
            vmapCount++;
            getRef();
            return vmapPtr;
        } finally {
            rv.unlock();
        }
    }

    /** @return whether a vmap was undone (false: warned and ignored) */
    boolean vunmap(MemorySegment map, String who, ResvImpl.Waiter waiter) {
        ResvImpl rv = resv();
        rv.lock(waiter);
        try {
            if (vmapCount == 0) {
                LOG.warn("dma-buf ino {}: {}: dma_buf_vunmap without a vmap; ignored", ino, who);
                return false;
            }
            if (map == null || map.address() != vmapPtr.address() || map.byteSize() != vmapPtr.byteSize()) {
                LOG.warn("dma-buf ino {}: {}: dma_buf_vunmap of a segment that is not the buffer's vmap; ignored",
                        ino, who);
                return false;
            }
            if (--vmapCount == 0) {
                MemorySegment was = vmapPtr;
                vmapPtr = null;
                if (ops.vunmap() != null) {
                    Object charged = charge("vunmap");
                    if (charged != LOST) {
                        try {
                            ops.vunmap().vunmap(priv, was);
                        } catch (Throwable t) {
                            LOG.error("dma-buf ino {}: exporter {}: vunmap failed", ino, expName, t);
                        } finally {
                            discharge(charged);
                        }
                    }
                }
            }
        } finally {
            rv.unlock();
        }
        put();
        return true;
    }

    MemorySegment vmapSegment() {
        ResvImpl rv = resv();
        rv.lock();
        try {
            return vmapPtr;
        } finally {
            rv.unlock();
        }
    }

    int vmapCount() {
        ResvImpl rv = resv();
        rv.lock();
        try {
            return vmapCount;
        } finally {
            rv.unlock();
        }
    }

    /** Waits, interruptibly, for the fences of that usage and below. */
    void awaitFences(DmaResvUsage usage, String func) {
        ResvImpl r = resv;
        if (r == null) {
            return; // never had a fence: nothing to wait for, no reservation object to make
        }
        try {
            r.await(usage, true);
        } catch (DmaBufException e) {
            if (e.errno() == Errno.EINTR) {
                throw new DmaBufException(Errno.EINTR, func + ": interrupted while waiting for the " + usage.label()
                        + " fences of ino " + ino, e);
            }
            throw e;
        }
    }

    // --- dma-buf.c's work, which the handles delegate to ----------------------

    /**
     * {@code dma_buf_attach}, {@code dma_buf_dynamic_attach}: checks the
     * device, takes the attachment's reference, runs the exporter's attach
     * (which refuses a device that cannot reach the memory) and lists the
     * attachment. The caller tracks it for its module.
     *
     * @param importerOps the importer's ops for a dynamic attachment (with move_notify), or {@code null}
     */
    AttachmentImpl attach(String func, LoadedModule importer, Device device, ImporterOps importerOps) {
        if (device == null) {
            throw new DmaBufException(Errno.EINVAL, func + ": device is null; expected the importing device");
        }
        if (!device.isPresent()) {
            throw new DmaBufException(Errno.ENODEV, func + ": device " + device.name()
                    + " is unplugged; expected a present device");
        }
        if (!tryGetRef()) {
            throw new DmaBufException(Errno.EBADF, func + ": ino " + ino + " is being released");
        }
        AttachmentImpl a = new AttachmentImpl(this, importer, device, importerOps);
        try {
            if (ops.attach() != null) {
                callUnlocked("attach", () -> {
                    ops.attach().attach(priv, a);
                    return null;
                });
            }
        } catch (RuntimeException e) {
            put();
            throw e;
        }
        addAttachment(a);
        return a;
    }

    /**
     * {@code dma_buf_begin_cpu_access} ({@code begin}) and
     * {@code dma_buf_end_cpu_access}: implicit sync first (a reader waits for
     * the writers, a writer for everybody), then the exporter's callback.
     */
    void cpuAccess(String func, DmaDirection direction, boolean begin) {
        if (direction == null) {
            throw new DmaBufException(Errno.EINVAL, func + ": direction is null; expected FROM_DEVICE to read,"
                    + " TO_DEVICE or BIDIRECTIONAL to write");
        }
        if (begin) {
            awaitFences(DmaResvUsage.rw(direction.cpuWrites()), func);
        }
        var op = begin ? ops.beginCpuAccess() : ops.endCpuAccess();
        if (op != null) {
            callUnlocked(begin ? "begin_cpu_access" : "end_cpu_access", () -> {
                op.access(priv, direction);
                return null;
            });
        }
    }

    /** {@code dma_buf_mmap}: checks the range, then asks the exporter. */
    MemorySegment mmap(long offset, long length) {
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
        if (offset + length > size) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_mmap: range [" + offset + ", " + (offset + length)
                    + ") lies beyond the buffer's " + size + " bytes; expected a range inside it");
        }
        if (ops.mmap() == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_mmap: exporter " + expName + " of ino " + ino
                    + " has no mmap op; expected an exporter that supports mmap");
        }
        return callUnlocked("mmap", () -> ops.mmap().mmap(priv, offset, length));
    }

    /**
     * {@code DMA_BUF_IOCTL_EXPORT_SYNC_FILE}'s work: the fences a reader
     * ({@link DmaBuf#SYNC_READ}) or writer ({@link DmaBuf#SYNC_WRITE}) would
     * wait for, merged into one (the stub when there are none); the caller
     * puts it in a sync file of its module.
     */
    DmaFence syncFence(int flags) {
        if (flags == 0 || (flags & ~(DmaBuf.SYNC_READ | DmaBuf.SYNC_WRITE)) != 0) {
            throw new DmaBufException(Errno.EINVAL, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE: flags " + flags
                    + "; expected DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE or both");
        }
        ResvImpl r = resv;
        List<DmaFence> fences = r == null ? List.of() : r.getFences(DmaResvUsage.rw((flags & DmaBuf.SYNC_WRITE) != 0));
        try {
            return fences.isEmpty() ? Fences.STUB : Fences.merge(fences.toArray(DmaFence[]::new));
        } finally {
            fences.forEach(DmaFence::put);
        }
    }

    /**
     * {@code DMA_BUF_IOCTL_IMPORT_SYNC_FILE}'s work: the sync file's fences
     * join the reservation object as READ ({@link DmaBuf#SYNC_READ}) or WRITE
     * fences, under the reservation lock.
     *
     * @param syncFile the sync file's fence, looked up once the flags are known good; put here
     */
    void importSyncFile(int flags, java.util.function.Supplier<DmaFence> syncFile) {
        if (flags == 0 || (flags & ~(DmaBuf.SYNC_READ | DmaBuf.SYNC_WRITE)) != 0) {
            throw new DmaBufException(Errno.EINVAL, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE: flags " + flags
                    + "; expected DMA_BUF_SYNC_READ or DMA_BUF_SYNC_WRITE");
        }
        DmaFence fence = syncFile.get();
        try {
            DmaResvUsage usage = (flags & DmaBuf.SYNC_WRITE) != 0 ? DmaResvUsage.WRITE : DmaResvUsage.READ;
            List<DmaFence> leaves = Fences.unwrap(fence);
            ResvImpl rv = resv();
            rv.lock();
            try {
                rv.reserve(leaves.size());
                for (DmaFence f : leaves) {
                    rv.add(f, usage);
                }
            } finally {
                rv.unlock();
            }
        } finally {
            fence.put();
        }
    }

    // --- exporter calls ------------------------------------------------------

    // an exporter callback without the reservation lock: marked for the watchdog while it runs
    private <R> R callUnlocked(String op, java.util.function.Supplier<R> call) {
        boolean marked = enter(op);
        try {
            return callExporter(op, call);
        } finally {
            if (marked) {
                leave();
            }
        }
    }

    // one slot: the first callback in flight keeps it until it returns, so a stuck one is never hidden by others
    private boolean enter(String op) {
        if (CB_THREAD.getOpaque(this) != null) {
            return false;
        }
        CB_OP.setOpaque(this, op);
        CB_THREAD.setRelease(this, Thread.currentThread());
        return true;
    }

    private void leave() {
        if (CB_THREAD.getOpaque(this) == Thread.currentThread()) {
            CB_THREAD.setRelease(this, (Thread) null);
        }
    }

    /** @return the thread in an exporter callback without the lock now (the first in), or null */
    Thread callbackThread() {
        return (Thread) CB_THREAD.getAcquire(this);
    }

    /** @return the operation of {@link #callbackThread()} */
    String callbackOp() {
        return (String) CB_OP.getOpaque(this);
    }

    /**
     * Charges the reservation lock's hold (the framework's until now) to the
     * exporter for one cleanup callback: the watchdog and bufinfo name it, a
     * stop of the exporter can revoke it.
     *
     * @return the module charged, or {@code null} (orphaned: the framework serves it; or already revoked)
     */
    private Object charge(String op) {
        if (!resv().isLockedByCurrentThread()) {
            return LOST; // revoked while an earlier callback of this cleanup ran: not ours to call any more
        }
        LoadedModule who = orphaned ? null : exporter;
        if (who == null) {
            return UNCHARGED;
        }
        return resv().busy(null, who, op) ? who : LOST;
    }

    // the hold back to the framework after a cleanup callback; revoked meanwhile: nothing to give back
    private void discharge(Object charged) {
        if (charged != LOST && charged != UNCHARGED) {
            resv().idle(charged);
        }
    }

    /** A cleanup callback with no charge: the buffer is orphaned, the framework's own callbacks serve it. */
    private static final Object UNCHARGED = new Object();
    /** The lock was taken from this thread: the cleanup skips the rest of the driver's callbacks. */
    private static final Object LOST = new Object();

    /**
     * Calls the exporter with the reservation lock held, the hold charged to
     * it; if it was revoked meanwhile (its module stopped while this callback
     * ran), what it returned is dropped and the caller gets ENODEV, as an
     * unplugged device's ioctl would. The framework's code around it runs
     * uncharged, so a revocation never lands while the framework changes
     * the buffer's state.
     */
    private <R> R callLocked(String op, java.util.function.Supplier<R> call) {
        LoadedModule who = orphaned ? null : exporter;
        if (who != null && !resv().busy(null, who, op)) {
            throw revoked(op, null);
        }
        R r;
        try {
            r = callExporter(op, call);
        } catch (RuntimeException | Error e) {
            if (who != null && !resv().busy(who, null, null)) {
                throw revoked(op, e);
            }
            throw e;
        }
        if (who != null && !resv().busy(who, null, null)) {
            throw revoked(op, null);
        }
        return r;
    }

    private void callLocked(String op, Runnable call) {
        callLocked(op, () -> {
            call.run();
            return null;
        });
    }

    private DmaBufException revokedWaiter(LoadedModule who, String op) {
        return new DmaBufException(Errno.ENODEV, "ino " + ino + ": " + who.name() + " was stopped while in " + op
                + ", and its hold on the reservation lock revoked; expected a module that is still loaded");
    }

    private DmaBufException revoked(String op, Throwable cause) {
        return new DmaBufException(Errno.ENODEV, "ino " + ino + ": exporter " + expName + " was stopped while in "
                + op + ", and its hold on the reservation lock revoked; expected an exporter that is still loaded",
                cause);
    }

    /**
     * Calls an exporter callback: a {@link DmaBufException} is the exporter's
     * answer and passes through; anything else is a driver bug, logged and
     * reported as EIO.
     */
    <R> R callExporter(String op, java.util.function.Supplier<R> call) {
        try {
            return call.get();
        } catch (DmaBufException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError vme) {
                throw vme;
            }
            if (!resv().isLockedByCurrentThread() && resv().isRevokedFromCurrentThread()) {
                throw e; // revoked while it ran: the caller reports that, not the driver's reaction to it
            }
            LOG.error("dma-buf ino {}: exporter {}: {} failed", ino, expName, op, e);
            throw new DmaBufException(Errno.EIO, "exporter " + expName + " failed in " + op + " for ino " + ino
                    + ": " + e, e);
        }
    }

    void callExporter(String op, Runnable call) {
        callExporter(op, () -> {
            call.run();
            return null;
        });
    }

    @Override
    public String toString() {
        return "dma-buf ino " + ino + " (" + size + " bytes, " + expName + ")";
    }
}
