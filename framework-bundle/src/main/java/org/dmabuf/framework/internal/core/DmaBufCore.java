// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.Fcntl;
import org.dmabuf.api.debugfs.BufferInfo;
import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.api.debugfs.FenceInfo;
import org.dmabuf.api.debugfs.HeapInfo;
import org.dmabuf.api.fence.DmaResvUsage;
import org.dmabuf.api.debugfs.ModuleInfo;
import org.dmabuf.framework.internal.device.DeviceTable;
import org.dmabuf.framework.internal.device.KernelDevice;
import org.dmabuf.framework.internal.fence.ResvImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DMA-BUF core: what {@code drivers/dma-buf/dma-buf.c} and
 * {@code dma-heap.c} hold globally. The registry of live buffers (the
 * kernel's debugfs list) is an intrusive list ({@link LiveList}) whose lock
 * only export and release take; every buffer has its own lock and every
 * module its own.
 *
 * <p>Plain Java, no OSGi: the OSGi layer opens one {@link LoadedModule} per bundle.
 */
public final class DmaBufCore implements DmaBufDebug {
    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");
    /** The module name under which the core itself exports (heaps). */
    public static final String KERNEL = "kernel";

    private final LiveList<DmaBufObject> live = new LiveList<>();
    // the open modules, as the kernel's list of loaded modules: intrusive (a view's get and unget add and remove
    // one: about 80 ns in the concurrent set this was, which made a node and CASed its table for each module)
    private final LiveList<LoadedModule> modules = new LiveList<>();
    private final AtomicLong nextModule = new AtomicLong(1);
    /** Holds charged to a driver, as the watchdog last saw them (not a field of every buffer: few are busy). */
    final Map<ResvImpl, ResvImpl.Seen> lockSeen = new ConcurrentHashMap<>();
    private final AtomicLong nextIno = new AtomicLong(1);
    private final Map<String, HeapBackend> heaps = new ConcurrentHashMap<>();
    private final List<HeapBackend> heapOrder = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final LoadedModule kernel;
    private final DeviceTable devices = new DeviceTable();
    private volatile CallerGuard guard;

    /**
     * @param heaps the heaps, in order; their names must be unique
     * @throws IllegalArgumentException on a duplicate heap name, as
     *         {@code dma_heap_add} refuses one
     */
    public DmaBufCore(List<HeapBackend> heaps) {
        for (HeapBackend h : heaps) {
            addHeap(h);
        }
        this.kernel = new LoadedModule(this, 0, KERNEL, 0, LoadedModule.ALL_SYMBOLS);
    }

    /**
     * {@code dma_heap_add}.
     *
     * @throws IllegalArgumentException on a duplicate name, as the kernel refuses one
     */
    public synchronized void addHeap(HeapBackend h) {
        if (heaps.putIfAbsent(h.name(), h) != null) {
            throw new IllegalArgumentException("dma_heap: Already registered heap named " + h.name());
        }
        heapOrder.add(h);
        LOG.info("dma-heap: {} added", h.name());
    }

    /** Removes a heap (its device is gone): no new allocations; what was allocated stays until freed. */
    public synchronized void removeHeap(String name) {
        HeapBackend h = heaps.remove(name);
        if (h != null) {
            heapOrder.remove(h);
            LOG.info("dma-heap: {} removed", name);
        }
    }

    /** @return the devices present now: the driver core's list */
    public DeviceTable devices() {
        return devices;
    }

    /**
     * {@code dma_heap_add} for a device's local memory: the heap
     * {@code vram@<device>}, removed when the device is unplugged.
     *
     * @param device the device
     * @param heap its memory
     * @throws DmaBufException EEXIST when the device has local memory already;
     *         ENODEV when it is unplugged
     */
    public void addLocalMemory(KernelDevice device, HeapBackend heap) {
        if (!device.isPresent()) {
            throw new DmaBufException(Errno.ENODEV, "dma_heap_add: " + device.name()
                    + " is unplugged; expected a present device");
        }
        synchronized (this) {
            if (heaps.containsKey(heap.name())) {
                throw new DmaBufException(Errno.EEXIST, "dma_heap_add: " + device.name() + " has local memory ("
                        + heap.name() + ") already; expected one heap per device");
            }
            addHeap(heap);
        }
        DeviceTable.whenUnplugged(device, () -> removeHeap(heap.name()));
    }

    /**
     * Opens the view of one bundle.
     *
     * @param name its symbolic name
     * @param bundleId its id
     * @return its module, to be {@link LoadedModule#close() closed} when it stops
     */
    public LoadedModule openModule(String name, long bundleId) {
        return openModule(name, bundleId, LoadedModule.ALL_SYMBOLS);
    }

    /**
     * Opens the view of one bundle, allowed only the symbols it linked.
     *
     * @param name its symbolic name
     * @param bundleId its id
     * @param grants the symbols it may call, as a mask of {@code 1L << Symbol.ordinal()}
     * @return its module, to be {@link LoadedModule#close() closed} when it stops
     */
    public LoadedModule openModule(String name, long bundleId, long grants) {
        LoadedModule m = new LoadedModule(this, nextModule.getAndIncrement(), name, bundleId, grants);
        modules.add(m);
        return m;
    }

    /** @param g the guard to consult on every GPL-only call, or {@code null} for none */
    public void guard(CallerGuard g) {
        this.guard = g;
    }

    CallerGuard guard() {
        return guard;
    }

    // --- bounded stop, revocation ------------------------------------------------------

    /** The default bound on a module's stop. */
    public static final long DEFAULT_STOP_TIMEOUT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    private volatile long stopTimeoutNanos = DEFAULT_STOP_TIMEOUT_NANOS;
    private volatile boolean debug;

    /**
     * Debug mode ({@code ref_tracker}, lockdep): every reference, fd,
     * attachment, vmap and transfer records where it was taken, for
     * {@code dmabuf:holders} and the warnings at a module's stop, and the
     * checks of {@link org.dmabuf.framework.internal.fence.Lockdep} run. A
     * stack walk each: off by default.
     */
    public void debug(boolean on) {
        debug = on;
        org.dmabuf.framework.internal.fence.Lockdep.enable(on); // lockdep's checks are debug mode's too
    }

    /**
     * What a process is told of a buffer handed to it.
     *
     * @param fd the fd of the buffer in the process's module (its reference: closing it drops it)
     * @param osFd the memory's real fd in this JVM, to pass with SCM_RIGHTS (the process gets its own copy)
     * @param osInode the inode of the memory's file, as the process sees it
     * @param ino the buffer's ino
     * @param size its size
     * @param name its name, or {@code null}
     * @param expName its exporter's name
     */
    public record Handed(int fd, int osFd, long osInode, long ino, long size, String name, String expName) {
    }

    /**
     * Where buffers shared with processes go: the peer socket, when it runs.
     */
    public interface ProcessShare {
        /** @return whether a process subscribes to {@code stream} */
        boolean watched(String stream);

        /**
         * @param stream the stream
         * @param hand hands the buffer to a process's module (a reference and the fd to pass)
         * @param attributes what the processes are told
         * @return how many processes got it
         */
        int push(String stream, java.util.function.Function<LoadedModule, Handed> hand,
                java.util.Map<String, String> attributes);
    }

    private volatile ProcessShare processShare;

    /** @param s the peer socket's side, or {@code null} when it stops */
    public void processShare(ProcessShare s) {
        processShare = s;
    }

    boolean processesWatch(String stream) {
        ProcessShare s = processShare;
        return s != null && s.watched(stream);
    }

    int shareWithProcesses(String stream, DmaBufObject b, java.util.Map<String, String> attributes) {
        if (!(b.priv instanceof ProcessShareable)) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_share_processes: ino " + b.ino + " (" + b.expName
                    + ") is not memory a file descriptor stands for; expected a buffer of the memfd heap");
        }
        ProcessShare s = processShare;
        return s == null ? 0 : s.push(stream, process -> handToProcess(process, b, "dma_buf_share_processes"),
                java.util.Map.copyOf(attributes));
    }

    /**
     * Hands the buffer named {@code name} to a process: a reference of the process's module (an fd in its table,
     * as {@code dma_buf_fd} in the process), and the memory's real fd to pass. Only buffers of memory a real fd
     * stands for (the memfd heap's) can leave the JVM.
     *
     * @param process the process's module
     * @param name the buffer's name ({@code DMA_BUF_SET_NAME}); the newest buffer of that name
     * @return what to tell the process
     * @throws DmaBufException ENOENT for no live buffer of that name; EINVAL for one whose memory cannot leave
     */
    public Handed handToProcess(LoadedModule process, String name) {
        DmaBufObject found = null;
        for (DmaBufObject b : live()) {
            if (name.equals(b.name()) && (found == null || b.ino > found.ino)) {
                found = b;
            }
        }
        if (found == null) {
            throw new DmaBufException(Errno.ENOENT, "no live buffer named '" + name + "'; expected a name set with"
                    + " DMA_BUF_SET_NAME (dmabuf:bufinfo lists them)");
        }
        return handToProcess(process, found, "GET");
    }

    private Handed handToProcess(LoadedModule process, DmaBufObject found, String func) {
        if (!found.tryGetRef()) {
            throw new DmaBufException(Errno.ENOENT, func + ": ino " + found.ino + " is being released; expected a"
                    + " live buffer");
        }
        if (!(found.priv instanceof ProcessShareable s)) {
            found.put();
            throw new DmaBufException(Errno.EINVAL, "ino " + found.ino + " (" + found.expName + ") is not memory"
                    + " a file descriptor stands for; expected a buffer of the memfd heap, or exported with its memory");
        }
        long inode;
        int osFd;
        try {
            osFd = s.osFd();
            inode = s.osInode();
        } catch (java.io.IOException | IllegalStateException e) {
            found.put();
            throw new DmaBufException(Errno.ENOENT, "ino " + found.ino + ": its memory is gone (" + e.getMessage()
                    + "); expected a live buffer", e);
        }
        int fd = process.install(found, "dma_buf_fd");
        return new Handed(fd, osFd, inode, found.ino, found.size, found.name(), found.expName);
    }

    /**
     * udmabuf's {@code UDMABUF_CREATE}: memory a process sent becomes a dma-buf, exported by {@code exporter}
     * (the kernel's udmabuf driver), its one reference installed in the process's table.
     *
     * @param exporter the exporting module
     * @param process the process's module
     * @param info the export (its private data the process's memory: freed with the buffer)
     * @param name the buffer's name, or {@code null}
     * @return what to tell the process
     * @throws DmaBufException EMFILE when the process's table is full (the memory is freed then)
     */
    public Handed importFromProcess(LoadedModule exporter, LoadedModule process, ExportInfo<?> info, String name) {
        DmaBufObject buf = export(exporter, info);
        if (name != null) {
            buf.setName(name);
        }
        long inode;
        int osFd;
        try {
            ProcessShareable s = (ProcessShareable) buf.priv;
            osFd = s.osFd();
            inode = s.osInode();
        } catch (java.io.IOException | RuntimeException e) {
            buf.put();
            throw new DmaBufException(Errno.ENOMEM, "UDMABUF_CREATE: " + e.getMessage(), e);
        }
        int fd = process.install(buf, "UDMABUF_CREATE");
        return new Handed(fd, osFd, inode, buf.ino, buf.size, buf.name(), buf.expName);
    }

    /** @return whether debug mode is on */
    public boolean debug() {
        return debug;
    }

    // debug mode's leak finder: made at its first use, its thread ends once the core is unreachable
    private volatile java.lang.ref.Cleaner cleaner;

    /** @return the cleaner that reports handles that became unreachable without being put (debug mode) */
    java.lang.ref.Cleaner cleaner() {
        java.lang.ref.Cleaner c = cleaner;
        if (c == null) {
            synchronized (this) {
                c = cleaner;
                if (c == null) {
                    c = java.lang.ref.Cleaner.create(r -> {
                        Thread t = new Thread(r, "dmabuf-ref-tracker");
                        t.setDaemon(true);
                        return t;
                    });
                    cleaner = c;
                }
            }
        }
        return c;
    }

    /**
     * {@code dmabuf:holders}: who holds the buffer {@code ino}, and from where in debug mode.
     *
     * @return one line per holding, by module; empty when nobody does (or there is no such buffer)
     */
    @Override
    public List<String> holders(long ino) {
        List<String> out = new ArrayList<>();
        for (LoadedModule m : openModules()) {
            out.addAll(m.holding(ino));
        }
        return out;
    }

    /** @param nanos how long a module's stop may wait on its drivers before what it holds is revoked */
    public void stopTimeout(long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("stop timeout " + nanos + " ns; expected more than 0");
        }
        stopTimeoutNanos = nanos;
    }

    /** @return how long a module's stop may wait on its drivers */
    public long stopTimeoutNanos() {
        return stopTimeoutNanos;
    }

    /**
     * Closes a module (its bundle stopped) within the stop bound, whatever
     * its drivers' callbacks do: the cleanup runs on a thread of its own; if
     * it is not done within the bound, the module is {@link #revoke revoked}
     * and the cleanup given as long again; if it is still blocked then (on a
     * lock another module holds), the caller goes on, the cleanup finishes in
     * the background when that lock is free, and the blocked thread is
     * reported with its stack.
     *
     * @return what was cleaned up, or {@code null} when the cleanup goes on in the background
     */
    public LoadedModule.Holdings closeWithin(LoadedModule m) {
        LoadedModule.Holdings quick = m.closeIfIdle(); // a view got and ungot: checked and closed in one hold
        if (quick == null && m.idle()) {
            // nothing held, nothing pending: closing calls nobody, so it needs no thread nor bound (a view got
            // and ungot: 40 us of thread handoff before, docs/performance.md). What the bundle makes between the
            // look and the close is released here, inline, as the worker would have
            quick = m.close();
        }
        if (quick != null) {
            if (m.resvHolds() > 0) { // a reservation lock another thread of its bundle took while it closed
                releaseHolds(m, System.nanoTime() + stopTimeoutNanos);
            }
            return quick;
        }
        long bound = stopTimeoutNanos;
        java.util.concurrent.FutureTask<LoadedModule.Holdings> task = new java.util.concurrent.FutureTask<>(() -> {
            try {
                return m.close();
            } catch (Throwable t) {
                LOG.error("{}: cleanup at stop failed", m.name(), t);
                throw t;
            } finally {
                background.remove(m); // if it outlived its stop: done now
            }
        });
        Thread worker = Thread.ofVirtual().name("dma-buf stop " + m.name()).start(task);
        long deadline = System.nanoTime() + bound;
        boolean interrupted = false;
        try {
            for (int round = 0; round < 2; round++) {
                try {
                    LoadedModule.Holdings h = task.get(bound, java.util.concurrent.TimeUnit.NANOSECONDS);
                    if (m.resvHolds() > 0) {
                        releaseHolds(m, deadline);
                    }
                    return h;
                } catch (java.util.concurrent.TimeoutException e) {
                    if (round == 0) {
                        LOG.warn("{}: stop still blocked after {} ms; revoking what it holds", m.name(),
                                java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(bound));
                        revoke(m);
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    return null; // logged by the task
                }
            }
            if (!task.isDone()) {
                LOG.error("{}: stop: cleanup still blocked after {} ms; it goes on in the background, blocked at:{}",
                        m.name(), 2 * java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(bound), stack(worker));
                background.put(m, worker);
                if (task.isDone()) { // finished between the look and the count
                    background.remove(m);
                }
            }
            return null;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A module stopped holding reservation locks it took with {@code
     * dma_resv_lock}: each is waited for until the deadline (a thread of the
     * module may still be about to unlock it), then revoked.
     */
    // every reservation object whose lock is held in the module's code, with its buffers (several may share one)
    private Map<ResvImpl, List<DmaBufObject>> heldBy(LoadedModule m) {
        Map<ResvImpl, List<DmaBufObject>> held = new java.util.IdentityHashMap<>();
        for (DmaBufObject b : live) {
            ResvImpl resv = b.resvIfAny();
            if (resv != null && resv.holder() == m) {
                held.computeIfAbsent(resv, r -> new ArrayList<>()).add(b);
            }
        }
        return held;
    }

    private void releaseHolds(LoadedModule m, long deadline) {
        for (Map.Entry<ResvImpl, List<DmaBufObject>> e : heldBy(m).entrySet()) {
            ResvImpl r = e.getKey();
            Thread owner = r.owner();
            boolean dead = owner != null && !owner.isAlive(); // it will never unlock: no need to wait
            if (!dead && r.awaitFree(deadline - System.nanoTime())) {
                continue;
            }
            revokeHold(m, r, e.getValue());
        }
    }

    // cleanups that outlived their stop, still blocked on a driver (health, bufinfo)
    private final Map<LoadedModule, Thread> background = new ConcurrentHashMap<>();

    /**
     * @return what is wrong with the platform's memory now, one line each: buffers whose release failed
     *         (leaked, as bufinfo lists them) and stops whose cleanup is still blocked in the background
     */
    public List<String> leaks() {
        // the leaked are in a map of their own: a health check runs every second a page is open, and few leak
        List<DmaBufObject> leaked = new ArrayList<>(leaks.keySet());
        leaked.sort(Comparator.comparingLong(b -> b.ino));
        List<String> out = new ArrayList<>();
        for (DmaBufObject b : leaked) {
            out.add("ino " + b.ino + ", " + b.size + " bytes, exporter " + b.expName + ": release failed ("
                    + leaks.get(b) + "); its memory is not back");
        }
        background.entrySet().removeIf(e -> !e.getValue().isAlive());
        background.forEach((m, t) -> out.add(m.name() + ": its stop's cleanup is still blocked in the background"
                + " (thread \"" + t.getName() + "\")"));
        return out;
    }

    /** @return the reservation locks reported held too long in a driver's code and still held, one line each */
    public List<String> overdueLocks() {
        List<String> out = new ArrayList<>();
        if (lockSeen.isEmpty()) {
            return out; // the usual answer, without a look at every buffer
        }
        java.util.TreeMap<Long, ResvImpl.Hold> held = new java.util.TreeMap<>();
        for (DmaBufObject b : live) {
            ResvImpl r = b.resvIfAny();
            if (r == null) {
                continue; // never locked
            }
            ResvImpl.Seen s = lockSeen.get(r);
            ResvImpl.Hold h = r.hold();
            if (s != null && s.reported() && s.hold().equals(h)) {
                held.put(b.ino, h); // the hold that matched, not a second look
            }
        }
        held.forEach((ino, h) -> out.add("ino " + ino + ": locked by " + h.holder() + " in " + h.op() + " (thread \""
                + h.owner().getName() + "\")"));
        return out;
    }

    /**
     * Takes from a module what it holds that others wait for, as hot-unplug
     * takes a device from its driver: every reservation lock held in its
     * code (its own {@code dma_resv_lock}, or one of its callbacks) is
     * replaced by a free one, the holding thread interrupted and reported
     * with its stack; a buffer it exported is orphaned on the way (the
     * framework serves it); its own waits for locks end with ENODEV.
     *
     * @return how many locks were revoked
     */
    public int revoke(LoadedModule m) {
        m.markRevoked();
        int n = 0;
        for (Map.Entry<ResvImpl, List<DmaBufObject>> e : heldBy(m).entrySet()) {
            if (revokeHold(m, e.getKey(), e.getValue())) {
                n++;
            }
        }
        return n;
    }

    /**
     * Revokes one reservation lock held in {@code m}'s code: its buffers
     * that {@code m} exported switch to the framework's callbacks under the
     * new lock (no driver is called there), and their dynamic importers are
     * told on a thread of their own, so that neither the stopping thread nor
     * the watchdog ever waits on a driver.
     *
     * @param buffers the live buffers of that reservation object
     * @return whether it was revoked (false: the hold had moved on)
     */
    boolean revokeHold(LoadedModule m, ResvImpl r, List<DmaBufObject> buffers) {
        String op = r.op();
        List<DmaBufObject> orphaned = new ArrayList<>();
        Thread t = r.revoke(m, () -> {
            for (DmaBufObject b : buffers) {
                if (b.exporter == m && b.orphanOps()) {
                    orphaned.add(b);
                }
            }
        });
        if (t == null) {
            return false;
        }
        DmaBufObject first = buffers.get(0);
        LOG.error("dma-buf ino {}: {} stopped holding the reservation lock in {} (thread \"{}\"): revoked; the"
                + " waiters go on{}. Call Trace:{}", first.ino, m.name(), op, t.getName(),
                orphaned.isEmpty() ? "" : ", and the framework serves the buffers it exported", stack(t));
        if (!orphaned.isEmpty()) {
            Thread.ofVirtual().name("dma-buf move_notify after revoking " + m.name()).start(() -> {
                for (DmaBufObject b : orphaned) {
                    b.moveNotify(); // dynamic importers re-map from the framework's memory
                }
            });
        }
        return true;
    }

    /** @return a thread's stack, one {@code \n\t} line a frame (at most 24), as a hung-task report prints it */
    static String stack(Thread t) {
        StackTraceElement[] st = t.getStackTrace();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < st.length && i < 24; i++) {
            s.append("\n\t").append(st[i]);
        }
        if (st.length > 24) {
            s.append("\n\t... ").append(st.length - 24).append(" more");
        }
        return s.toString();
    }

    void moduleClosed(LoadedModule m) {
        modules.remove(m);
    }

    private volatile Map<String, Long> heapMax = Map.of();

    /** @param max the most heap memory each named module may hold (the dmem cgroup's max); others are unlimited */
    public void heapMax(Map<String, Long> max) {
        heapMax = Map.copyOf(max);
    }

    /** @return the module's heap memory max, or {@code null} for none */
    Long heapMaxOf(String module) {
        return heapMax.get(module);
    }

    /** @return for each open module's bundle id, the heap memory it allocated that is not freed yet */
    public Map<Long, Long> heapBytes() {
        Map<Long, Long> out = new java.util.HashMap<>();
        for (LoadedModule m : modules) {
            out.merge(m.bundleId(), m.heapBytes(), Long::sum);
        }
        return out;
    }

    /** @return the modules open now, by bundle id */
    public List<LoadedModule> openModules() {
        List<LoadedModule> out = new ArrayList<>(modules.size());
        for (LoadedModule m : modules) {
            out.add(m);
        }
        out.sort(Comparator.comparingLong(LoadedModule::bundleId).thenComparing(LoadedModule::name));
        return out;
    }

    HeapBackend heapBackend(String name) {
        HeapBackend h = name == null ? null : heaps.get(name);
        if (h == null) {
            throw new DmaBufException(Errno.ENOENT, "open /dev/dma_heap/" + name + ": no such heap; expected one of "
                    + String.join(", ", heapOrder.stream().map(HeapBackend::name).toList()));
        }
        return h;
    }

    List<HeapBackend> heapBackends() {
        return heapOrder;
    }

    /** @return the heaps' backends, in order */
    public List<HeapBackend> heapList() {
        return heapOrder;
    }

    // dma_buf_export: validation at the door, then a buffer with one reference
    DmaBufObject export(LoadedModule exporter, ExportInfo<?> info) {
        if (info == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_export: exp_info is null; expected ExportInfo.builder(..).build()");
        }
        DmaBufOps<?> ops = info.ops();
        if (ops == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_export: exp_info has no ops; expected dma_buf_ops with"
                    + " map_dma_buf, unmap_dma_buf and release");
        }
        if (info.priv() == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_export: exp_info has no priv; expected the exporter's"
                    + " private object");
        }
        List<String> missing = new ArrayList<>(3);
        if (ops.map() == null) {
            missing.add("map_dma_buf");
        }
        if (ops.unmap() == null) {
            missing.add("unmap_dma_buf");
        }
        if (ops.release() == null) {
            missing.add("release");
        }
        if (!missing.isEmpty()) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_export: ops lack " + String.join(", ", missing)
                    + "; expected map_dma_buf, unmap_dma_buf and release (mandatory)");
        }
        if ((ops.pin() == null) != (ops.unpin() == null)) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_export: ops give "
                    + (ops.pin() == null ? "unpin without pin" : "pin without unpin")
                    + "; expected both or neither");
        }
        if (info.size() <= 0) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_export: size " + info.size()
                    + "; expected at least 1 byte");
        }
        if ((info.flags() & ~Fcntl.O_ACCMODE) != 0 || (info.flags() & Fcntl.O_ACCMODE) == Fcntl.O_ACCMODE) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_export: file flags 0" + Integer.toOctalString(info.flags())
                    + "; expected O_RDONLY, O_WRONLY or O_RDWR");
        }
        if (exporter.isClosed()) {
            throw new DmaBufException(Errno.ENOENT, "dma_buf_export: module " + exporter.name()
                    + " is unloading; expected an exporter that is running");
        }
        ResvImpl shared = null;
        if (info.resv() != null) {
            if (!(info.resv() instanceof ResvView rv)) {
                throw new DmaBufException(Errno.EINVAL, "dma_buf_export: exp_info.resv is not a reservation object"
                        + " of this framework; expected one from DmaFenceService.resvInit or DmaBuf.resv");
            }
            shared = rv.resv();
        }
        String expName = info.expName() != null ? info.expName() : exporter.name();
        DmaBufObject buf = new DmaBufObject(nextIno.getAndIncrement(), exporter, ops, info.priv(),
                info.size(), info.flags(), expName, shared);
        live.add(buf);
        exporter.exported(1);
        BufferEvents e = bufferEvents;
        if (e != null && e.wanted()) {
            e.exported(buf.ino, buf.size, exporter.name(), expName);
        }
        return buf;
    }

    /**
     * Who hears of buffers exported and released (the OSGi layer's uevents):
     * asked first whether anyone listens, so an export costs a volatile read
     * more when nobody does.
     */
    public interface BufferEvents {
        /** @return whether anyone listens now */
        boolean wanted();

        /** A buffer was exported. */
        void exported(long ino, long size, String exporter, String expName);

        /** A buffer was released. */
        void released(long ino, long size, String exporter, String expName);
    }

    private volatile BufferEvents bufferEvents;

    /** @param e who hears of buffers exported and released, or {@code null} for nobody */
    public void bufferEvents(BufferEvents e) {
        bufferEvents = e;
    }

    /** Exports on the core's own behalf (heaps): the caller receives the one reference. */
    DmaBufObject exportAsKernel(ExportInfo<?> info) {
        return export(kernel, info);
    }

    /**
     * Forgets a buffer whose export failed after it was made: nobody saw it,
     * the exporter still owns its private object, so release does not run.
     */
    void discard(DmaBufObject buf) {
        unregister(buf);
    }

    /** @return the live buffers an exporter leaves behind, now served by the framework */
    List<DmaBufObject> orphanExportsOf(LoadedModule exporter) {
        List<DmaBufObject> out = new ArrayList<>();
        if (exporter.liveExports() == 0) {
            return out; // the common stop: nothing exported is still alive, no need to look through every buffer
        }
        for (DmaBufObject b : live) {
            if (b.exporter == exporter && b.orphan()) {
                out.add(b);
            }
        }
        out.sort(Comparator.comparingLong(b -> b.ino));
        return out;
    }

    // why release failed, by buffer: such a buffer stays listed, its memory leaked; rare, so not a field of each
    private final Map<DmaBufObject, String> leaks = new ConcurrentHashMap<>();

    void leaked(DmaBufObject b, String why) {
        leaks.put(b, why);
    }

    /** @return why the buffer's release failed, or {@code null} */
    String leakOf(DmaBufObject b) {
        return leaks.isEmpty() ? null : leaks.get(b);
    }

    /** @return a new inode number, for files other than dma-bufs (sync files) */
    long nextIno() {
        return nextIno.getAndIncrement();
    }

    void unregister(DmaBufObject buf) {
        if (live.remove(buf)) {
            buf.exporter.exported(-1);
            BufferEvents e = bufferEvents;
            if (e != null && e.wanted()) {
                e.released(buf.ino, buf.size, buf.exporter.name(), buf.expName);
            }
        }
    }

    @Override
    public String bufinfo() {
        StringBuilder s = new StringBuilder(256 + 112 * Math.min(live.size(), 1 << 22));
        try {
            bufinfo(s);
        } catch (java.io.IOException cannot) {
            throw new java.io.UncheckedIOException(cannot); // a StringBuilder does not throw
        }
        return s.toString();
    }

    /**
     * {@code /sys/kernel/debug/sync/info}: every fence context (timeline) a
     * module issued that has fences pending, {@code sw_sync} timelines with
     * their value, and each pending fence with its waiters.
     *
     * @param out where the lines go, as they are made
     * @throws java.io.IOException what {@code out} throws
     */
    public void syncInfo(Appendable out) throws java.io.IOException {
        out.append("objs:\n--------------\n");
        int timelines = 0;
        for (LoadedModule m : openModules()) {
            for (org.dmabuf.framework.internal.fence.FenceContextImpl c : m.contexts()) {
                List<org.dmabuf.framework.internal.fence.FenceImpl> pending = c.pendingFences();
                long value = c.value();
                if (pending.isEmpty() && value < 0) {
                    continue; // a driver's timeline with nothing pending: nothing to see
                }
                timelines++;
                out.append(c.driverName()).append(':').append(c.timelineName()).append("  context ")
                        .append(Long.toString(c.context())).append("  issued by ").append(c.owner());
                if (value >= 0) {
                    out.append("  value ").append(Long.toString(value));
                }
                out.append("  ").append(Integer.toString(pending.size())).append(" pending\n");
                pending.sort(java.util.Comparator.comparingLong(org.dmabuf.framework.internal.fence.FenceImpl::seqno));
                long now = System.nanoTime();
                for (org.dmabuf.framework.internal.fence.FenceImpl f : pending) {
                    int w = f.waiters();
                    out.append("  seq ").append(Long.toUnsignedString(f.seqno())).append(": ")
                            .append(f.isSignaled() ? "signaled" : "active").append(", ").append(Integer.toString(w))
                            .append(w == 1 ? " waiter" : " waiters");
                    long deadline = f.deadline();
                    if (deadline != Long.MAX_VALUE) { // dma_fence_set_deadline: when a waiter needs it
                        long ms = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - now);
                        out.append(", deadline ").append(ms >= 0 ? "in " + ms + " ms" : -ms + " ms ago");
                    }
                    out.append('\n');
                }
            }
        }
        if (timelines == 0) {
            out.append("(no timeline with fences pending)\n");
        }
    }

    /** Streams bufinfo: each buffer's lines are written as they are made, then the totals and the sections. */
    @Override
    public void bufinfo(Appendable out) throws java.io.IOException {
        BufInfo.Writer w = new BufInfo.Writer(out);
        StringBuilder leaks = null;
        StringBuilder busy = null;
        long now = System.nanoTime();
        for (DmaBufObject b : live) { // in inode order
            w.buffer(b);
            if (b.leak() != null) {
                leaks = leaks == null ? new StringBuilder() : leaks;
                leaks.append(b.ino).append('\t').append("ino ").append(b.ino).append(", ").append(b.size)
                        .append(" bytes, exporter ").append(b.expName).append(": ").append(b.leak().replace('\n', ' '))
                        .append('\n');
            }
            ResvImpl.Hold h = b.hold();
            if (h != null) {
                busy = busy == null ? new StringBuilder() : busy;
                ResvImpl.Seen seen = lockSeen.get(b.resvIfAny());
                busy.append(b.ino).append('\t').append("ino ").append(b.ino).append(": locked by ")
                        .append(h.holder()).append(" in ").append(h.op());
                if (seen != null && seen.hold().equals(h)) {
                    busy.append(" for ").append(java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(now - seen.since()))
                            .append(" s");
                }
                busy.append(" (thread \"").append(h.owner().getName()).append("\")\n");
            }
        }
        w.end();
        // the references of processes at the peer socket (docs/cross-process.md): their fds, a few tables only
        StringBuilder held = null;
        for (LoadedModule m : openModules()) {
            if (m.bundleId() < 0 && m.name().startsWith("pid ")) {
                StringBuilder[] into = {held == null ? new StringBuilder() : held};
                m.eachBufferFd((b, fd) -> into[0].append(b.ino).append('\t').append("ino ").append(b.ino).append(": ")
                        .append(m.name()).append(", fd ").append(fd).append('\n'));
                held = into[0].isEmpty() ? held : into[0];
            }
        }
        out.append(section("Held by processes (the peer socket):", held));
        out.append(section("Leaked (release failed, memory not returned):", leaks));
        out.append(section("Busy (reservation lock held in a driver's code):", busy));
    }

    // lines "ino<TAB>text", sorted by ino, without the key, under a heading; empty for none
    private static String section(String heading, StringBuilder keyed) {
        if (keyed == null) {
            return "";
        }
        StringBuilder out = new StringBuilder("\n").append(heading).append('\n');
        keyed.toString().lines().sorted(Comparator.comparingLong(l -> Long.parseLong(l.substring(0, l.indexOf('\t')))))
                .forEach(l -> out.append(l, l.indexOf('\t') + 1, l.length()).append('\n'));
        return out.toString();
    }

    @Override
    public long offHeapBytes() {
        long n = 0;
        for (HeapBackend h : heapOrder) {
            n += h.offHeapBytes();
        }
        return n;
    }

    @Override
    public List<HeapInfo> heaps() {
        List<HeapInfo> out = new ArrayList<>(heapOrder.size());
        for (HeapBackend h : heapOrder) {
            out.add(new HeapInfo(h.name(), h.contiguous(), h.device() == null ? null : h.device().name(),
                    h.usedBytes(), h.capacity()));
        }
        return out;
    }

    @Override
    public List<ModuleInfo> modules() {
        List<ModuleInfo> out = new ArrayList<>();
        for (LoadedModule m : openModules()) {
            LoadedModule.Holdings h = m.holdings();
            out.add(new ModuleInfo(m.name(), m.bundleId(), h.fds() - m.stdStreams(), h.references(), h.attachments(),
                    h.vmaps(), h.transfers()));
        }
        return out;
    }

    /**
     * @return for every module that exported buffers others hold, the names of
     *         the modules holding them (lsmod's "Used by"), by exporter name
     */
    public Map<String, Set<String>> users() {
        Map<String, Set<String>> out = new java.util.TreeMap<>();
        for (LoadedModule m : openModules()) {
            for (DmaBufObject b : m.heldBuffers()) {
                if (b.exporter != m && b.exporter != kernel) {
                    out.computeIfAbsent(b.exporter.name(), k -> new java.util.TreeSet<>()).add(m.name());
                }
            }
        }
        return out;
    }

    @Override
    public int bufferCount() {
        return live.size();
    }

    @Override
    public long bufferBytes() {
        long n = 0;
        for (DmaBufObject b : live) {
            n += b.size;
        }
        return n;
    }

    @Override
    public List<BufferInfo> buffers() {
        List<BufferInfo> out = new ArrayList<>(live.size());
        for (DmaBufObject b : live) { // in inode order
            List<AttachmentImpl> as = b.attachmentsSnapshot();
            List<String> devs = as.isEmpty() ? List.of() : new ArrayList<>(as.size());
            for (AttachmentImpl a : as) {
                devs.add(a.device().name());
            }
            ResvImpl.Entry[] es = b.fenceSnapshot();
            List<FenceInfo> fences = es.length == 0 ? List.of() : new ArrayList<>(es.length);
            for (ResvImpl.Entry e : es) {
                if (e.usage().ordinal() <= DmaResvUsage.READ.ordinal()) {
                    fences.add(new FenceInfo(e.usage().label(), e.fence().driverName(), e.fence().timelineName(),
                            e.fence().seqno(), e.fence().isSignaled()));
                }
            }
            out.add(new BufferInfo(b.ino, b.size, b.flags, b.refCount(), b.expName, b.name(),
                    b.exporter.name(), devs.isEmpty() ? List.of() : List.copyOf(devs),
                    fences.isEmpty() ? List.of() : List.copyOf(fences)));
        }
        return out;
    }

    /** @return the live buffers in inode order, without copying: a weakly consistent view ({@link LiveList}) */
    Iterable<DmaBufObject> live() {
        return live;
    }

    @Override
    public String toString() {
        return "dma-buf core: " + live.size() + " buffers, " + modules.size() + " modules";
    }

    /** Closes every module still open (framework shutdown). */
    public void shutdown() {
        for (LoadedModule m : openModules()) {
            closeWithin(m);
        }
        if (!live.isEmpty()) {
            LOG.warn("dma-buf: {} buffers still live at shutdown", live.size());
        }
    }
}
