// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.Heap;
import org.dmabuf.api.Symbol;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.framework.internal.fence.FenceContextImpl;
import org.dmabuf.framework.internal.fence.Fences;
import org.dmabuf.framework.internal.fence.SyncFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bundle as the DMA-BUF core sees it: a loaded kernel module,
 * {@code struct module} (for the buffers it exports and the symbols it was
 * granted), and a process (its fd table), plus everything it holds, so that
 * all of it can be given back when the bundle stops. A bundle gets it as its
 * {@link DmaBufService} behind a {@link DmaBufServiceView}, which offers the
 * interface's methods only.
 *
 * <p>The module's own lock ({@code this}) guards only its lists; nothing is
 * called while it is held but its fd table's lock, a leaf (the table calls
 * nothing back), so it can never be part of a deadlock.
 */
public final class LoadedModule extends LiveList.Node
        implements DmaBufService, org.dmabuf.framework.internal.fence.ResvImpl.Waiter {
    static final Logger LOG = LoggerFactory.getLogger("dma-buf");
    /** Cleanups logged one by one at stop; the rest are counted, as printk_ratelimit would. */
    static final int LOG_EACH = 10;

    private final DmaBufCore core;
    private final String name;
    private final long bundleId;
    private final FdTable fds;
    private final long grants;

    // what it holds, by kind; guarded by this; each made at its first handle (a view got and ungot makes none)
    private Tracked.List0 refs;
    private Tracked.List0 attachments;
    private Tracked.List0 vmaps;
    private Tracked.List0 transfers;
    private boolean closed;
    /** Set when its stop ran past the bound and what it held was taken from it (see DmaBufCore#revoke). */
    private volatile boolean revoked;
    // three counters as fields, not atomic objects: a module is made and closed each time a bundle gets and ungets
    // its view (docs/performance.md, licence_view); through COUNTS and HEAP_BYTES
    private static final java.lang.invoke.VarHandle RESV_HOLDS;
    private static final java.lang.invoke.VarHandle LIVE_EXPORTS;
    private static final java.lang.invoke.VarHandle HEAP_BYTES;
    private static final java.lang.invoke.VarHandle STOPPING;

    static {
        try {
            var l = java.lang.invoke.MethodHandles.lookup();
            RESV_HOLDS = l.findVarHandle(LoadedModule.class, "resvHolds", int.class);
            LIVE_EXPORTS = l.findVarHandle(LoadedModule.class, "liveExports", int.class);
            HEAP_BYTES = l.findVarHandle(LoadedModule.class, "heapBytes", long.class);
            STOPPING = l.findVarHandle(LoadedModule.class, "stopping", java.util.function.BooleanSupplier.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Reservation locks taken through its views and not given back: lets a stop skip the search for them. */
    private volatile int resvHolds;
    /** Buffers this module exported that are not yet released: lets a stop skip the search for orphans. */
    private volatile int liveExports;
    // heap memory this module allocated and not yet freed, as the dmem cgroup's current (whoever frees it)
    private volatile long heapBytes;

    int resvHolds() {
        return resvHolds;
    }

    void resvHeld(int delta) {
        RESV_HOLDS.getAndAdd(this, delta);
    }

    int liveExports() {
        return liveExports;
    }

    void exported(int delta) {
        LIVE_EXPORTS.getAndAdd(this, delta);
    }

    /** Every symbol: the framework's own users (the console, the heaps). */
    public static final long ALL_SYMBOLS = -1L;

    // seq: its place in the core's list of open modules (the order they were opened in)
    LoadedModule(DmaBufCore core, long seq, String name, long bundleId, long grants) {
        super(seq);
        this.core = core;
        this.name = name;
        this.bundleId = bundleId;
        this.grants = grants;
        this.fds = new FdTable(name);
    }

    /** @return the mask of symbols this module may call */
    public long grants() {
        return grants;
    }

    /** @return the bit of a symbol in a grant mask */
    public static long bit(Symbol s) {
        return 1L << s.ordinal();
    }

    /**
     * The check at every entry point, as linking is in the kernel: a module
     * calls only the symbols it was granted (a mask test, nanoseconds); while a
     * refused bundle is resolved, the caller guard also checks who is calling.
     *
     * @throws DmaBufException ENOENT with the kernel's {@code Unknown symbol} message
     */
    public void require(Symbol s) {
        if ((grants & bit(s)) == 0) {
            throw new DmaBufException(Errno.ENOENT, org.dmabuf.framework.internal.licence.LicenceGate
                    .unknownSymbol(name, s.symbolName()) + ": " + name + " was not granted " + s.symbolName()
                    + "; expected Require-Capability: " + Symbol.CAPABILITY + ";filter:=\"(" + Symbol.CAPABILITY + "="
                    + s.symbolName() + ")\" and a licence that allows it (dmabuf:why " + name + ")");
        }
        CallerGuard g = core.guard();
        if (g != null) {
            g.check(this, s);
        }
    }

    /** @return the module name: the bundle's symbolic name */
    public String name() {
        return name;
    }

    /** @return the bundle id, or -1 for the framework's own users */
    public long bundleId() {
        return bundleId;
    }

    DmaBufCore core() {
        return core;
    }

    FdTable fdTable() {
        return fds;
    }

    DmaBufException gone(String func) {
        return new DmaBufException(Errno.EBADF, func + ": " + name + " has stopped; its fds and references are closed");
    }

    // --- tracking --------------------------------------------------------------

    private Tracked.List0 listOf(Tracked t) {
        return switch (t) {
            case DmaBufRef r -> refs != null ? refs : (refs = new Tracked.List0());
            case DmaBufRef.Shadow r -> refs != null ? refs : (refs = new Tracked.List0());
            case AttachmentImpl a -> attachments != null ? attachments : (attachments = new Tracked.List0());
            case VmapRecord v -> vmaps != null ? vmaps : (vmaps = new Tracked.List0());
            case TransferImpl x -> transfers != null ? transfers : (transfers = new Tracked.List0());
            default -> throw new IllegalArgumentException(t.getClass().getName());
        };
    }

    /** @return false when the module is closed: the caller must undo what it did */
    boolean track(Tracked t) {
        String origin = core.debug() ? Origins.here() : null; // outside the lock: a stack walk
        DmaBufRef.Shadow shadow = null;
        if (origin != null && t instanceof DmaBufRef r) { // debug mode: the handle may become unreachable
            shadow = new DmaBufRef.Shadow(r);
            r.shadow = shadow;
            t = shadow;
        }
        synchronized (this) {
            if (closed) {
                return false;
            }
            t.origin = origin;
            listOf(t).add(t);
        }
        if (shadow != null) {
            DmaBufRef r = shadow.handle.get();
            if (r != null) {
                shadow.cleanable = core.cleaner().register(r, shadow);
            }
        }
        return true;
    }

    /**
     * The cleaner found a reference whose handle became unreachable without
     * {@code dma_buf_put} (debug mode): reported, with where it was taken, and put.
     */
    void leaked(DmaBufRef.Shadow s) {
        // this call won the shadow's compare-and-set: the reference is ours to put, whether the module's stop
        // unlinked the shadow already (its drop then failed, and it did not put) or not
        synchronized (this) {
            if (refs != null) {
                refs.remove(s);
            }
        }
        String text = "ref_tracker: " + name + ": a reference to ino " + s.buf.ino + " (" + s.buf.expName
                + ") became unreachable without dma_buf_put; putting it" + takenAt(s.origin);
        LOG.warn(text);
        org.dmabuf.framework.internal.fence.Lockdep.record("ref_tracker: reference leaked", text, List.of(name));
        s.buf.put();
    }

    // --- where fds were installed, in debug mode (ref_tracker) --------------------------------

    // guarded by this; null until debug mode records one, and then never null again (so a close may look first
    // without the lock: the handoff's close pays nothing while debug mode never ran)
    private volatile java.util.Map<Integer, String> fdOrigins;

    /** Records where {@code fd} was installed, in debug mode. */
    void fdInstalled(int fd) {
        if (core.debug()) {
            String origin = Origins.here();
            synchronized (this) {
                if (fdOrigins == null) {
                    fdOrigins = new java.util.HashMap<>();
                }
                fdOrigins.put(fd, origin);
            }
        }
    }

    private synchronized String fdOrigin(int fd) {
        return fdOrigins == null ? null : fdOrigins.get(fd);
    }

    private void fdClosed(int fd) {
        if (fdOrigins != null) {
            synchronized (this) {
                fdOrigins.remove(fd);
            }
        }
    }

    /** @return " (taken at ...)" for a message, or "" when no origin was recorded */
    static String takenAt(String origin) {
        return origin == null ? "" : " (taken at " + origin + ")";
    }

    // the bundles other than the owner that may use this view (libraries it links), as judged once each; made at
    // the first call from another bundle (most modules never see one)
    private volatile java.util.concurrent.ConcurrentHashMap<Long, Boolean> helpers;

    /** @throws DmaBufException EBADF unless {@code caller} is this module's bundle, a library it links, or ours */
    void checkCaller(FdCallers.Rule rule, long caller, String func, int fd) {
        if (caller == bundleId || caller == FdCallers.TRUSTED) {
            return;
        }
        if (caller >= 0) {
            java.util.concurrent.ConcurrentHashMap<Long, Boolean> h = helpers;
            if (h == null) {
                synchronized (this) {
                    h = helpers;
                    if (h == null) {
                        helpers = h = new java.util.concurrent.ConcurrentHashMap<>(4);
                    }
                }
            }
            if (h.computeIfAbsent(caller, c -> rule.helper(this, c))) {
                return;
            }
        }
        throw FdCallers.refused(rule, this, caller, func, fd);
    }

    /** Calls {@code each} with every buffer in this module's fd table and its fd, as the table is now. */
    void eachBufferFd(java.util.function.ObjIntConsumer<DmaBufObject> each) {
        for (int fd : fds.fds()) {
            Object f;
            try {
                f = fds.withFile(fd, "bufinfo", x -> x);
            } catch (DmaBufException closedMeanwhile) {
                continue;
            }
            if (f instanceof DmaBufObject b) {
                each.accept(b, fd);
            }
        }
    }

    /**
     * {@code dmabuf:holders}: what this module holds of the buffer {@code ino}, one line each, with where
     * it was taken in debug mode.
     */
    List<String> holding(long ino) {
        List<String> out = new ArrayList<>();
        eachBufferFd((b, fd) -> {
            if (b.ino == ino) {
                out.add(name + ": fd " + fd + takenAt(fdOrigin(fd)));
            }
        });
        List<Tracked> held;
        synchronized (this) {
            held = new ArrayList<>(Tracked.List0.snapshot(refs));
            held.addAll(Tracked.List0.snapshot(attachments));
            held.addAll(Tracked.List0.snapshot(vmaps));
            held.addAll(Tracked.List0.snapshot(transfers));
        }
        for (Tracked t : held) {
            String what = switch (t) {
                case DmaBufRef r when r.buf.ino == ino && r.isHeld() -> "a reference";
                case DmaBufRef.Shadow r when r.buf.ino == ino && r.held() -> "a reference";
                case AttachmentImpl a when a.buf.ino == ino -> "an attachment of " + a.device().name();
                case VmapRecord v when v.buf.ino == ino -> "a vmap";
                case TransferImpl x when x.inode() == ino -> "a transfer not yet received";
                default -> null;
            };
            if (what != null) {
                out.add(name + ": " + what + takenAt(t.origin));
            }
        }
        return out;
    }

    synchronized void untrack(Tracked t) {
        if (t instanceof DmaBufRef r && r.shadow != null) {
            t = r.shadow;
        }
        if (t.linked) { // else never tracked, or dropped at its stop: no list to make for it
            listOf(t).remove(t);
        }
    }

    synchronized VmapRecord untrackVmap(DmaBufObject buf) {
        for (Tracked t : Tracked.List0.snapshot(vmaps)) {
            if (((VmapRecord) t).buf == buf) {
                vmaps.remove(t); // found in it: made already
                return (VmapRecord) t;
            }
        }
        return null;
    }

    @Override
    public boolean revoked() {
        return revoked;
    }

    void markRevoked() {
        revoked = true;
    }

    // null: not stopping. Set once, after the open, by a release store: a volatile one (or an initial value
    // here) would put a full fence into every view's get
    private volatile java.util.function.BooleanSupplier stopping;
    /** When the watchdog first saw the bundle stopping (0: not seen); written by the watchdog only. */
    long stoppingSeen;

    /** @param probe whether the module's bundle is in the middle of its stop (its state STOPPING) */
    public void stoppingProbe(java.util.function.BooleanSupplier probe) {
        STOPPING.setRelease(this, probe);
    }

    /** @return whether the module's bundle is in the middle of its stop */
    boolean stopping() {
        java.util.function.BooleanSupplier probe = stopping;
        return probe != null && probe.getAsBoolean();
    }

    /** @return whether the module has been closed (its bundle stopped) */
    public synchronized boolean isClosed() {
        return closed;
    }

    // --- DmaBufService -----------------------------------------------------------

    @Override
    public <T> DmaBuf export(ExportInfo<T> info) {
        require(Symbol.DMA_BUF_EXPORT);
        DmaBufObject buf = core.export(this, info);
        DmaBufRef ref = new DmaBufRef(buf, this);
        if (!track(ref)) {
            core.discard(buf); // as a failed dma_buf_export: priv stays the exporter's
            throw new DmaBufException(Errno.ENOENT, "dma_buf_export: module " + name
                    + " is unloading; expected an exporter that is running");
        }
        org.dmabuf.framework.internal.trace.Trace.export(name, buf);
        return ref;
    }

    @Override
    public boolean processesWatch(String stream) {
        require(Symbol.DMA_BUF_SHARE_PROCESSES);
        return stream != null && core.processesWatch(stream);
    }

    @Override
    public int shareWithProcesses(String stream, DmaBuf buf, java.util.Map<String, String> attributes) {
        require(Symbol.DMA_BUF_SHARE_PROCESSES);
        if (stream == null || buf == null || attributes == null) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_share_processes: " + (stream == null ? "stream"
                    : buf == null ? "buffer" : "attributes") + " is null; expected a stream, a buffer and attributes");
        }
        for (String k : attributes.keySet()) {
            if (k == null || k.isEmpty() || !k.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_'
                    || c == '.') || attributes.get(k) == null) {
                throw new DmaBufException(Errno.EINVAL, "dma_buf_share_processes: attribute '" + k + "'; expected"
                        + " a name of letters, digits, _ and . with a value");
            }
        }
        if (!(buf instanceof DmaBufRef r) || r.owner != this) {
            throw new DmaBufException(Errno.EINVAL, "dma_buf_share_processes: not a buffer reference of " + name
                    + "; expected one this bundle holds");
        }
        if (!r.isHeld()) {
            throw new DmaBufException(Errno.EBADF, "dma_buf_share_processes: this reference to ino " + r.buf.ino
                    + " was already put; expected a reference that is still held");
        }
        return core.shareWithProcesses(stream, r.buf, attributes);
    }

    @Override
    public DmaBuf get(int fd) {
        require(Symbol.DMA_BUF_GET);
        DmaBufObject buf = fds.withFile(fd, "dma_buf_get", f -> {
            if (!(f instanceof DmaBufObject b)) {
                throw new DmaBufException(Errno.EINVAL, "dma_buf_get: fd " + fd + " is " + Files.describe(f)
                        + ", not a dma-buf; expected an fd of a dma-buf");
            }
            b.getRef();
            return b;
        });
        DmaBufRef ref = new DmaBufRef(buf, this);
        if (!track(ref)) {
            buf.put();
            throw gone("dma_buf_get");
        }
        org.dmabuf.framework.internal.trace.Trace.get(name, buf, fd);
        return ref;
    }

    @Override
    public int dup(int fd) {
        int nfd = fds.reserve();
        Object file;
        try {
            file = fds.withFile(fd, "dup", f -> {
                Files.acquire(f);
                return f;
            });
        } catch (RuntimeException e) {
            fds.unreserve(nfd);
            throw e;
        }
        if (!fds.install(nfd, file)) {
            Files.release(file);
            throw gone("dup");
        }
        fdInstalled(nfd);
        return nfd;
    }

    @Override
    public void close(int fd) {
        fdClosed(fd); // while the number is still taken, so a new fd of that number keeps its own origin
        Files.release(fds.remove(fd, "close"));
    }

    @Override
    public FdTransfer send(int fd) {
        Object file = fds.withFile(fd, "send", f -> {
            if (f instanceof FdTable.StdStream) {
                throw new DmaBufException(Errno.EINVAL, "send: fd " + fd + " is " + Files.describe(f)
                        + "; expected an fd of a dma-buf or a sync file");
            }
            Files.acquire(f);
            return f;
        });
        TransferImpl t = new TransferImpl(file, this);
        if (!track(t)) {
            Files.release(file);
            throw gone("send");
        }
        return t;
    }

    @Override
    public int receive(FdTransfer transfer) {
        if (!(transfer instanceof TransferImpl t) || t.sender.core != core) {
            throw new DmaBufException(Errno.EINVAL, "receive: "
                    + (transfer == null ? "transfer is null" : "not a transfer made by this framework")
                    + "; expected an FdTransfer from DmaBufService.send");
        }
        int fd = t.receiveInto(fds); // EMFILE, or EBADF when this module stopped: the transfer stays in flight
        if (fd < 0) {
            throw new DmaBufException(Errno.EBADF, "receive: the transfer of ino " + t.inode() + " from "
                    + t.sender.name() + " was already "
                    + (t.state() == TransferImpl.RECEIVED ? "received" : "cancelled")
                    + "; expected a transfer still in flight");
        }
        fdInstalled(fd);
        return fd;
    }

    /**
     * Charges an allocation before it is made, within the module's max if it has one.
     *
     * @param bytes whole pages
     * @param func the entry point, for the message
     * @throws DmaBufException ENOMEM when the module would hold more than its max
     */
    void charge(long bytes, String func) {
        Long max = core.heapMaxOf(name);
        while (true) {
            long now = heapBytes;
            if (max != null && now + bytes > max) {
                throw new DmaBufException(Errno.ENOMEM, func + ": module " + name + " holds " + now + " bytes of"
                        + " heap memory, and " + bytes + " more would pass its max of " + max + " (heap.max, PID"
                        + " org.dmabuf.framework); expected at most " + Math.max(0, max - now) + " bytes");
            }
            if (HEAP_BYTES.compareAndSet(this, now, now + bytes)) {
                return;
            }
        }
    }

    void uncharge(long bytes) {
        HEAP_BYTES.getAndAdd(this, -bytes);
    }

    // told by a heap when memory this module allocated goes back: one for the module (made at its first
    // allocation), not one per buffer
    private java.util.function.LongConsumer uncharger;

    java.util.function.LongConsumer uncharger() {
        java.util.function.LongConsumer u = uncharger;
        if (u == null) {
            uncharger = u = this::uncharge; // a race makes two, both right
        }
        return u;
    }

    /** @return the heap memory this module allocated that is not yet back in its heap */
    public long heapBytes() {
        return heapBytes;
    }

    /**
     * @param backend a heap this module has just added ({@code dma_heap_add} returns it)
     * @return the module's view of it; no {@code dma_heap_find} needed
     */
    public Heap addedHeap(HeapBackend backend) {
        return new HeapView(backend, this);
    }

    @Override
    public Heap heap(String heapName) {
        require(Symbol.DMA_HEAP_FIND);
        return new HeapView(core.heapBackend(heapName), this);
    }

    @Override
    public List<Heap> heaps() {
        require(Symbol.DMA_HEAP_FIND);
        List<Heap> out = new ArrayList<>();
        for (HeapBackend b : core.heapBackends()) {
            out.add(new HeapView(b, this));
        }
        return out;
    }

    @Override
    public int[] fds() {
        return fds.fds();
    }

    /** Installs a file whose reference the caller holds into a reserved slot. */
    int installReserved(int fd, Object file, String func) {
        if (!fds.install(fd, file)) {
            Files.release(file);
            throw gone(func);
        }
        fdInstalled(fd);
        return fd;
    }

    /** Installs a file whose reference the caller holds at the lowest free fd. */
    int install(Object file, String func) {
        int fd;
        try {
            fd = fds.reserve();
        } catch (DmaBufException e) {
            Files.release(file);
            throw e;
        }
        return installReserved(fd, file, func);
    }

    /** @return the sync file at {@code fd}, its fence with a new reference */
    DmaFence syncFileFence(int fd, String func) {
        return syncFile(fd, func).fence();
    }

    /** @return the sync file at {@code fd}, as a copy whose fence holds a new reference for the caller */
    SyncFile syncFile(int fd, String func) {
        return fds.withFile(fd, func, f -> {
            if (!(f instanceof SyncFile sf)) {
                throw new DmaBufException(Errno.EINVAL, func + ": fd " + fd + " is " + Files.describe(f)
                        + ", not a sync file; expected an fd from sync_file_create, SYNC_IOC_MERGE,"
                        + " SW_SYNC_IOC_CREATE_FENCE or DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
            }
            return new SyncFile(sf.fence().get(), sf.name(), sf.ino());
        });
    }

    // --- fence contexts this module issued ---------------------------------------------

    // guarded by this; made at the first context (most modules, every plain view, issue none)
    private List<FenceContextImpl> contexts = List.of();

    FenceContextImpl newContext(String driver, String timeline) {
        return newContext(driver, timeline, true);
    }

    /**
     * @param linked whether making a fence on it is the driver's {@code dma_fence_init} (a symbol the module
     *        must have linked), or an ioctl's, open to every module ({@code sw_sync})
     */
    FenceContextImpl newContext(String driver, String timeline, boolean linked) {
        FenceContextImpl c = new FenceContextImpl(Fences.contextAlloc(1), driver, timeline, name,
                linked ? this::require : s -> { });
        synchronized (this) {
            if (closed) {
                throw gone("dma_fence_context_alloc");
            }
            if (contexts.isEmpty()) {
                contexts = new ArrayList<>(2);
            }
            contexts.add(c);
        }
        return c;
    }

    /**
     * A timeline of the framework's own making that is done (a process's stream ended, its fences signalled):
     * no longer listed, nor watched.
     *
     * @param c a context this module allocated
     */
    public void forgetContext(org.dmabuf.api.fence.FenceContext c) {
        if (c instanceof FenceContextImpl f) {
            forgetContext(f);
        }
    }

    /** @param c a context that is done (a closed {@code sw_sync} timeline): no longer listed */
    synchronized void forgetContext(FenceContextImpl c) {
        if (!contexts.isEmpty()) {
            contexts.remove(c);
        }
    }

    /** @return the fence contexts this module issued, now */
    synchronized List<FenceContextImpl> contexts() {
        return List.copyOf(contexts);
    }

    // --- introspection -------------------------------------------------------------

    /** @return the fds that are standard streams, not dma-bufs */
    int stdStreams() {
        int n = 0;
        for (int fd : fds.fds()) {
            if (fd < 3) {
                n++;
            }
        }
        return n;
    }

    /** @return the buffers this module holds in any way: fds, references, attachments, vmaps, transfers */
    Set<DmaBufObject> heldBuffers() {
        Set<DmaBufObject> out = new HashSet<>(fds.buffers());
        synchronized (this) {
            for (Tracked t : Tracked.List0.snapshot(refs)) {
                out.add(t instanceof DmaBufRef.Shadow s ? s.buf : ((DmaBufRef) t).buf);
            }
            for (Tracked t : Tracked.List0.snapshot(attachments)) {
                out.add(((AttachmentImpl) t).buf);
            }
            for (Tracked t : Tracked.List0.snapshot(vmaps)) {
                out.add(((VmapRecord) t).buf);
            }
            for (Tracked t : Tracked.List0.snapshot(transfers)) {
                if (((TransferImpl) t).file instanceof DmaBufObject b) {
                    out.add(b);
                }
            }
        }
        return out;
    }

    /** @return what the module holds now */
    /**
     * @return whether closing it now calls no driver: no fd but the standard streams, nothing tracked, no
     *         reservation lock held, no fence pending on its timelines (a bundle that ungets a view it used for
     *         nothing, the common case: closed at once, without the bounded stop's thread)
     */
    boolean idle() {
        List<FenceContextImpl> cs;
        synchronized (this) {
            if (closed || handles() > 0 || resvHolds > 0) {
                return false;
            }
            if (!fds.onlyStandardStreams()) {
                return false;
            }
            cs = contexts.isEmpty() ? List.of() : List.copyOf(contexts);
        }
        for (FenceContextImpl c : cs) {
            if (!c.pendingFences().isEmpty()) {
                return false;
            }
        }
        return true;
    }

    // the references, attachments, vmaps and transfers it holds; under this
    private int handles() {
        return Tracked.List0.size(refs) + Tracked.List0.size(attachments) + Tracked.List0.size(vmaps)
                + Tracked.List0.size(transfers);
    }

    public synchronized Holdings holdings() {
        return new Holdings(fds.openCount(), Tracked.List0.size(refs), Tracked.List0.size(attachments),
                Tracked.List0.size(vmaps), Tracked.List0.size(transfers));
    }

    /**
     * What a module holds.
     *
     * @param fds open fds, standard streams included
     * @param references references not put
     * @param attachments attachments not detached
     * @param vmaps virtual mappings not undone
     * @param transfers transfers sent and not yet received
     */
    public record Holdings(int fds, int references, int attachments, int vmaps, int transfers) {
        /** Nothing held. */
        public static final Holdings NONE = new Holdings(0, 0, 0, 0, 0);
    }

    // --- stop -----------------------------------------------------------------------

    /**
     * The bundle stopped: gives back everything it held, in the order the
     * kernel would tear a process and a module down (transfers in flight,
     * attachments with their mappings, virtual mappings, references, fds),
     * and logs each. Idempotent.
     *
     * @return what had to be cleaned up
     */
    public Holdings close() {
        return close(false);
    }

    /**
     * Closes it as {@link #close()} does only if it holds nothing, has no fence context and has nothing open
     * but the standard streams (the common stop: a view got and ungot), so that closing calls no driver; one
     * hold of its lock and one of its fd table's, for the check and the close.
     *
     * @return what had to be cleaned up (nothing), or {@code null} if it holds something and is left open
     */
    Holdings closeIfIdle() {
        return close(true);
    }

    private Holdings close(boolean onlyIfIdle) {
        List<Tracked> xs, as, vs, rs;
        List<FenceContextImpl> cs;
        List<FdTable.Entry> open = null;
        synchronized (this) {
            if (closed) {
                return Holdings.NONE;
            }
            if (onlyIfIdle) {
                if (handles() > 0 || resvHolds > 0 || !contexts.isEmpty() || !fds.closeIfOnlyStandardStreams()) {
                    return null;
                }
                open = List.of();
            }
            closed = true;
            xs = Tracked.List0.drain(transfers);
            as = Tracked.List0.drain(attachments);
            vs = Tracked.List0.drain(vmaps);
            rs = Tracked.List0.drain(refs);
            cs = contexts.isEmpty() ? List.of() : List.copyOf(contexts);
            contexts = List.of();
        }
        // fences outlive their driver: whoever waits on them is told the driver is gone
        for (FenceContextImpl c : cs) {
            int n = c.abandon(Errno.ENODEV.code());
            if (n > 0) {
                LOG.warn("{}: stopped with {} fences pending on {}:{}; signalled them with -ENODEV", name, n,
                        c.driverName(), c.timelineName());
            }
        }
        if (open == null) {
            open = fds.close();
        }
        core.moduleClosed(this);
        for (Tracked t : xs) {
            TransferImpl x = (TransferImpl) t;
            if (x.claim(TransferImpl.CANCELLED)) {
                LOG.info("{}: cancelled the transfer of ino {} never received", name, x.inode());
                Files.release(x.file);
            }
        }
        int logged = 0;
        for (Tracked t : as) {
            AttachmentImpl a = (AttachmentImpl) t;
            if (logged++ < LOG_EACH) {
                LOG.warn("{}: still attached {} to ino {} at stop; detaching{}", name, a.device().name(), a.buf.ino,
                        takenAt(a.origin));
            }
            a.buf.detach(a, name + " stopping", null);
        }
        for (Tracked t : vs) {
            DmaBufObject b = ((VmapRecord) t).buf;
            if (logged++ < LOG_EACH) {
                LOG.warn("{}: still vmapped ino {} at stop; vunmapping{}", name, b.ino, takenAt(t.origin));
            }
            b.vunmap(b.vmapSegment(), name + " stopping", null);
        }
        for (Tracked t : rs) {
            boolean dropped = t instanceof DmaBufRef.Shadow s ? s.drop() : ((DmaBufRef) t).drop();
            DmaBufObject b = t instanceof DmaBufRef.Shadow s ? s.buf : ((DmaBufRef) t).buf;
            if (dropped) {
                if (logged++ < LOG_EACH) {
                    LOG.warn("{}: still held a reference to ino {} at stop; putting it{}", name, b.ino,
                            takenAt(t.origin));
                }
                b.put();
            }
        }
        int dmabufFds = 0;
        for (FdTable.Entry e : open) {
            if (e.file() instanceof DmaBufObject b) {
                dmabufFds++;
                if (logged++ < LOG_EACH) {
                    LOG.info("{}: closing fd {} (ino {}) at stop{}", name, e.fd(), b.ino, takenAt(fdOrigin(e.fd())));
                }
            }
            Files.release(e.file());
        }
        if (logged > LOG_EACH) {
            LOG.warn("{}: ... and {} more cleanups at stop (printk ratelimit)", name, logged - LOG_EACH);
        }
        List<DmaBufObject> orphans = core.orphanExportsOf(this);
        if (!orphans.isEmpty()) {
            LOG.info("{}: stopped while others still hold {} buffers it exported (ino {}); they stay valid and the"
                    + " framework serves them until released", name, orphans.size(),
                    String.join(" ", orphans.stream().map(b -> String.valueOf(b.ino)).toList()));
        }
        if (dmabufFds + rs.size() + as.size() + vs.size() + xs.size() == 0) {
            return Holdings.NONE;
        }
        LOG.info("{}: cleaned up at stop: {} fds, {} references, {} attachments, {} vmaps, {} transfers", name,
                dmabufFds, rs.size(), as.size(), vs.size(), xs.size());
        return new Holdings(dmabufFds, rs.size(), as.size(), vs.size(), xs.size());
    }

    @Override
    public String toString() {
        return name;
    }

    /** Identity, but hashed without the object header's identity hash (sets of modules, opened per view). */
    @Override
    public int hashCode() {
        return Long.hashCode(bundleId) * 31 + name.hashCode();
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

}
