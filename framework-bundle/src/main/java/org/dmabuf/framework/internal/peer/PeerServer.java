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
    private volatile boolean closed;

    private PeerServer(DmaBufCore core, Path path, int listening, int uid) {
        this.core = core;
        this.path = path;
        this.listening = listening;
        this.uid = uid;
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
        PeerServer s = new PeerServer(core, path, fd, uid);
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
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("dma-buf peers: could not remove {}: {}", path, e.getMessage());
        }
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
        private volatile org.dmabuf.api.fence.FenceContext releases;
        private volatile boolean gone;
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
                    for (int f : m.fds()) {
                        Memfd.closeFd(f); // no request of version 1 carries fds
                    }
                    if (m.truncated()) {
                        reply(fd, "ERROR", "code", "EMSGSIZE", "message", "a message longer than " + MAX_MESSAGE
                                + " bytes or with more than " + Native.MAX_FDS + " fds; expected a shorter one");
                        continue;
                    }
                    if (!handle(m)) {
                        why = "said BYE";
                        break;
                    }
                }
            } catch (Memfd.NativeException e) {
                // a process that left while its reply was on its way is a process that closed its socket
                why = e.errno() == 104 || e.errno() == 32 ? "closed its socket" : "failed: " + e.getMessage();
            } catch (IOException | RuntimeException e) {
                why = "failed: " + e.getMessage();
            } finally {
                gone = true;
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
                for (DmaFence rel : frames.values()) {
                    rel.signal();
                    rel.put();
                }
                frames.clear();
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
        private boolean handle(Native.Message msg) throws IOException {
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
            try {
                switch (r.verb()) {
                    case "HELLO" -> hello(r);
                    case "GET" -> get(r);
                    case "CLOSE" -> close(r);
                    case "SUBSCRIBE" -> subscribe(r);
                    case "BYE" -> {
                        reply(fd, "BYE");
                        return false;
                    }
                    default -> reply(fd, "ERROR", "code", "EINVAL", "message", "unknown request '" + shown(r.verb())
                            + "'; expected HELLO, GET, SUBSCRIBE, CLOSE or BYE");
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
            DmaBufCore.Handed h = core.handToProcess(module, name);
            // everything that can fail, before the reply: nothing fails after BUFFER, so replies stay in step
            DmaFence writers;
            int event;
            try {
                writers = writers(h.fd());
                try {
                    event = Native.eventfd();
                } catch (IOException e) {
                    writers.put();
                    throw e;
                }
            } catch (IOException e) {
                module.close(h.fd());
                reply(fd, "ERROR", "code", "ENOMEM", "message", "no eventfd for the fence (" + e.getMessage()
                        + "); expected the JVM to have fds to spare");
                return;
            } catch (RuntimeException e) {
                module.close(h.fd());
                throw e;
            }
            try {
                sendBuffer(h, event);
            } catch (IOException | RuntimeException e) {
                Memfd.closeFd(event);
                writers.put();
                module.close(h.fd());
                throw e;
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
            if (releases == null) {
                releases = fences.contextAlloc("peer", "release@" + name());
                releases.setTimeout(RELEASE_TIMEOUT_NANOS, true); // a frame held past it is let go for it
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
            org.dmabuf.api.fence.FenceContext ctx = releases;
            if (gone || m == null || ctx == null || frames.size() >= MAX_FRAMES || armed.size() >= MAX_PENDING) {
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
            int event = -1;
            try {
                writers = writers(h.fd());
                release = ctx.next();
                DmaBuf ref = m.get(h.fd());
                try {
                    DmaResv resv = ref.resv();
                    resv.lock();
                    try {
                        resv.reserveFences(1);
                        resv.addFence(release, org.dmabuf.api.fence.DmaResvUsage.READ);
                    } finally {
                        resv.unlock();
                    }
                } finally {
                    ref.put();
                }
                event = Native.eventfd();
                List<String> kv = new ArrayList<>(List.of("stream", stream, "fd", String.valueOf(h.fd()), "ino",
                        String.valueOf(h.ino()), "size", String.valueOf(h.size()), "name",
                        h.name() == null ? "" : h.name(), "exp_name", h.expName(), "inode",
                        String.valueOf(h.osInode())));
                attributes.forEach((k, v) -> {
                    kv.add(k);
                    kv.add(v);
                });
                Native.sendNow(fd, encode("FRAME", kv.toArray(String[]::new)).getBytes(StandardCharsets.UTF_8),
                        h.osFd(), event);
            } catch (IOException | RuntimeException e) {
                if (event >= 0) {
                    Memfd.closeFd(event);
                }
                if (writers != null) {
                    writers.put();
                }
                if (release != null) {
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
            frames.put(h.fd(), release);
            Armed a = arm(event, writers);
            if (gone) {
                a.cancel(); // it left while this was under way: nothing stays armed for it
            }
            return true;
        }

        private void sendBuffer(DmaBufCore.Handed h, int event) throws IOException {
            Native.send(fd, encode("BUFFER", "fd", String.valueOf(h.fd()), "ino", String.valueOf(h.ino()), "size",
                    String.valueOf(h.size()), "name", h.name() == null ? "" : h.name(), "exp_name", h.expName(),
                    "inode", String.valueOf(h.osInode())).getBytes(StandardCharsets.UTF_8), h.osFd(), event);
        }

        private void close(Request r) throws IOException {
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
            module.close(n);
            DmaFence rel = frames.remove(n);
            if (rel != null) {
                rel.signal(); // the process let go of the frame: its renderer may write it again
                rel.put();
            }
            reply(fd, "CLOSED", "fd", String.valueOf(n));
        }
    }
}
