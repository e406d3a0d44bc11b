// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.peer;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ProcessFrames;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.FenceView;
import org.dmabuf.framework.internal.core.LoadedModule;
import org.dmabuf.framework.internal.memory.Memfd;
import org.dmabuf.framework.internal.memory.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Buffers beyond the JVM (docs/cross-process.md): a Unix domain socket
 * ({@code SOCK_SEQPACKET}, owner-only) where a process of the same user asks
 * for a buffer by name and receives its memory's real fd with
 * {@code SCM_RIGHTS}, with an {@code eventfd} that becomes readable when
 * the buffer's writers are done. Each connected process is a module of the
 * kernel's making, {@code pid <pid> (<comm>)}: what it was handed are fds of
 * its table, listed by {@code dmabuf:modules}, {@code dmabuf:holders} and
 * {@code dmabuf:peers}, and all of it is dropped when the process closes
 * them, says {@code BYE}, or dies (its socket closes with it).
 *
 * <p>Protocol version 1: one message a packet, UTF-8 text, {@code VERB
 * key=value ...}, values percent-encoded (RFC 3986); fds ride with the
 * message that names them. A request that is not understood gets an
 * {@code ERROR} naming what was wrong and what was expected, and changes
 * nothing; no peer can make the platform wait on it.
 */
public final class PeerServer implements AutoCloseable, DmaBufCore.ProcessShare {
    /** The protocol's version. */
    public static final int VERSION = 1;
    /** The largest message, in bytes. */
    public static final int MAX_MESSAGE = 4096;
    /** The most processes connected at once. */
    public static final int MAX_PEERS = 64;
    /** The eventfd value of a fence signalled without error; with error: {@code ERROR_BIT | errno}. */
    public static final long SIGNALLED = 1;
    /** The most frames of its streams a process holds at once: past it, frames pass it by. */
    public static final int MAX_FRAMES = 4;
    /** How long a process may hold a frame before its release fence is signalled -ETIMEDOUT (by the watchdog). */
    public static final long RELEASE_TIMEOUT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
    /** The exporter of the memory processes send: the kernel's driver of the same name. */
    public static final String UDMABUF = "udmabuf";
    /** The largest memfd a process may send, as udmabuf's {@code size_limit_mb} (64). */
    public static final long UDMABUF_SIZE_LIMIT = 64L << 20;
    /** The most buffers one process holds at once (GET, IMPORT and frames beyond it: EMFILE). */
    public static final int MAX_HELD = 128;
    /** The most streams one process publishes at once. */
    public static final int MAX_STREAMS = 4;
    /** The most buffers a stream has. */
    public static final int MAX_STREAM_BUFFERS = 8;
    /** The ranking of a stream's render node when its process says none: above the GPUs' (0). */
    public static final int DEFAULT_RANKING = 100;
    /** The most fences one process may wait for at once (GET beyond it: EAGAIN). */
    public static final int MAX_PENDING = 64;
    /** Set in an eventfd's value when the fence signalled with an error, the errno in the low 32 bits. */
    public static final long ERROR_BIT = 1L << 32;

    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");

    private final DmaBufCore core;
    private final Path path;
    private final int listening;
    private final Thread acceptor;
    private final Map<Integer, Peer> peers = new ConcurrentHashMap<>();
    private final Map<String, java.util.Set<Peer>> streams = new ConcurrentHashMap<>();
    private final int uid;
    private final Publisher publisher;
    private final FdWatcher watcher;
    private final Map<String, Stream> published = new ConcurrentHashMap<>();
    // the kernel's udmabuf driver: exports the memory processes send, holds the buffers of their streams
    private final LoadedModule udmabuf;
    private final FenceView udmabufFences;
    private volatile boolean closed;

    /**
     * Where the streams processes publish go: the framework registers each as a {@link ProcessFrames} service.
     */
    public interface Publisher {
        /**
         * @param frames the stream
         * @param properties its service properties
         * @return what {@link #unpublish} takes
         */
        Object publish(ProcessFrames frames, Map<String, Object> properties);

        /** @param handle what {@link #publish} returned */
        void unpublish(Object handle);
    }

    private PeerServer(DmaBufCore core, Path path, int listening, int uid, Publisher publisher) throws IOException {
        this.core = core;
        this.path = path;
        this.listening = listening;
        this.uid = uid;
        this.publisher = publisher;
        this.watcher = new FdWatcher();
        this.udmabuf = core.openModule(UDMABUF, -1);
        this.udmabufFences = new FenceView(udmabuf);
        this.acceptor = new Thread(this::acceptLoop, "dmabuf-peers " + path.getFileName());
        this.acceptor.setDaemon(true);
    }

    /**
     * Listens at {@code path}: its folder is made owner-only if it is new, a stale socket of an earlier run is
     * removed (never any other file), and the socket is owner-only.
     *
     * @param core the buffers
     * @param path the socket's path
     * @return the running server
     */
    public static PeerServer start(DmaBufCore core, Path path) throws IOException {
        return start(core, path, null);
    }

    /**
     * As {@link #start(DmaBufCore, Path)}, publishing the streams of frames processes make.
     *
     * @param publisher where they go, or {@code null}: {@code PUBLISH} is refused
     */
    public static PeerServer start(DmaBufCore core, Path path, Publisher publisher) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            int mode = (int) Files.getAttribute(path, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if ((mode & 0170000) != 0140000) {
                throw new IOException(path + " exists and is not a socket; expected a free path for the peer socket");
            }
            Files.delete(path); // a socket left by a run that did not stop cleanly
        }
        int fd = Native.listen(path.toString(), 16);
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            Memfd.closeFd(fd);
            throw e;
        }
        int uid = (int) Files.getAttribute(path, "unix:uid");
        PeerServer s;
        try {
            s = new PeerServer(core, path, fd, uid, publisher);
        } catch (IOException | RuntimeException e) {
            Memfd.closeFd(fd);
            throw e;
        }
        s.acceptor.start();
        LOG.info("dma-buf: processes reach buffers at {} (protocol {})", path, VERSION);
        return s;
    }

    /** @return the socket's path */
    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed) {
            int fd;
            try {
                fd = Native.accept(listening);
            } catch (IOException e) {
                // out of fds or memory: say so, and let the platform breathe before the next try
                LOG.error("dma-buf peers: accept failed: {}", e.getMessage());
                java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(200));
                continue;
            }
            if (fd < 0) {
                return;
            }
            try {
                Native.Credentials c = Native.peer(fd);
                if (c.uid() != uid) {
                    LOG.warn("dma-buf peers: refused pid {} of uid {}: only uid {} may connect", c.pid(), c.uid(), uid);
                    reply(fd, "ERROR", "code", "EPERM", "message", "uid " + c.uid() + " may not connect; expected uid "
                            + uid);
                    Memfd.closeFd(fd);
                    continue;
                }
                if (peers.size() >= MAX_PEERS) {
                    LOG.warn("dma-buf peers: refused pid {}: {} processes connected already", c.pid(), MAX_PEERS);
                    reply(fd, "ERROR", "code", "EMFILE", "message", MAX_PEERS + " processes are connected; expected"
                            + " one to leave first");
                    Memfd.closeFd(fd);
                    continue;
                }
                Peer p = new Peer(fd, c);
                peers.put(fd, p);
                Thread t = new Thread(p, "dmabuf-peer pid " + c.pid());
                t.setDaemon(true);
                p.thread = t;
                t.start();
            } catch (IOException | RuntimeException e) {
                LOG.warn("dma-buf peers: a connection failed at its start: {}", e.getMessage());
                Memfd.closeFd(fd);
            }
        }
    }

    /** @return one line per connected process: pid, uid, name, buffers held, fences pending */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        for (Peer p : peers.values()) {
            out.add(p.describe());
        }
        return out;
    }

    @Override
    public boolean watched(String stream) {
        java.util.Set<Peer> s = streams.get(stream);
        return s != null && !s.isEmpty();
    }

    @Override
    public int push(String stream, java.util.function.Function<LoadedModule, DmaBufCore.Handed> hand,
            Map<String, String> attributes) {
        java.util.Set<Peer> s = streams.get(stream);
        int n = 0;
        if (s != null) {
            for (Peer p : s) {
                if (p.frame(stream, hand, attributes)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** @return the processes connected now */
    public int count() {
        return peers.size();
    }

    /** Stops listening and disconnects every process (what each held is dropped); waits a bounded time. */
    @Override
    public void close() {
        closed = true;
        Native.shutdown(listening); // wakes the acceptor; the fd is closed once it has left
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Memfd.closeFd(listening);
        for (Peer p : peers.values()) {
            p.shutdown();
        }
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        for (Peer p : List.copyOf(peers.values())) {
            try {
                Thread t = p.thread;
                if (t != null) {
                    t.join(Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Stream st : List.copyOf(published.values())) {
            st.end("the platform stops");
        }
        watcher.close();
        udmabuf.close();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("dma-buf peers: could not remove {}: {}", path, e.getMessage());
        }
    }

    /** @return the streams processes publish now, one line each */
    public List<String> streams() {
        return published.values().stream().map(Stream::describe).sorted().toList();
    }

    /** @return the eventfds of processes watched now (their release and write-done fences) */
    public int watchedEventfds() {
        return watcher.watching();
    }

    // --- the protocol ---------------------------------------------------------------------------------------

    static String encode(String verb, String... kv) {
        StringBuilder b = new StringBuilder(verb);
        for (int i = 0; i + 1 < kv.length; i += 2) {
            b.append(' ').append(kv[i]).append('=')
                    .append(URLEncoder.encode(kv[i + 1], StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return b.toString();
    }

    /** A request: its verb and arguments. */
    record Request(String verb, Map<String, String> args) {
    }

    static Request decode(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("an empty message; expected VERB key=value ...");
        }
        String[] parts = text.split(" ");
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].isEmpty()) {
                continue;
            }
            int eq = parts[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + shown(parts[i]) + "' is not key=value; expected VERB"
                        + " key=value ...");
            }
            args.put(parts[i].substring(0, eq), URLDecoder.decode(parts[i].substring(eq + 1), StandardCharsets.UTF_8));
        }
        return new Request(parts[0], args);
    }

    static String shown(String s) {
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }

    private static void reply(int fd, String verb, String... kv) throws IOException {
        Native.send(fd, encode(verb, kv).getBytes(StandardCharsets.UTF_8));
    }

    private static String comm(int pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    private static void addFence(DmaBuf buf, DmaFence fence, org.dmabuf.api.fence.DmaResvUsage usage) {
        DmaResv resv = buf.resv();
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(fence, usage);
        } finally {
            resv.unlock();
        }
    }

    /**
     * A stream of frames a process publishes: its buffers, held by udmabuf (as a V4L2 queue holds the buffers
     * queued to it), and the fills it was asked for. Registered as a {@link ProcessFrames} service until the
     * process ends it or leaves.
     */
    final class Stream implements ProcessFrames {
        final Peer peer;
        final String name;
        final int width;
        final int height;
        final int stride;
        final int count;
        private final int[] held; // fds of udmabuf's table, one per buffer
        private final long[] pendingFrame;
        private final DmaFence[] pending; // guarded by this
        private org.dmabuf.api.fence.FenceContext jobs; // made once it is published; guarded by this
        private volatile boolean live = true; // written under this: a fill or send under it sees the end
        volatile Object handle;
        private long fills; // guarded by this
        private long late; // guarded by this

        Stream(Peer peer, String name, int width, int height, int stride, int count) {
            this.peer = peer;
            this.name = name;
            this.width = width;
            this.height = height;
            this.stride = stride;
            this.count = count;
            this.held = new int[count];
            java.util.Arrays.fill(held, -1);
            this.pendingFrame = new long[count];
            this.pending = new DmaFence[count];
        }

        // once the name is its: udmabuf's own reference to each buffer at the process's fds, and the timeline
        synchronized void hold(int[] fds) {
            jobs = udmabufFences.contextAlloc(UDMABUF, name + "@" + peer.name());
            jobs.setTimeout(RELEASE_TIMEOUT_NANOS, true); // a process that never fills is timed out by the watchdog
            for (int i = 0; i < fds.length; i++) {
                held[i] = udmabuf.receive(peer.module.send(fds[i]));
            }
        }

        String describe() {
            synchronized (this) {
                return name + ": " + peer.name() + ", " + count + " buffers of " + width + "x" + height + " XR24, "
                        + fills + " fills asked, " + late + " late";
            }
        }

        @Override
        public String stream() {
            return name;
        }

        @Override
        public String process() {
            return peer.name();
        }

        @Override
        public String format() {
            return "XR24";
        }

        @Override
        public int width() {
            return width;
        }

        @Override
        public int height() {
            return height;
        }

        @Override
        public int stride() {
            return stride;
        }

        @Override
        public int count() {
            return count;
        }

        @Override
        public boolean isLive() {
            return live;
        }

        private void check(int index, String func) {
            if (!live) {
                throw new DmaBufException(Errno.ENODEV, func + ": stream " + name + " of " + peer.name() + " ended;"
                        + " expected a live stream");
            }
            if (index < 0 || index >= count) {
                throw new DmaBufException(Errno.EINVAL, func + ": index " + index + " of stream " + name + "; expected"
                        + " 0 to " + (count - 1));
            }
        }

        @Override
        public synchronized org.dmabuf.api.FdTransfer send(int index) {
            check(index, "ProcessFrames.send"); // under the lock end() takes: its fds stay this stream's meanwhile
            return udmabuf.send(held[index]);
        }

        @Override
        public synchronized DmaFence fill(int index, long frame) {
            // under the lock end() takes: a fill under way finishes first, none starts after it, and the fds of
            // held[] stay this stream's meanwhile. Nothing here waits: the FILL goes with MSG_DONTWAIT
            check(index, "ProcessFrames.fill");
            DmaFence job = jobs.next();
            DmaFence before = null;
            int event = -1;
            try {
                DmaBuf buf = udmabuf.get(held[index]);
                try {
                    before = syncFence(buf, DmaBuf.SYNC_WRITE); // what a writer waits for, before the job is in
                    addFence(buf, job, org.dmabuf.api.fence.DmaResvUsage.WRITE);
                } finally {
                    buf.put();
                }
                event = Native.eventfd();
            } catch (IOException | RuntimeException e) {
                if (before != null) {
                    before.put();
                }
                fail(job, -12); // ENOMEM: no eventfd
                return job;
            }
            DmaFence cancelled = pending[index];
            pending[index] = job.get();
            pendingFrame[index] = frame;
            fills++;
            if (cancelled != null) {
                fail(cancelled, -125); // ECANCELED: asked again before it was filled
                cancelled.put();
            }
            try {
                peer.sendNow(encode("FILL", "stream", name, "index", String.valueOf(index), "frame",
                        String.valueOf(frame)).getBytes(StandardCharsets.UTF_8), event);
            } catch (IOException | RuntimeException e) {
                Memfd.closeFd(event);
                before.put();
                DmaFence mine = take(index, frame);
                if (mine != null) {
                    fail(mine, -11); // EAGAIN: the process does not read its socket
                    mine.put();
                }
                return job;
            }
            Peer.Armed a = peer.arm(event, before); // the process's eventfd fires when the earlier fences are done
            if (peer.gone) {
                a.cancel(); // it left meanwhile: nothing stays armed for it
            }
            return job;
        }

        /** @return the pending fill of {@code frame} into {@code index}, taken, or {@code null} */
        synchronized DmaFence take(int index, long frame) {
            DmaFence f = pending[index];
            if (f == null || pendingFrame[index] != frame) {
                return null;
            }
            pending[index] = null;
            if (f.isSignaled()) {
                late++;
            }
            return f;
        }

        private static void fail(DmaFence f, int error) {
            try {
                if (!f.isSignaled()) {
                    f.setError(error);
                    f.signal();
                }
            } catch (DmaBufException raced) {
                // signalled meanwhile (the watchdog): its status stands
            }
        }

        /** Ends the stream: unregistered, its pending fills signalled -ENODEV, its buffers let go by udmabuf. */
        void end(String why) {
            if (!published.remove(name, this)) {
                return;
            }
            DmaFence[] left;
            org.dmabuf.api.fence.FenceContext timeline;
            synchronized (this) { // waits for a fill or send under way; none starts after
                live = false;
                left = pending.clone();
                java.util.Arrays.fill(pending, null);
                timeline = jobs;
            }
            Object h = handle;
            if (h != null) {
                try {
                    publisher.unpublish(h);
                } catch (RuntimeException e) {
                    LOG.warn("dma-buf peers: {}: unpublishing failed: {}", name, e.getMessage());
                }
            }
            for (DmaFence f : left) {
                if (f != null) {
                    fail(f, Errno.ENODEV.code());
                    f.put();
                }
            }
            for (int f : held) {
                if (f >= 0) {
                    try {
                        udmabuf.close(f);
                    } catch (DmaBufException e) {
                        // closed with udmabuf already
                    }
                }
            }
            if (timeline != null) {
                udmabuf.forgetContext(timeline); // its fences are all signalled: the timeline goes with the stream
            }
            LOG.info("dma-buf peers: stream {} ended: {}", name, why);
        }

        @Override
        public String toString() {
            return name + " of " + peer.name();
        }
    }

    // the fences a reader (SYNC_READ) or a writer (SYNC_WRITE) of buf waits for, as one fence
    private DmaFence syncFence(DmaBuf buf, int flags) {
        int sync = buf.exportSyncFile(flags);
        try {
            return udmabufFences.syncFileGetFence(sync);
        } finally {
            udmabuf.close(sync);
        }
    }

    /** One connected process, on a thread of its own. */
    final class Peer implements Runnable {
        final int fd;
        final Native.Credentials creds;
        final String comm;
        volatile Thread thread;
        private volatile LoadedModule module;
        private FenceView fences;
        private final java.util.Set<Armed> armed = ConcurrentHashMap.newKeySet();
        // frames of its streams it holds, by their fd in its table, with the READ fence each put in its buffer
        private final Map<Integer, DmaFence> frames = new ConcurrentHashMap<>();
        private final java.util.Set<String> subscribed = ConcurrentHashMap.newKeySet();
        // its release fences' timelines: one per fence it may have pending at once, each reused once its fence
        // signalled, so that two of its fences in one buffer are never of one context (a reservation object keeps
        // one fence per context, and a process lets go in any order)
        private final org.dmabuf.api.fence.FenceContext[] releaseSlots =
                new org.dmabuf.api.fence.FenceContext[MAX_FRAMES + MAX_PENDING];
        private final boolean[] slotBusy = new boolean[MAX_FRAMES + MAX_PENDING]; // guarded by releaseSlots
        private volatile boolean gone;
        // its references: by its fd in the platform, the watch of the pipe whose write end it holds
        private final Object refLock = new Object();
        private final Map<Integer, FdWatcher.Reference> refs = new java.util.HashMap<>(); // guarded by refLock
        private final java.util.Set<Integer> hungUp = new java.util.HashSet<>(); // guarded by refLock
        private final Object fdLock = new Object();
        private boolean fdClosed; // guarded by fdLock: the connection's fd number is not ours any more
        private final long since = System.nanoTime();

        Peer(int fd, Native.Credentials creds) {
            this.fd = fd;
            this.creds = creds;
            this.comm = comm(creds.pid());
        }

        String name() {
            return "pid " + creds.pid() + " (" + comm + ")";
        }

        /**
         * Sends from another thread than its own (a display's, a renderer's), never waiting: under the lock that
         * its end closes the connection's fd with, so that a message meant for it never goes to a file that
         * took the fd's number after.
         */
        void sendNow(byte[] data, int... fds) throws IOException {
            synchronized (fdLock) {
                if (fdClosed) {
                    throw new IOException(name() + " left");
                }
                Native.sendNow(fd, data, fds);
            }
        }

        // wakes its thread, unless the connection's fd was closed (its number may be another file's now)
        void shutdown() {
            synchronized (fdLock) {
                if (!fdClosed) {
                    Native.shutdown(fd);
                }
            }
        }

        // the buffers the process holds: the fds of its table past the standard streams
        int held() {
            LoadedModule m = module;
            return m == null ? 0 : (int) java.util.Arrays.stream(m.fds()).filter(f -> f > 2).count();
        }

        String describe() {
            int held = held();
            return name() + ": uid " + creds.uid() + ", " + held + " buffer" + (held == 1 ? "" : "s") + " held, "
                    + armed.size() + " fence" + (armed.size() == 1 ? "" : "s") + " pending, connected "
                    + java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since) + " s";
        }

        @Override
        public void run() {
            LOG.info("dma-buf peers: {} of uid {} connected", name(), creds.uid());
            String why = "closed its socket";
            try {
                while (!closed) {
                    Native.Message m = Native.receive(fd, MAX_MESSAGE);
                    if (m == null) {
                        break;
                    }
                    int[] fds = m.fds().clone(); // each request takes the ones it uses (set to -1); the rest closed
                    try {
                        if (m.truncated()) {
                            reply(fd, "ERROR", "code", "EMSGSIZE", "message", "a message longer than " + MAX_MESSAGE
                                    + " bytes or with more than " + Native.MAX_FDS + " fds; expected a shorter one");
                            continue;
                        }
                        if (!handle(m, fds)) {
                            why = "said BYE";
                            break;
                        }
                    } finally {
                        for (int f : fds) {
                            if (f >= 0) {
                                Memfd.closeFd(f);
                            }
                        }
                    }
                }
            } catch (Memfd.NativeException e) {
                // a process that left while its reply was on its way is a process that closed its socket
                why = e.errno() == 104 || e.errno() == 32 ? "closed its socket" : "failed: " + e.getMessage();
            } catch (IOException | RuntimeException e) {
                why = "failed: " + e.getMessage();
            } finally {
                gone = true;
                for (Stream st : List.copyOf(published.values())) {
                    if (st.peer == this) {
                        st.end(name() + " left");
                    }
                }
                watcher.forget(this); // the fences it was to signal: -ENODEV
                for (String st : subscribed) {
                    java.util.Set<Peer> set = streams.get(st);
                    if (set != null) {
                        set.remove(this);
                    }
                }
                for (Armed a : List.copyOf(armed)) {
                    a.cancel(); // its eventfds closed, its callbacks off the fences
                }
                int dropped = 0;
                LoadedModule m = module;
                if (m != null) {
                    dropped = held();
                    core.closeWithin(m); // its release fences are signalled -ENODEV with its contexts
                }
                for (Integer k : List.copyOf(frames.keySet())) {
                    DmaFence rel = frames.remove(k); // only what it removes: a hang-up may be putting another
                    if (rel != null) {
                        rel.signal();
                        rel.put();
                    }
                }
                peers.remove(fd);
                synchronized (fdLock) {
                    fdClosed = true;
                    Memfd.closeFd(fd);
                }
                LOG.info("dma-buf peers: {} {}; dropped the {} buffer{} it held", name(), why, dropped,
                        dropped == 1 ? "" : "s");
            }
        }

        // one request; false to end the connection
        private boolean handle(Native.Message msg, int[] fds) throws IOException {
            Request r;
            try {
                r = decode(msg.data());
            } catch (IllegalArgumentException e) {
                reply(fd, "ERROR", "code", "EINVAL", "message", e.getMessage());
                return true;
            }
            if (module == null && !r.verb().equals("HELLO")) {
                reply(fd, "ERROR", "code", "EPROTO", "message", "'" + shown(r.verb()) + "' before HELLO; expected"
                        + " HELLO version=" + VERSION + " first");
                return true;
            }
            int takes = switch (r.verb()) {
                case "IMPORT" -> 1;
                case "CLOSE", "FILLED" -> Math.min(1, fds.length);
                default -> 0;
            };
            if (fds.length != takes) {
                reply(fd, "ERROR", "code", "EMSGSIZE", "message", shown(r.verb()) + " with " + fds.length + " fd"
                        + (fds.length == 1 ? "" : "s") + "; expected " + (r.verb().equals("IMPORT")
                                ? "exactly one, the memfd" : takes == 0 && !r.verb().equals("CLOSE")
                                        && !r.verb().equals("FILLED") ? "none" : "at most one, an eventfd")
                        + " (they are closed)");
                return true;
            }
            try {
                switch (r.verb()) {
                    case "HELLO" -> hello(r);
                    case "GET" -> get(r);
                    case "CLOSE" -> close(r, fds);
                    case "SUBSCRIBE" -> subscribe(r);
                    case "IMPORT" -> importMemfd(r, fds);
                    case "PUBLISH" -> publish(r);
                    case "UNPUBLISH" -> unpublish(r);
                    case "FILLED" -> filled(r, fds);
                    case "BYE" -> {
                        reply(fd, "BYE");
                        return false;
                    }
                    default -> reply(fd, "ERROR", "code", "EINVAL", "message", "unknown request '" + shown(r.verb())
                            + "'; expected HELLO, GET, SUBSCRIBE, CLOSE, IMPORT, PUBLISH, UNPUBLISH, FILLED or BYE");
                }
            } catch (DmaBufException e) {
                reply(fd, "ERROR", "code", e.errno().name(), "message", e.getMessage());
            }
            return true;
        }

        private void hello(Request r) throws IOException {
            if (module != null) {
                reply(fd, "ERROR", "code", "EPROTO", "message", "HELLO twice; expected it once, first");
                return;
            }
            String v = r.args().get("version");
            if (!String.valueOf(VERSION).equals(v)) {
                reply(fd, "ERROR", "code", "EPROTONOSUPPORT", "message", "protocol version " + (v == null ? "missing"
                        : "'" + shown(v) + "'") + "; expected version=" + VERSION);
                return;
            }
            module = core.openModule(name(), -1);
            fences = new FenceView(module);
            reply(fd, "WELCOME", "version", String.valueOf(VERSION), "pid", String.valueOf(ProcessHandle.current().pid()),
                    "module", name());
        }

        /**
         * A reference fd for the buffer at the process's fd {@code n}: the write end of a pipe whose read end is
         * watched, so that the process's closing it (or every copy of it) drops its reference. The caller sends
         * it, then closes its own copy (until then no hangup can come).
         */
        private int referenceFor(int n) throws IOException {
            int[] pipe = Native.pipe();
            FdWatcher.Reference[] self = new FdWatcher.Reference[1];
            FdWatcher.Reference r = watcher.watchReference(pipe[0], this, () -> hungUp(n, self[0]));
            if (r == null) {
                Memfd.closeFd(pipe[0]);
                Memfd.closeFd(pipe[1]);
                throw new IOException("the platform watches " + FdWatcher.MAX_WATCHED + " fds of processes already");
            }
            self[0] = r;
            synchronized (refLock) {
                hungUp.remove(n);
                refs.put(n, r);
            }
            return pipe[1];
        }

        // a reference that was never handed after all
        private void unreference(int n) {
            FdWatcher.Reference r;
            synchronized (refLock) {
                r = refs.remove(n);
            }
            watcher.cancel(r);
        }

        // on the watcher's thread: the process closed its reference fd, and every copy of it
        private void hungUp(int n, FdWatcher.Reference r) {
            synchronized (refLock) {
                if (!refs.remove(n, r)) {
                    return; // it said CLOSE first
                }
                hungUp.add(n); // before the close: a new buffer at n clears it
            }
            DmaFence rel = frames.remove(n); // before the close: a frame handed at n after it is another's
            try {
                module.close(n);
            } catch (DmaBufException e) {
                // its module closed meanwhile: dropped with it
            }
            if (rel != null) {
                rel.signal(); // it let go of the frame: its renderer may write it again
                rel.put();
            }
            LOG.debug("dma-buf peers: {} closed its reference to fd {}", name(), n);
        }

        private boolean full() {
            synchronized (refLock) {
                return refs.size() >= MAX_HELD;
            }
        }

        private void get(Request r) throws IOException {
            String name = r.args().get("name");
            if (name == null || name.isEmpty()) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "GET without a name; expected GET name=<buffer name>");
                return;
            }
            if (armed.size() >= MAX_PENDING) {
                reply(fd, "ERROR", "code", "EAGAIN", "message", armed.size() + " fences are pending for this"
                        + " process; expected it to wait for some first (at most " + MAX_PENDING + ")");
                return;
            }
            if (full()) {
                reply(fd, "ERROR", "code", "EMFILE", "message", "this process holds " + MAX_HELD + " buffers;"
                        + " expected it to close some first");
                return;
            }
            DmaBufCore.Handed h = core.handToProcess(module, name);
            // everything that can fail, before the reply: nothing fails after BUFFER, so replies stay in step
            DmaFence writers;
            int event;
            int ref;
            try {
                writers = writers(h.fd());
                try {
                    event = Native.eventfd();
                } catch (IOException e) {
                    writers.put();
                    throw e;
                }
                try {
                    ref = referenceFor(h.fd());
                } catch (IOException e) {
                    Memfd.closeFd(event);
                    writers.put();
                    throw e;
                }
            } catch (IOException e) {
                module.close(h.fd());
                reply(fd, "ERROR", "code", "ENOMEM", "message", "no eventfd or pipe for the buffer ("
                        + e.getMessage() + "); expected the JVM to have fds to spare");
                return;
            } catch (RuntimeException e) {
                module.close(h.fd());
                throw e;
            }
            try {
                sendBuffer(h, event, ref);
            } catch (IOException | RuntimeException e) {
                Memfd.closeFd(event);
                writers.put();
                unreference(h.fd());
                module.close(h.fd());
                throw e;
            } finally {
                Memfd.closeFd(ref); // the process has its copy: the reference is its
            }
            arm(event, writers);
        }

        // the writers' fences of the buffer at fd, as a reader waits for them (EXPORT_SYNC_FILE, SYNC_READ)
        private DmaFence writers(int bufferFd) {
            DmaBuf ref = module.get(bufferFd);
            try {
                int sync = ref.exportSyncFile(DmaBuf.SYNC_READ);
                try {
                    return fences.syncFileGetFence(sync);
                } finally {
                    module.close(sync);
                }
            } finally {
                ref.put();
            }
        }

        // the eventfd fires when the writers are done (at once if they are)
        private Armed arm(int event, DmaFence writers) {
            Armed a = new Armed(event, writers);
            armed.add(a);
            if (!writers.addCallback(a)) {
                a.fire(writers.getStatus());
            }
            return a;
        }

        /** A fence a process waits for through its eventfd: fired once, or cancelled when the process goes. */
        private final class Armed implements DmaFence.Callback {
            private final int event;
            private final DmaFence fence;
            private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

            Armed(int event, DmaFence fence) {
                this.event = event;
                this.fence = fence;
            }

            @Override
            public void onSignaled(DmaFence f) {
                fire(f.getStatus());
            }

            // on the signalling thread: one non-blocking write, never a wait on the process
            void fire(int status) {
                if (!done.compareAndSet(false, true)) {
                    return;
                }
                try {
                    Native.signal(event, status < 0 ? ERROR_BIT | -status : SIGNALLED);
                } catch (IOException e) {
                    LOG.warn("dma-buf peers: {}: its eventfd took no signal ({}): it filled the counter itself",
                            name(), e.getMessage());
                } finally {
                    finish();
                }
            }

            void cancel() {
                if (done.compareAndSet(false, true)) {
                    fence.removeCallback(this);
                    finish();
                }
            }

            private void finish() {
                Memfd.closeFd(event); // the process has its own copy
                armed.remove(this);
                fence.put();
            }
        }

        private static boolean isEventfd(int f) {
            try {
                Native.eventfdCount(f);
                return true;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }

        private void subscribe(Request r) throws IOException {
            String stream = r.args().get("stream");
            if (stream == null || stream.isEmpty() || stream.length() > 200) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "SUBSCRIBE " + (stream == null ? "without a stream"
                        : "stream='" + shown(stream) + "'") + "; expected SUBSCRIBE stream=<name> (display/<device>)");
                return;
            }
            if (subscribed.size() >= 16 && !subscribed.contains(stream)) {
                reply(fd, "ERROR", "code", "EAGAIN", "message", "16 streams subscribed already; expected fewer");
                return;
            }
            subscribed.add(stream);
            streams.computeIfAbsent(stream, k -> ConcurrentHashMap.newKeySet()).add(this);
            reply(fd, "SUBSCRIBED", "stream", stream);
        }

        /**
         * A frame of a stream this process subscribes to, on the pusher's thread: a reference for the process,
         * a READ fence of its in the buffer, the writers' eventfd, and a FRAME message that never waits.
         *
         * @return whether the process got it (false: it holds {@link #MAX_FRAMES}, or it is going, or its socket
         *         is full)
         */
        boolean frame(String stream, java.util.function.Function<LoadedModule, DmaBufCore.Handed> hand,
                Map<String, String> attributes) {
            LoadedModule m = module;
            if (gone || m == null || frames.size() >= MAX_FRAMES || armed.size() >= MAX_PENDING || full()) {
                return false;
            }
            DmaBufCore.Handed h;
            try {
                h = hand.apply(m);
            } catch (DmaBufException e) {
                return false; // its module is closing, or the buffer is going
            }
            DmaFence writers = null;
            DmaFence release = null;
            boolean inFrames = false;
            int event = -1;
            int ref = -1;
            try {
                writers = writers(h.fd());
                release = nextRelease();
                if (release == null) {
                    throw new DmaBufException(Errno.EBUSY, "every release timeline of " + name() + " is in use");
                }
                DmaBuf buf = m.get(h.fd());
                try {
                    addFence(buf, release, org.dmabuf.api.fence.DmaResvUsage.READ);
                } finally {
                    buf.put();
                }
                event = Native.eventfd();
                frames.put(h.fd(), release); // before it is sent: the process may let go as soon as it has it
                inFrames = true;
                ref = referenceFor(h.fd());
                List<String> kv = new ArrayList<>(List.of("stream", stream, "fd", String.valueOf(h.fd()), "ino",
                        String.valueOf(h.ino()), "size", String.valueOf(h.size()), "name",
                        h.name() == null ? "" : h.name(), "exp_name", h.expName(), "inode",
                        String.valueOf(h.osInode())));
                attributes.forEach((k, v) -> {
                    kv.add(k);
                    kv.add(v);
                });
                sendNow(encode("FRAME", kv.toArray(String[]::new)).getBytes(StandardCharsets.UTF_8),
                        h.osFd(), event, ref);
                Memfd.closeFd(ref); // the process has its copy: the reference is its
                ref = -1;
            } catch (IOException | RuntimeException e) {
                if (ref >= 0) {
                    unreference(h.fd()); // first: closing the only write end must not look like a hang-up
                    Memfd.closeFd(ref);
                }
                if (event >= 0) {
                    Memfd.closeFd(event);
                }
                if (writers != null) {
                    writers.put();
                }
                // the release fence is this path's to put unless the process's end took it out of frames first
                if (release != null && (!inFrames || frames.remove(h.fd(), release))) {
                    release.signal();
                    release.put();
                }
                try {
                    m.close(h.fd());
                } catch (DmaBufException closed) {
                    // its module closed meanwhile: dropped with it
                }
                return false;
            }
            Armed a = arm(event, writers);
            if (gone) {
                a.cancel(); // it left while this was under way: nothing stays armed for it
            }
            return true;
        }

        /** @return a new release fence on a free timeline of its, or {@code null} when every one is in use */
        private DmaFence nextRelease() {
            int slot = -1;
            org.dmabuf.api.fence.FenceContext c;
            synchronized (releaseSlots) {
                for (int i = 0; i < slotBusy.length && slot < 0; i++) {
                    if (!slotBusy[i]) {
                        slot = i;
                    }
                }
                if (slot < 0) {
                    return null;
                }
                if (releaseSlots[slot] == null) {
                    c = fences.contextAlloc("peer", "release" + slot + "@" + name());
                    c.setTimeout(RELEASE_TIMEOUT_NANOS, true); // a frame held past it is let go for it
                    releaseSlots[slot] = c;
                }
                slotBusy[slot] = true;
                c = releaseSlots[slot];
            }
            int free = slot;
            DmaFence rel = c.next();
            if (!rel.addCallback(f -> {
                synchronized (releaseSlots) {
                    slotBusy[free] = false;
                }
            })) {
                synchronized (releaseSlots) {
                    slotBusy[free] = false;
                }
            }
            return rel;
        }

        // a READ fence of the process in the buffer at its fd: its release fence, signalled by its eventfd
        private DmaFence releaseFence(int bufferFd) {
            DmaBuf ref = module.get(bufferFd);
            try {
                DmaFence rel = nextRelease();
                if (rel == null) {
                    throw new DmaBufException(Errno.EBUSY, "CLOSE with a release fence: " + slotBusy.length
                            + " release fences of this process are pending; expected it to signal some first");
                }
                addFence(ref, rel, org.dmabuf.api.fence.DmaResvUsage.READ);
                return rel;
            } finally {
                ref.put();
            }
        }

        /**
         * {@code IMPORT size=<bytes> [name=<name>]} with a memfd: udmabuf's {@code UDMABUF_CREATE}. The memfd
         * becomes a dma-buf exported by udmabuf, whose reference is an fd of the process's table.
         */
        private void importMemfd(Request r, int[] fds) throws IOException {
            String v = r.args().get("size");
            long size;
            try {
                size = Long.parseLong(v == null ? "" : v);
            } catch (NumberFormatException e) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "IMPORT size=" + (v == null ? "(none)" : shown(v))
                        + "; expected the bytes to take from the memfd, a multiple of the page size");
                return;
            }
            if (full()) {
                reply(fd, "ERROR", "code", "EMFILE", "message", "this process holds " + MAX_HELD + " buffers;"
                        + " expected it to close some first");
                return;
            }
            if (size > UDMABUF_SIZE_LIMIT) {
                reply(fd, "ERROR", "code", "E2BIG", "message", "IMPORT size=" + size + " is over udmabuf's limit;"
                        + " expected at most " + UDMABUF_SIZE_LIMIT + " bytes (size_limit_mb=64)");
                return;
            }
            String name = r.args().get("name");
            if (name != null && (name.isEmpty() || name.length() > 32)) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "IMPORT name='" + shown(name) + "'; expected 1 to 32"
                        + " characters (DMA_BUF_NAME_LEN)");
                return;
            }
            Memfd memory;
            try {
                memory = Memfd.adopt(fds[0], size, org.dmabuf.framework.internal.memory.PageAllocator.PAGE_SIZE);
            } catch (IllegalArgumentException e) {
                fds[0] = -1; // adopt closed it
                LOG.warn("dma-buf peers: {}: udmabuf: {}", name(), e.getMessage());
                reply(fd, "ERROR", "code", "EINVAL", "message", e.getMessage());
                return;
            } catch (IOException e) {
                fds[0] = -1;
                reply(fd, "ERROR", "code", "ENOMEM", "message", "the memfd cannot be mapped (" + e.getMessage()
                        + "); expected memory to spare");
                return;
            }
            fds[0] = -1; // the memory's now, closed with the buffer
            DmaBufCore.Handed h = core.importFromProcess(udmabuf, module,
                    org.dmabuf.framework.internal.heap.MemfdHeap.exportOf(memory, UDMABUF), name);
            int ref;
            try {
                ref = referenceFor(h.fd());
            } catch (IOException e) {
                module.close(h.fd());
                reply(fd, "ERROR", "code", "ENOMEM", "message", "no pipe for the reference (" + e.getMessage()
                        + "); expected the JVM to have fds to spare");
                return;
            }
            try {
                Native.send(fd, encode("IMPORTED", "fd", String.valueOf(h.fd()), "ino", String.valueOf(h.ino()),
                        "size", String.valueOf(h.size()), "name", h.name() == null ? "" : h.name(), "exp_name",
                        h.expName(), "inode", String.valueOf(h.osInode())).getBytes(StandardCharsets.UTF_8), ref);
            } catch (IOException | RuntimeException e) {
                unreference(h.fd());
                module.close(h.fd());
                throw e;
            } finally {
                Memfd.closeFd(ref);
            }
        }

        private static int intArg(Request r, String key, int min, int max, int absent) {
            String v = r.args().get(key);
            if (v == null && absent != Integer.MIN_VALUE) {
                return absent;
            }
            try {
                int n = Integer.parseInt(v == null ? "" : v);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException(r.verb() + " " + key + "=" + (v == null ? "(none)" : shown(v))
                    + "; expected a number from " + min + " to " + max);
        }

        /**
         * {@code PUBLISH stream=<name> fds=<fd>,<fd>,... width=.. height=.. stride=.. [format=XR24]
         * [display=<device>] [ranking=<n>]}: the process's imported buffers become a stream of frames it fills
         * when asked, registered as a {@link ProcessFrames} service.
         */
        private void publish(Request r) throws IOException {
            String stream = r.args().get("stream");
            if (stream == null || stream.isEmpty() || stream.length() > 200) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "PUBLISH " + (stream == null ? "without a stream"
                        : "stream='" + shown(stream) + "'") + "; expected PUBLISH stream=<name> (camera/<name>)");
                return;
            }
            if (publisher == null) {
                reply(fd, "ERROR", "code", "EOPNOTSUPP", "message", "this platform takes no streams from processes;"
                        + " expected PUBLISH only where the framework publishes them");
                return;
            }
            int width, height, stride, ranking;
            try {
                width = intArg(r, "width", 1, 16384, Integer.MIN_VALUE);
                height = intArg(r, "height", 1, 16384, Integer.MIN_VALUE);
                stride = intArg(r, "stride", 1, Integer.MAX_VALUE, Integer.MIN_VALUE);
                ranking = intArg(r, "ranking", -1000, 1000, DEFAULT_RANKING);
            } catch (IllegalArgumentException e) {
                reply(fd, "ERROR", "code", "EINVAL", "message", e.getMessage());
                return;
            }
            String format = r.args().getOrDefault("format", "XR24");
            if (!format.equals("XR24")) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "PUBLISH format=" + shown(format) + "; expected"
                        + " XR24 (XRGB8888, linear)");
                return;
            }
            if (stride != width * 4) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "PUBLISH stride=" + stride + " for width=" + width
                        + "; expected width * 4 = " + width * 4 + " (XR24, linear, rows unpadded)");
                return;
            }
            String list = r.args().getOrDefault("fds", "");
            String[] parts = list.isEmpty() ? new String[0] : list.split(",");
            if (parts.length < 1 || parts.length > MAX_STREAM_BUFFERS) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "PUBLISH fds=" + shown(list) + "; expected 1 to "
                        + MAX_STREAM_BUFFERS + " fds of IMPORTED replies, comma-separated");
                return;
            }
            if (published.values().stream().filter(st -> st.peer == this).count() >= MAX_STREAMS) {
                reply(fd, "ERROR", "code", "EAGAIN", "message", MAX_STREAMS + " streams published by this process"
                        + " already; expected fewer");
                return;
            }
            long need = (long) stride * height;
            int[] bufferFds = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                int n;
                try {
                    n = Integer.parseInt(parts[i].strip());
                } catch (NumberFormatException e) {
                    n = -1;
                }
                String bad = null;
                if (n < 3) {
                    bad = "'" + shown(parts[i]) + "' is not an fd of this process";
                } else {
                    for (int j = 0; j < i; j++) {
                        if (bufferFds[j] == n) {
                            bad = "fd " + n + " is named twice";
                        }
                    }
                }
                if (bad == null) {
                    DmaBuf b = module.get(n); // EBADF when it holds no buffer there
                    try {
                        if (!UDMABUF.equals(b.expName())) {
                            bad = "fd " + n + " is a buffer of " + b.expName() + ", not one it sent";
                        } else if (b.size() < need) {
                            bad = "fd " + n + " has " + b.size() + " bytes, fewer than stride * height = " + need;
                        }
                    } finally {
                        b.put();
                    }
                }
                if (bad != null) {
                    reply(fd, "ERROR", "code", "EINVAL", "message", "PUBLISH: " + bad + "; expected the fds of"
                            + " IMPORTED replies, each of at least stride * height bytes");
                    return;
                }
                bufferFds[i] = n;
            }
            String display = r.args().get("display");
            Stream st = new Stream(this, stream, width, height, stride, bufferFds.length);
            if (published.putIfAbsent(stream, st) != null) {
                reply(fd, "ERROR", "code", "EEXIST", "message", "stream " + shown(stream) + " is published already;"
                        + " expected a name of its own");
                return;
            }
            try {
                st.hold(bufferFds);
                Map<String, Object> props = new LinkedHashMap<>();
                props.put(ProcessFrames.PROP_STREAM, stream);
                props.put(ProcessFrames.PROP_PID, (long) creds.pid());
                props.put("service.ranking", ranking);
                if (display != null && !display.isEmpty()) {
                    props.put(ProcessFrames.PROP_DISPLAY, display);
                }
                st.handle = publisher.publish(st, props);
            } catch (RuntimeException e) {
                st.end("its publishing failed: " + e.getMessage());
                throw e;
            }
            LOG.info("dma-buf peers: {} publishes {}: {} buffers of {}x{} XR24", name(), stream, bufferFds.length,
                    width, height);
            reply(fd, "PUBLISHED", "stream", stream);
        }

        private Stream own(Request r) throws IOException {
            String stream = r.args().get("stream");
            Stream st = stream == null ? null : published.get(stream);
            if (st == null || st.peer != this) {
                reply(fd, "ERROR", "code", "ENOENT", "message", r.verb() + " stream=" + (stream == null ? "(none)"
                        : shown(stream)) + ": not a stream this process publishes; expected the name of its PUBLISH");
                return null;
            }
            return st;
        }

        private void unpublish(Request r) throws IOException {
            Stream st = own(r);
            if (st != null) {
                st.end(name() + " ended it");
                reply(fd, "UNPUBLISHED", "stream", st.name);
            }
        }

        /**
         * {@code FILLED stream=<name> index=<i> frame=<n>}, with or without an eventfd: the process wrote the
         * frame it was asked for (or will have once it signals the eventfd). No reply unless it is wrong.
         */
        private void filled(Request r, int[] fds) throws IOException {
            Stream st = own(r);
            if (st == null) {
                return;
            }
            int index;
            long frame;
            try {
                index = intArg(r, "index", 0, st.count - 1, Integer.MIN_VALUE);
                frame = Long.parseLong(r.args().getOrDefault("frame", ""));
            } catch (IllegalArgumentException e) {
                reply(fd, "ERROR", "code", "EINVAL", "message", e.getMessage().startsWith("FILLED") ? e.getMessage()
                        : "FILLED frame=" + shown(r.args().getOrDefault("frame", "(none)")) + "; expected the frame"
                                + " number of its FILL");
                return;
            }
            int event = fds.length == 1 ? fds[0] : -1;
            if (event >= 0 && !isEventfd(event)) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "FILLED with an fd that is not an eventfd; expected"
                        + " none, or the eventfd of your write fence");
                return;
            }
            DmaFence job = st.take(index, frame);
            if (job == null) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "FILLED index=" + index + " frame=" + frame + ": no"
                        + " such FILL is pending (it was never asked, or it timed out); expected the index and frame"
                        + " of a FILL");
                return;
            }
            if (event < 0) {
                job.signal();
                job.put();
            } else if (watcher.watch(event, job, RELEASE_TIMEOUT_NANOS, this, name() + ": " + st.name + " frame "
                    + frame)) {
                fds[0] = -1;
            } else {
                Stream.fail(job, Errno.EBUSY.code()); // too many eventfds watched: the frame is not trusted
                job.put();
            }
        }

        private void sendBuffer(DmaBufCore.Handed h, int event, int ref) throws IOException {
            Native.send(fd, encode("BUFFER", "fd", String.valueOf(h.fd()), "ino", String.valueOf(h.ino()), "size",
                    String.valueOf(h.size()), "name", h.name() == null ? "" : h.name(), "exp_name", h.expName(),
                    "inode", String.valueOf(h.osInode())).getBytes(StandardCharsets.UTF_8), h.osFd(), event, ref);
        }

        private void close(Request r, int[] fds) throws IOException {
            String v = r.args().get("fd");
            int n;
            try {
                n = Integer.parseInt(v == null ? "" : v);
            } catch (NumberFormatException e) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "CLOSE fd=" + (v == null ? "(none)" : shown(v))
                        + "; expected the fd of a BUFFER reply");
                return;
            }
            if (n < 3) {
                reply(fd, "ERROR", "code", "EBADF", "message", "CLOSE fd=" + n + ": not a buffer of this process;"
                        + " expected the fd of a BUFFER reply");
                return;
            }
            int event = fds.length == 1 ? fds[0] : -1;
            if (event >= 0 && !isEventfd(event)) {
                reply(fd, "ERROR", "code", "EINVAL", "message", "CLOSE fd=" + n + " with an fd that is not an eventfd;"
                        + " expected none, or the eventfd of your release fence");
                return;
            }
            FdWatcher.Reference ref;
            boolean dropped;
            synchronized (refLock) { // never I/O under it: the watcher's thread takes it too
                ref = refs.get(n);
                dropped = ref == null && hungUp.remove(n);
            }
            if (dropped) {
                reply(fd, "CLOSED", "fd", String.valueOf(n)); // it closed its reference fd first: dropped already
                return;
            }
            if (ref == null) { // only what it was handed: never a file of the platform's own making in its table
                reply(fd, "ERROR", "code", "EBADF", "message", "CLOSE fd=" + n + ": not a buffer of this process;"
                        + " expected the fd of a BUFFER, FRAME or IMPORTED reply");
                return;
            }
            boolean frame = frames.containsKey(n);
            // what can fail comes first: an ERROR leaves the reference as it was
            DmaFence rel = !frame && event >= 0 ? releaseFence(n) : null; // a GET buffer's release, as a READ fence
            boolean lost;
            synchronized (refLock) {
                lost = !refs.remove(n, ref); // its reference fd hung up meanwhile: the hang-up drops it
                if (lost) {
                    hungUp.remove(n);
                }
            }
            if (lost) {
                if (rel != null) {
                    rel.signal();
                    rel.put();
                }
                reply(fd, "CLOSED", "fd", String.valueOf(n));
                return;
            }
            watcher.cancel(ref);
            if (frame) {
                rel = frames.remove(n); // before the close: a frame handed at n after it is another's
            }
            module.close(n);
            if (rel != null && event >= 0) {
                // the release fence stays until the process signals its eventfd (or a second passes)
                if (watcher.watch(event, rel, RELEASE_TIMEOUT_NANOS, this, name() + ": release fence of fd " + n)) {
                    fds[0] = -1;
                } else {
                    rel.signal(); // too many watched: let go now rather than hold the buffer
                    rel.put();
                }
            } else if (rel != null) {
                rel.signal(); // the process let go of the frame: its renderer may write it again
                rel.put();
            }
            reply(fd, "CLOSED", "fd", String.valueOf(n));
        }
    }
}
