// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.console;


import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.Heap;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.FenceView;
import org.dmabuf.framework.internal.core.HeapBackend;
import org.dmabuf.framework.internal.core.LoadedModule;

/**
 * The {@code dmabuf:} Gogo commands. The console is a user program: buffers
 * it allocates are fds in its own table ({@code console}), kept until
 * {@code dmabuf:close} or until the framework bundle stops (the object lives
 * as long as the core, so the console's fds live between commands).
 */
public class DmaBufCommands {
    /** The console's module name. */
    public static final String CONSOLE = "console";

    private final DmaBufCore core;
    private final LoadedModule console;

    /** The functions, for Gogo's {@code osgi.command.function}. */
    public static final String[] FUNCTIONS = {"bufinfo", "heaps", "alloc", "close", "fds", "fences", "timeline", "trace", "holders",
        "lockdep"};

    /** The dma_buf and dma_fence tracepoints' recording, while tracing is on. */
    private jdk.jfr.Recording recording; // guarded by this

    /** The fences the console made on its timelines, by timeline, each with a reference, until reached or closed. */
    private final java.util.Map<String, List<org.dmabuf.api.fence.DmaFence>> consoleFences =
            new java.util.concurrent.ConcurrentHashMap<>();

    private void dropFences(String timeline) {
        List<org.dmabuf.api.fence.DmaFence> kept = consoleFences.remove(timeline);
        if (kept != null) {
            kept.forEach(org.dmabuf.api.fence.DmaFence::put);
        }
    }

    /** The longest sync file name ({@code char name[32]}): a fence's name is cut to it, as strscpy does. */
    private static final int SYNC_NAME_MAX = 32;

    /** The console's sw_sync timelines, by name. */
    private final java.util.Map<String, org.dmabuf.api.fence.SwSyncTimeline> timelines =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** @param core the core, whose console module this opens */
    public DmaBufCommands(DmaBufCore core) {
        this.core = core;
        this.console = core.openModule(CONSOLE, -1);
    }

    /** Closes the console's module: its fds go, its timelines' fences are signalled, tracing stops. */
    public void close() {
        new java.util.ArrayList<>(consoleFences.keySet()).forEach(this::dropFences);
        synchronized (this) {
            if (recording != null) {
                recording.close();
                recording = null;
            }
        }
        timelines.values().forEach(org.dmabuf.api.fence.SwSyncTimeline::close);
        console.close();
    }

    @Descriptor("who holds a buffer (fds, references, attachments, vmaps, transfers), and from where in debug mode")
    public String holders(@Descriptor("the buffer's ino, as dmabuf:bufinfo shows it") long ino) {
        if (ino < 1) {
            throw new IllegalArgumentException("holders: ino " + ino + "; expected an ino of dmabuf:bufinfo (1 or more)");
        }
        List<String> lines = core.holders(ino);
        if (lines.isEmpty()) {
            return "ino " + ino + ": nobody holds it (no such buffer, or released)";
        }
        return String.join("\n", lines) + (core.debug() ? "" : "\n(where each was taken is recorded in debug"
                + " mode: configuration org.dmabuf.framework debug=true, or the framework property dmabuf.debug)");
    }

    @Descriptor("what lockdep found in debug mode: waits and reservation locks inside fence signalling sections,"
            + " sleeping in callbacks that must not block, reservation lock order")
    public String lockdep() {
        List<org.dmabuf.framework.internal.fence.Lockdep.Report> reports =
                org.dmabuf.framework.internal.fence.Lockdep.reports();
        String mode = core.debug() ? "" : "lockdep is off: it checks in debug mode (configuration"
                + " org.dmabuf.framework debug=true, or the framework property dmabuf.debug)\n";
        if (reports.isEmpty()) {
            return mode + "no lockdep report" + (core.debug() ? " since the start (or dmabuf:lockdep clear)" : "");
        }
        StringBuilder b = new StringBuilder(mode);
        for (org.dmabuf.framework.internal.fence.Lockdep.Report r : reports) {
            b.append(r.text()).append('\n');
        }
        return b.append(reports.size()).append(" report").append(reports.size() == 1 ? "" : "s").toString();
    }

    @Descriptor("lockdep: clear forgets the reports, so that each place is reported again")
    public String lockdep(@Descriptor("clear") String action) {
        if (!"clear".equals(action)) {
            throw new IllegalArgumentException("lockdep: unknown action '" + Bundles.shown(action)
                    + "'; expected clear, or no action to list the reports");
        }
        int n = org.dmabuf.framework.internal.fence.Lockdep.reports().size();
        org.dmabuf.framework.internal.fence.Lockdep.clear();
        return "lockdep: " + n + " report" + (n == 1 ? "" : "s") + " cleared";
    }

    @Descriptor("every timeline with fences pending and its fences, as /sys/kernel/debug/sync/info")
    public void fences() throws java.io.IOException {
        java.io.PrintStream out = System.out;
        core.syncInfo(out);
        out.flush();
    }

    @Descriptor("sw_sync timelines the console drives by hand: create <name>, inc <name> [count], fence <name> <value>,"
            + " close <name>")
    public synchronized String timeline(@Descriptor("create, inc, fence or close") String action,
            @Descriptor("the timeline's name, 1 to 32 characters") String name) {
        return switch (action) {
            case "create" -> {
                if (timelines.containsKey(name)) {
                    throw new IllegalArgumentException("timeline create: " + Bundles.shown(name) + " exists;"
                            + " expected a new name (dmabuf:fences lists the timelines)");
                }
                org.dmabuf.api.fence.SwSyncTimeline t = new FenceView(console).swSyncTimelineCreate(name);
                if (timelines.putIfAbsent(name, t) != null) {
                    t.close();
                    throw new IllegalArgumentException("timeline create: " + Bundles.shown(name) + " exists;"
                            + " expected a new name (dmabuf:fences lists the timelines)");
                }
                yield "sw_sync timeline " + name + ": context " + t.context() + ", value 0";
            }
            case "inc" -> timeline(action, name, 1);
            case "close" -> {
                named(name, "close").close();
                timelines.remove(name);
                dropFences(name);
                yield "closed sw_sync timeline " + name + " (what it never reached is signalled with -ENOENT)";
            }
            case "fence" -> throw new IllegalArgumentException("timeline fence " + Bundles.shown(name)
                    + ": no value; expected dmabuf:timeline fence <name> <value>");
            default -> throw new IllegalArgumentException("timeline: '" + Bundles.shown(action) + "' is not an"
                    + " action; expected create, inc, fence or close");
        };
    }

    @Descriptor("advance a timeline (inc <name> <count>) or make a fence on it (fence <name> <value>)")
    public synchronized String timeline(@Descriptor("inc or fence") String action,
            @Descriptor("the timeline's name") String name,
            @Descriptor("how far to advance, or the value at which the fence signals") long n) {
        org.dmabuf.api.fence.SwSyncTimeline t = named(name, action);
        return switch (action) {
            case "inc" -> {
                t.inc(n);
                List<org.dmabuf.api.fence.DmaFence> kept = consoleFences.get(name);
                if (kept != null) {
                    kept.removeIf(f -> {
                        if (f.isSignaled()) {
                            f.put();
                            return true;
                        }
                        return false;
                    });
                }
                yield name + ": value " + t.value();
            }
            case "fence" -> {
                // the console keeps the fence, not an fd: it stays on the timeline until reached or closed
                String fenceName = name + "-" + n;
                int fd = t.createFence(fenceName.length() > SYNC_NAME_MAX ? fenceName.substring(0, SYNC_NAME_MAX)
                        : fenceName, n);
                org.dmabuf.api.fence.DmaFence f = new FenceView(console).syncFileGetFence(fd);
                console.close(fd);
                consoleFences.computeIfAbsent(name, k -> new java.util.ArrayList<>()).add(f);
                yield "fence " + n + " on " + name + ": " + (f.isSignaled() ? "signaled" : "pending (dmabuf:fences)");
            }
            default -> throw new IllegalArgumentException("timeline: '" + Bundles.shown(action) + "' takes no"
                    + " number; expected inc <name> <count> or fence <name> <value>");
        };
    }

    @Descriptor("the dma_buf and dma_fence tracepoints as JFR events: on, off, dump [name.jfr], tail [count]")
    public String trace(@Descriptor("on, off, dump or tail") String action) throws java.io.IOException {
        return trace(action, null);
    }

    @Descriptor("the dma_buf and dma_fence tracepoints as JFR events: dump <name.jfr> or tail <count>")
    public synchronized String trace(@Descriptor("dump or tail") String action,
            @Descriptor("the file name (dump), or how many of the latest events (tail)") String arg)
            throws java.io.IOException {
        switch (action) {
            case "on" -> {
                if (recording != null) {
                    return "trace: on already (dmabuf:trace dump, tail or off)";
                }
                if (org.dmabuf.framework.internal.trace.Trace.broken()) {
                    throw new IllegalStateException("trace: the JFR events cannot link in this framework; expected"
                            + " org.osgi.framework.bootdelegation to include jdk.jfr.internal.event");
                }
                jdk.jfr.Recording r = new jdk.jfr.Recording();
                r.setName("dmabuf");
                r.setToDisk(true); // in JFR's repository, its last 64 MB: tracing for hours keeps the latest of it
                r.setMaxSize(64L << 20);
                for (Class<? extends jdk.jfr.Event> e : org.dmabuf.framework.internal.trace.Trace.EVENTS) {
                    r.enable(e).withoutStackTrace();
                }
                r.start();
                recording = r;
                return "trace: on (" + org.dmabuf.framework.internal.trace.Trace.EVENTS.size()
                        + " tracepoints: dma_buf_export ... dma_fence_destroy)";
            }
            case "off" -> {
                if (recording != null) {
                    recording.close();
                    recording = null;
                }
                return "trace: off";
            }
            case "dump" -> {
                java.nio.file.Path file = traceDir().resolve(arg == null
                        ? "dmabuf-" + java.time.LocalDateTime.now().format(
                                java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".jfr"
                        : traceName(arg));
                java.nio.file.Files.createDirectories(file.getParent());
                on("dump").dump(file);
                return "trace: wrote " + file + " (JDK Mission Control opens it; or jfr print --categories DMA-BUF)";
            }
            case "tail" -> {
                int n;
                try {
                    n = arg == null ? 20 : Integer.parseInt(arg);
                } catch (NumberFormatException e) {
                    n = -1;
                }
                if (n < 1 || n > 10_000) {
                    throw new IllegalArgumentException("trace tail: '" + Bundles.shown(arg) + "' is not a count;"
                            + " expected 1 to 10000");
                }
                return tail(on("tail"), n);
            }
            default -> throw new IllegalArgumentException("trace: '" + Bundles.shown(action) + "' is not an action;"
                    + " expected on, off, dump [name.jfr] or tail [count]");
        }
    }

    private jdk.jfr.Recording on(String action) {
        if (recording == null) {
            throw new IllegalArgumentException("trace " + action + ": tracing is off; expected dmabuf:trace on first");
        }
        return recording;
    }

    /** @return where dumps go: trace/ in the platform's folder, or the system's temporary folder */
    private static java.nio.file.Path traceDir() {
        String home = System.getProperty("dmabuf.home");
        return home != null ? java.nio.file.Path.of(home, "trace")
                : java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "dmabuf-trace");
    }

    private static String traceName(String name) {
        if (!name.matches("[A-Za-z0-9._-]{1,64}\\.jfr") || name.startsWith(".")) {
            throw new IllegalArgumentException("trace dump: '" + Bundles.shown(name) + "' is not a file name for"
                    + " trace/; expected letters, digits, . _ - ending in .jfr, at most 68 characters");
        }
        return name;
    }

    /** The latest {@code n} events, one line each, oldest first, as {@code jfr print} would show their fields. */
    private static String tail(jdk.jfr.Recording r, int n) throws java.io.IOException {
        java.nio.file.Path tmp = java.nio.file.Files.createTempFile("dmabuf-trace-", ".jfr");
        try {
            r.dump(tmp);
            // the n latest by start time (the file is in chunk order, not time order across threads)
            java.util.PriorityQueue<jdk.jfr.consumer.RecordedEvent> latest = new java.util.PriorityQueue<>(
                    java.util.Comparator.comparing(jdk.jfr.consumer.RecordedEvent::getStartTime));
            try (jdk.jfr.consumer.RecordingFile f = new jdk.jfr.consumer.RecordingFile(tmp)) {
                while (f.hasMoreEvents()) {
                    jdk.jfr.consumer.RecordedEvent e = f.readEvent();
                    if (!e.getEventType().getName().startsWith("org.dmabuf.")) {
                        continue;
                    }
                    latest.add(e);
                    if (latest.size() > n) {
                        latest.poll();
                    }
                }
            }
            java.util.List<jdk.jfr.consumer.RecordedEvent> last = new java.util.ArrayList<>(latest);
            last.sort(java.util.Comparator.comparing(jdk.jfr.consumer.RecordedEvent::getStartTime));
            if (last.isEmpty()) {
                return "trace: nothing recorded yet";
            }
            StringBuilder out = new StringBuilder();
            java.time.format.DateTimeFormatter t = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS")
                    .withZone(java.time.ZoneId.systemDefault());
            for (jdk.jfr.consumer.RecordedEvent e : last) {
                out.append(t.format(e.getStartTime())).append(' ').append(e.getEventType().getLabel());
                for (jdk.jfr.ValueDescriptor v : e.getFields()) {
                    String k = v.getName();
                    if (k.equals("startTime") || k.equals("duration") || k.equals("eventThread")
                            || k.equals("stackTrace")) {
                        continue;
                    }
                    Object value = e.getValue(k);
                    if (value != null) {
                        out.append(' ').append(k).append('=').append(value);
                    }
                }
                if (!e.getDuration().isZero()) {
                    out.append(" took=").append(e.getDuration().toNanos()).append("ns");
                }
                out.append('\n');
            }
            return out.toString();
        } finally {
            java.nio.file.Files.deleteIfExists(tmp);
        }
    }

    private org.dmabuf.api.fence.SwSyncTimeline named(String name, String action) {
        org.dmabuf.api.fence.SwSyncTimeline t = timelines.get(name);
        if (t == null) {
            throw new IllegalArgumentException("timeline " + Bundles.shown(action) + ": no sw_sync timeline '"
                    + Bundles.shown(name) + "'; expected one of " + new java.util.TreeSet<>(timelines.keySet())
                    + " (dmabuf:timeline create <name>)");
        }
        return t;
    }

    @Descriptor("print every buffer as /sys/kernel/debug/dma_buf/bufinfo does")
    public void bufinfo() throws java.io.IOException {
        // as it goes, to the command's standard output (Gogo's pipes: dmabuf:bufinfo | grep ino): a million
        // buffers are not a 100 MB string first
        java.io.PrintStream out = System.out;
        core.bufinfo(out);
        out.flush();
    }

    @Descriptor("list the DMA-BUF heaps (/dev/dma_heap)")
    public String heaps() {
        Columns t = new Columns("heap", "memory", "used>", "capacity>");
        for (HeapBackend h : core.heapList()) {
            t.row(h.name(), h.contiguous() ? "contiguous" : "scattered", h.usedBytes(), h.capacity());
        }
        return t.toString();
    }

    @Descriptor("allocate a zero-filled buffer from a heap; the console keeps its fd until dmabuf:close")
    public String alloc(@Descriptor("heap name: system or default_cma_region") String heap,
            @Descriptor("size in bytes, or with a K, M or G suffix") String size) {
        return alloc(heap, size, null);
    }

    @Descriptor("allocate a zero-filled, named buffer from a heap; the console keeps its fd until dmabuf:close")
    public String alloc(@Descriptor("heap name: system or default_cma_region") String heap,
            @Descriptor("size in bytes, or with a K, M or G suffix") String size,
            @Descriptor("buffer name, at most 31 bytes") String name) {
        Heap h = console.heap(heap);
        long bytes = Sizes.parse(size);
        int fd = h.allocate(bytes);
        DmaBuf buf = console.get(fd);
        try {
            if (name != null) {
                try {
                    buf.setName(name);
                } catch (RuntimeException e) {
                    console.close(fd);
                    throw e;
                }
            }
            return String.format("fd %d: ino %d, %d bytes from %s%s", fd, buf.inode(), buf.size(), heap,
                    name == null ? "" : " named " + name);
        } finally {
            buf.put();
        }
    }

    @Descriptor("close an fd of the console, dropping its reference to the buffer")
    public String close(@Descriptor("the fd printed by dmabuf:alloc") int fd) {
        if (fd < 3 || java.util.Arrays.stream(console.fds()).noneMatch(f -> f == fd)) {
            throw new IllegalArgumentException("close: fd " + fd + " is not a buffer the console holds; expected one"
                    + " of dmabuf:fds" + (fd >= 0 && fd < 3 ? " (0, 1 and 2 are the console's own streams)" : ""));
        }
        DmaBuf buf = console.get(fd);
        long ino = buf.inode();
        buf.put();
        console.close(fd);
        return "closed fd " + fd + " (ino " + ino + ")";
    }

    @Descriptor("list the console's open fds")
    public String fds() {
        StringBuilder s = new StringBuilder();
        for (int fd : console.fds()) {
            if (fd < 3) {
                continue;
            }
            DmaBuf b = console.get(fd);
            try {
                s.append(String.format("fd %d: ino %d, %d bytes, %s%s%n", fd, b.inode(), b.size(), b.expName(),
                        b.name() == null ? "" : ", " + b.name()));
            } finally {
                b.put();
            }
        }
        return s.length() == 0 ? "no buffers open" : s.toString();
    }

}
