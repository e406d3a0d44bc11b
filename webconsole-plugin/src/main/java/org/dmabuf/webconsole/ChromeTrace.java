// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jdk.jfr.ValueDescriptor;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * The framework's {@code dma_buf} and {@code dma_fence} tracepoints (the JFR
 * events {@code org.dmabuf.*}, which {@code dmabuf:trace} records) as the
 * Chrome trace-event JSON that ui.perfetto.dev and {@code chrome://tracing}
 * open: {@code {"traceEvents":[...],"displayTimeUnit":"ns"}}, timestamps in
 * microseconds from the recording's start, with fractions.
 *
 * <ul>
 * <li>Process {@code dma_fence}: one track per fence context, named
 * {@code <driver> <timeline> (context N)}; each fence a complete event from
 * its {@code dma_fence_init} to its {@code dma_fence_signaled} (args seqno,
 * error, driver, timeline). A fence still pending at the end of the
 * recording ends there, and one made before it starts there, each with an
 * arg saying so. A context's fences that overlap in time (a queue of jobs)
 * go to more tracks of the same name with {@code lane N}: complete events
 * on one track must nest, and overlapping fences do not.</li>
 * <li>The same process: one track per waiting thread, each
 * {@code dma_fence_wait} a complete event on it.</li>
 * <li>Process {@code dma_buf}: one track per module (the bundle that made
 * the call), each buffer event (export, fd, get, put, mmap, attach, detach,
 * map, unmap) an instant event with args ino, name, size, device and the
 * event's other fields.</li>
 * </ul>
 *
 * At most a given number of events are kept (a recording of a busy platform
 * has no bound of its own); past it the trace is cut, and its
 * {@code otherData} and a global instant event say so. Events are given in
 * any order ({@link #accept}), from a {@link jdk.jfr.consumer.RecordingStream}
 * or a {@link RecordingFile}; the JSON is made from them sorted by time.
 * Not thread-safe for concurrent use beyond {@link #accept} (synchronized).
 *
 * <p>From the command line, with only this jar and a JDK:
 * {@code java -cp webconsole-plugin.jar org.dmabuf.webconsole.ChromeTrace in.jfr out.json}.
 */
public final class ChromeTrace {
    /** The most events a trace keeps, by default: past it, the trace is cut. */
    public static final int MAX_EVENTS = 200_000;

    /** The JFR events converted: the framework's tracepoints ({@code Trace} in the framework bundle). */
    public static final List<String> EVENTS = List.of("org.dmabuf.dma_buf_export", "org.dmabuf.dma_buf_fd",
            "org.dmabuf.dma_buf_get", "org.dmabuf.dma_buf_put", "org.dmabuf.dma_buf_mmap",
            "org.dmabuf.dma_buf_attach", "org.dmabuf.dma_buf_detach", "org.dmabuf.dma_buf_map_attachment",
            "org.dmabuf.dma_buf_unmap_attachment", "org.dmabuf.dma_fence_init", "org.dmabuf.dma_fence_emit", "org.dmabuf.dma_fence_signaled",
            "org.dmabuf.dma_fence_wait", "org.dmabuf.dma_fence_destroy");

    static final String USAGE = "usage: java -cp webconsole-plugin.jar org.dmabuf.webconsole.ChromeTrace <in.jfr>"
            + " <out.json|->\n  converts a recording of the dma_buf and dma_fence tracepoints (dmabuf:trace dump"
            + " <name.jfr> writes one to trace/) into Chrome trace-event JSON for ui.perfetto.dev or chrome://tracing;"
            + " '-' writes it to standard output";

    private static final String PREFIX = "org.dmabuf.";
    private static final int PID_FENCE = 1;
    private static final int PID_BUF = 2;
    /** The fields every event has, and the buffer fields that get args of their own (below). */
    private static final List<String> COMMON = List.of("startTime", "duration", "eventThread", "stackTrace",
            "module", "ino", "expName", "bufName", "size", "device");

    private final int max;
    private final List<Rec> recs = new ArrayList<>();
    private final Map<String, String> strings = new HashMap<>(); // one copy of each driver, timeline, module name
    private final Map<String, String[]> extraFields = new HashMap<>(); // per buffer event type: its other fields
    private long dropped;
    private long cutAt = Long.MAX_VALUE; // the earliest event dropped
    private long windowStart = Long.MAX_VALUE;
    private long windowEnd = Long.MIN_VALUE;
    private Timeline built; // null until asked for, and again after a change

    /** A trace that keeps at most {@link #MAX_EVENTS} events. */
    public ChromeTrace() {
        this(MAX_EVENTS);
    }

    /** @param maxEvents the most events kept; past it the trace is cut (and says so) */
    public ChromeTrace(int maxEvents) {
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents " + maxEvents + "; expected 1 or more");
        }
        this.max = maxEvents;
    }

    // --- input -------------------------------------------------------------------------------------

    /** One event as kept: only what the JSON needs, so that a trace of {@link #MAX_EVENTS} stays small. */
    private record Rec(String type, long at, long dur, long threadId, String thread, long context, long seqno,
            String driver, String timeline, int error, boolean signaled, String module, long ino, String expName,
            String bufName, long size, String device, Object[] extra) {
        boolean fence() {
            return type.startsWith("dma_fence_");
        }
    }

    /**
     * Takes one event: an {@code org.dmabuf.*} event is kept (until the
     * limit), any other ignored. The event is read at once: a stream that
     * reuses its event objects may pass it.
     *
     * @param e an event from a recording
     * @return {@code false} once the trace is cut (this event dropped), else {@code true}
     */
    public synchronized boolean accept(RecordedEvent e) {
        String name = e.getEventType().getName();
        if (!name.startsWith(PREFIX)) {
            return true;
        }
        long at = nanos(e.getStartTime());
        built = null;
        if (recs.size() >= max) {
            dropped++;
            cutAt = Math.min(cutAt, at);
            return false;
        }
        String type = name.substring(PREFIX.length());
        long dur = Math.max(0, nanos(e.getEndTime()) - at);
        long threadId = -1;
        String thread = null;
        if (e.hasField("eventThread") && e.getThread() != null) {
            RecordedThread t = e.getThread();
            threadId = t.getJavaThreadId();
            thread = intern(t.getJavaName() != null ? t.getJavaName() : t.getOSName());
        }
        Rec r;
        if (type.startsWith("dma_fence_")) {
            r = new Rec(type, at, dur, threadId, thread, lng(e, "context"), lng(e, "seqno"), str(e, "driver"),
                    str(e, "timeline"), (int) lng(e, "error"), e.hasField("signaled") && e.getBoolean("signaled"),
                    null, 0, null, null, 0, null, null);
        } else {
            r = new Rec(type, at, dur, threadId, thread, 0, 0, null, null, 0, false, str(e, "module"),
                    lng(e, "ino"), str(e, "expName"), str(e, "bufName"), lng(e, "size"), str(e, "device"),
                    extra(e));
        }
        recs.add(r);
        return true;
    }

    /**
     * The recording's bounds, when known (a stream's start and stop): fences
     * pending at its end are drawn to it. Without it the first and last
     * events bound the trace.
     */
    public synchronized void window(Instant start, Instant end) {
        windowStart = nanos(start);
        windowEnd = nanos(end);
        built = null;
    }

    /**
     * Reads every event of a recording file ({@code dmabuf:trace dump}).
     *
     * @throws IOException the file cannot be read, or is no JFR recording
     */
    public void read(Path jfr) throws IOException {
        try (RecordingFile f = new RecordingFile(jfr)) {
            while (f.hasMoreEvents()) {
                accept(f.readEvent());
            }
        }
    }

    /** @return whether events were dropped past the limit */
    public synchronized boolean cut() {
        return dropped > 0;
    }

    /** @return the events dropped past the limit */
    public synchronized long dropped() {
        return dropped;
    }

    /** @return the events kept */
    public synchronized int kept() {
        return recs.size();
    }

    private String intern(String s) {
        return s == null ? null : strings.computeIfAbsent(s, k -> k);
    }

    private String str(RecordedEvent e, String field) {
        return e.hasField(field) ? intern(e.getString(field)) : null;
    }

    private static long lng(RecordedEvent e, String field) {
        return e.hasField(field) ? e.getLong(field) : 0;
    }

    /** @return a buffer event's other fields (fd, offset, length, dynamic, direction, ...) as name, value pairs */
    private Object[] extra(RecordedEvent e) {
        String[] names = extraFields.computeIfAbsent(e.getEventType().getName(), t -> e.getFields().stream()
                .map(ValueDescriptor::getName).filter(n -> !COMMON.contains(n)).toArray(String[]::new));
        if (names.length == 0) {
            return null;
        }
        Object[] out = new Object[names.length * 2];
        for (int i = 0; i < names.length; i++) {
            Object v = e.getValue(names[i]);
            out[2 * i] = names[i];
            out[2 * i + 1] = v == null || v instanceof Number || v instanceof Boolean ? v : intern(String.valueOf(v));
        }
        return out;
    }

    private static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    // --- the timeline --------------------------------------------------------------------------------

    /** One fence, from its init (or the recording's start) to its signal (or the recording's end). */
    static final class Fence {
        final long seqno;
        final long start;
        final boolean before; // made before the recording started: drawn from its start
        long end = -1; // -1: pending at the end of the recording
        long emit = -1; // when its job reached the hardware (dma_fence_emit), or -1
        int error;
        int lane;

        Fence(long seqno, long start, boolean before) {
            this.seqno = seqno;
            this.start = start;
            this.before = before;
        }

        boolean signalled() {
            return end >= 0;
        }
    }

    /** A fence context (a timeline): its fences, in order of their start, on as many lanes as they overlap. */
    static final class Context {
        final long id;
        String driver;
        String timeline;
        final List<Fence> fences = new ArrayList<>();
        final List<Wait> waits = new ArrayList<>(); // the waits for its fences
        int lanes = 1;

        Context(long id) {
            this.id = id;
        }

        String name() {
            return (driver == null ? "?" : driver) + " " + (timeline == null ? "?" : timeline) + " (context " + id
                    + ")";
        }
    }

    /** A thread's wait for a fence: {@code dma_fence_wait_start} to {@code _end}. */
    record Wait(long context, long seqno, String driver, String timeline, long start, long dur, boolean signaled,
            long threadId, String thread) {
    }

    /**
     * What a recording shows, in nanoseconds since the epoch.
     *
     * @param start where the timeline starts (the recording's start, or its first event)
     * @param end where it ends (the recording's end, its last event, or where it was cut)
     * @param contexts the fence contexts by driver, timeline and id
     * @param waits each waiting thread's waits (by thread id, then name)
     * @param buffers each module's buffer events, by module
     */
    record Timeline(long start, long end, List<Context> contexts, Map<String, List<Wait>> waits,
            Map<String, List<Rec>> buffers, int kept, long dropped, int fences, int destroyed) {
        int waitCount() {
            return waits.values().stream().mapToInt(List::size).sum();
        }

        int bufferCount() {
            return buffers.values().stream().mapToInt(List::size).sum();
        }

        /** @return "5 fences on 2 contexts, 1 wait, 3 buffer events" */
        String summary() {
            return count(fences, "fence") + " on " + count(contexts.size(), "context") + ", "
                    + count(waitCount(), "wait") + ", " + count(bufferCount(), "buffer event");
        }

        private static String count(int n, String what) {
            return n + " " + what + (n == 1 ? "" : "s");
        }
    }

    /** @return the timeline of the events taken so far */
    synchronized Timeline timeline() {
        if (built == null) {
            built = build();
        }
        return built;
    }

    private Timeline build() {
        List<Rec> sorted = new ArrayList<>(recs);
        sorted.sort(Comparator.comparingLong(Rec::at)); // stable: events at the same time keep their order
        long start = windowStart;
        long end = windowEnd;
        for (Rec r : sorted) {
            start = Math.min(start, r.at());
            end = Math.max(end, r.at() + r.dur());
        }
        if (dropped > 0) {
            // cut: nothing is known past the last event kept
            end = Long.MIN_VALUE;
            for (Rec r : sorted) {
                end = Math.max(end, r.at() + r.dur());
            }
        }
        if (sorted.isEmpty() && start == Long.MAX_VALUE) {
            start = 0;
            end = 0;
        }
        end = Math.max(start, end);

        Map<Long, Context> contexts = new TreeMap<>();
        Map<String, Deque<Fence>> pending = new HashMap<>(); // context:seqno -> fences made, not signalled
        Map<String, List<Wait>> waits = new LinkedHashMap<>();
        Map<String, List<Rec>> buffers = new TreeMap<>();
        int fences = 0;
        int destroyed = 0;
        for (Rec r : sorted) {
            if (!r.fence()) {
                buffers.computeIfAbsent(r.module() == null ? "(no module)" : r.module(), m -> new ArrayList<>())
                        .add(r);
                continue;
            }
            Context c = contexts.computeIfAbsent(r.context(), Context::new);
            if (c.driver == null) {
                c.driver = r.driver();
            }
            if (c.timeline == null) {
                c.timeline = r.timeline();
            }
            String key = r.context() + ":" + r.seqno();
            switch (r.type()) {
                case "dma_fence_init" -> {
                    Fence f = new Fence(r.seqno(), r.at(), false);
                    c.fences.add(f);
                    pending.computeIfAbsent(key, k -> new ArrayDeque<>()).add(f);
                    fences++;
                }
                case "dma_fence_emit" -> {
                    Deque<Fence> q = pending.get(key);
                    Fence f = q == null ? null : q.peek();
                    if (f != null) {
                        f.emit = r.at();
                    }
                }
                case "dma_fence_signaled" -> {
                    Deque<Fence> q = pending.get(key);
                    Fence f = q == null ? null : q.poll();
                    if (f == null) { // made before the recording: from its start
                        f = new Fence(r.seqno(), start, true);
                        c.fences.add(f);
                        fences++;
                    }
                    f.end = r.at();
                    f.error = r.error();
                }
                case "dma_fence_wait" -> {
                    Wait w = new Wait(r.context(), r.seqno(), r.driver(), r.timeline(), r.at(), r.dur(),
                            r.signaled(), r.threadId(), r.thread());
                    waits.computeIfAbsent((r.thread() == null ? "?" : r.thread()) + " (thread " + r.threadId()
                            + ")", t -> new ArrayList<>()).add(w);
                    c.waits.add(w);
                }
                case "dma_fence_destroy" -> destroyed++;
                default -> {
                    // a tracepoint of a newer framework: not drawn
                }
            }
        }
        List<Context> list = new ArrayList<>(contexts.values());
        for (Context c : list) {
            c.fences.sort(Comparator.comparingLong((Fence f) -> f.start).thenComparingLong(f -> f.seqno));
            List<Long> laneEnds = new ArrayList<>();
            for (Fence f : c.fences) {
                f.lane = lane(laneEnds, f.start, f.signalled() ? f.end : end);
            }
            c.lanes = Math.max(1, laneEnds.size());
        }
        list.sort(Comparator.comparing((Context c) -> String.valueOf(c.driver))
                .thenComparing(c -> String.valueOf(c.timeline)).thenComparingLong(c -> c.id));
        return new Timeline(start, end, list, waits, buffers, recs.size(), dropped, fences, destroyed);
    }

    /** @return the first lane free at {@code from} (taken to {@code to}), a new one if none is */
    private static int lane(List<Long> laneEnds, long from, long to) {
        for (int i = 0; i < laneEnds.size(); i++) {
            if (laneEnds.get(i) <= from) {
                laneEnds.set(i, to);
                return i;
            }
        }
        laneEnds.add(to);
        return laneEnds.size() - 1;
    }

    // --- output --------------------------------------------------------------------------------------

    /** @return the trace as Chrome trace-event JSON */
    public String json() {
        StringBuilder b = new StringBuilder();
        try {
            write(b);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringBuilder does not throw
        }
        return b.toString();
    }

    /** Writes the trace as Chrome trace-event JSON, one event a line. */
    public void write(Appendable out) throws IOException {
        Timeline t = timeline();
        Json j = new Json(out);
        out.append("{\"traceEvents\":[\n");
        j.meta(PID_FENCE, 0, "process_name", "name", "dma_fence");
        j.meta(PID_FENCE, 0, "process_sort_index", "sort_index", 1);
        j.meta(PID_BUF, 0, "process_name", "name", "dma_buf");
        j.meta(PID_BUF, 0, "process_sort_index", "sort_index", 2);
        int tid = 0;
        for (Context c : t.contexts()) {
            int first = tid + 1;
            for (int lane = 0; lane < c.lanes; lane++) {
                tid++;
                j.meta(PID_FENCE, tid, "thread_name", "name", c.name() + (lane == 0 ? "" : " lane " + (lane + 1)));
                j.meta(PID_FENCE, tid, "thread_sort_index", "sort_index", tid);
            }
            for (Fence f : c.fences) {
                long end = f.signalled() ? f.end : t.end();
                j.begin("fence " + f.seqno, "dma_fence", "X", PID_FENCE, first + f.lane, f.start - t.start());
                j.field("dur").time(end - f.start);
                if (f.signalled() && f.error != 0) {
                    j.field("cname").string("terrible"); // chrome://tracing's red
                }
                j.field("args").open().field("context").num(c.id).field("seqno").num(f.seqno).field("error")
                        .num(f.error).field("driver").string(c.driver).field("timeline").string(c.timeline);
                if (f.before) {
                    j.field("init").string("before the recording: drawn from its start");
                }
                if (f.emit >= 0) {
                    j.field("emitted_after_us").time(f.emit - f.start); // dma_fence_emit: queued until then
                }
                if (!f.signalled()) {
                    j.field("unsignalled").string(t.dropped() > 0
                            ? "not signalled before the recording was cut: drawn to the cut"
                            : "not signalled within the recording: drawn to its end");
                }
                j.close().end();
            }
        }
        for (Map.Entry<String, List<Wait>> e : t.waits().entrySet()) {
            List<Long> laneEnds = new ArrayList<>();
            Map<Integer, Integer> laneTid = new HashMap<>();
            for (Wait w : e.getValue()) {
                int lane = lane(laneEnds, w.start(), w.start() + w.dur());
                Integer id = laneTid.get(lane);
                if (id == null) {
                    id = ++tid;
                    laneTid.put(lane, id);
                    j.meta(PID_FENCE, id, "thread_name", "name", "wait: " + e.getKey()
                            + (lane == 0 ? "" : " lane " + (lane + 1)));
                    j.meta(PID_FENCE, id, "thread_sort_index", "sort_index", id);
                }
                j.begin("wait for fence " + w.seqno() + " (context " + w.context() + ")", "dma_fence", "X",
                        PID_FENCE, id, w.start() - t.start());
                j.field("dur").time(w.dur());
                j.field("args").open().field("context").num(w.context()).field("seqno").num(w.seqno())
                        .field("driver").string(w.driver()).field("timeline").string(w.timeline())
                        .field("signaled").bool(w.signaled()).field("thread").string(w.thread())
                        .close().end();
            }
        }
        for (Map.Entry<String, List<Rec>> e : t.buffers().entrySet()) {
            tid++;
            j.meta(PID_BUF, tid, "thread_name", "name", e.getKey());
            j.meta(PID_BUF, tid, "thread_sort_index", "sort_index", tid);
            for (Rec r : e.getValue()) {
                j.begin(r.type(), "dma_buf", "i", PID_BUF, tid, r.at() - t.start());
                j.field("s").string("t");
                j.field("args").open().field("ino").num(r.ino()).field("name").string(r.bufName()).field("size")
                        .num(r.size()).field("device").string(r.device()).field("module").string(r.module())
                        .field("exp_name").string(r.expName());
                if (r.dur() > 0) {
                    j.field("duration_us").time(r.dur());
                }
                if (r.thread() != null) {
                    j.field("thread").string(r.thread());
                }
                Object[] x = r.extra();
                for (int i = 0; x != null && i < x.length; i += 2) {
                    j.field((String) x[i]).value(x[i + 1]);
                }
                j.close().end();
            }
        }
        String cut = t.dropped() > 0 ? "cut at " + t.kept() + " events: " + t.dropped() + " later events dropped;"
                + " the trace ends at the last event kept" : null;
        if (cut != null) {
            j.begin("recording " + cut, "dmabuf", "i", PID_FENCE, 0, t.end() - t.start());
            j.field("s").string("g").end();
        }
        out.append("\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":");
        Json m = new Json(out);
        m.open().field("source").string("DMA-BUF for OSGi: the dma_buf and dma_fence tracepoints (JFR org.dmabuf.*)")
                .field("start").string(t.start() == 0 ? "" : Instant.ofEpochSecond(0, t.start()).toString())
                .field("duration_us").time(t.end() - t.start()).field("events").num(t.kept())
                .field("fences").num(t.fences()).field("contexts").num(t.contexts().size())
                .field("waits").num(t.waitCount()).field("buffer_events").num(t.bufferCount())
                .field("truncated").bool(cut != null).field("dropped").num(t.dropped()).field("limit").num(max);
        if (cut != null) {
            m.field("truncation").string(cut);
        }
        m.close();
        out.append("}\n");
    }

    /** JSON written by hand: no library in the bundle. Strings escaped to ASCII, safe inside HTML too. */
    static final class Json {
        private final Appendable out;
        private boolean first = true; // in the current object: no comma before the next field
        private boolean firstEvent = true;

        Json(Appendable out) {
            this.out = out;
        }

        void meta(int pid, int tid, String name, String key, Object value) throws IOException {
            begin(name, null, "M", pid, tid, -1);
            field("args").open().field(key).value(value).close().end();
        }

        /** Opens an event; {@code ts} below zero: none (metadata). */
        Json begin(String name, String cat, String ph, int pid, int tid, long ts) throws IOException {
            out.append(firstEvent ? "" : ",\n");
            firstEvent = false;
            open().field("name").string(name);
            if (cat != null) {
                field("cat").string(cat);
            }
            field("ph").string(ph).field("pid").num(pid).field("tid").num(tid);
            if (ts >= 0) {
                field("ts").time(ts);
            }
            return this;
        }

        void end() throws IOException {
            close();
        }

        Json open() throws IOException {
            out.append('{');
            first = true;
            return this;
        }

        Json close() throws IOException {
            out.append('}');
            first = false;
            return this;
        }

        Json field(String name) throws IOException {
            if (!first) {
                out.append(',');
            }
            first = false;
            string(name);
            out.append(':');
            return this;
        }

        Json num(long n) throws IOException {
            out.append(Long.toString(n));
            return this;
        }

        Json bool(boolean b) throws IOException {
            out.append(b ? "true" : "false");
            return this;
        }

        /** Nanoseconds as microseconds with three decimals: exact, no floating point. */
        Json time(long ns) throws IOException {
            long v = Math.max(0, ns);
            long frac = v % 1000;
            out.append(Long.toString(v / 1000)).append('.').append((char) ('0' + frac / 100))
                    .append((char) ('0' + frac / 10 % 10)).append((char) ('0' + frac % 10));
            return this;
        }

        Json value(Object v) throws IOException {
            if (v == null) {
                out.append("null");
            } else if (v instanceof Boolean b) {
                bool(b);
            } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
                num(((Number) v).longValue());
            } else if (v instanceof Number n && Double.isFinite(n.doubleValue())) {
                out.append(n.toString());
            } else {
                string(String.valueOf(v));
            }
            return this;
        }

        Json string(String s) throws IOException {
            if (s == null) {
                out.append("null");
                return this;
            }
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        // control characters, and everything not ASCII (surrogates included, paired or not: valid
                        // JSON either way), and < > & (so that the JSON may stand inside HTML)
                        if (c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&') {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
            return this;
        }
    }

    // --- the command line ----------------------------------------------------------------------------

    /**
     * {@code ChromeTrace <in.jfr> <out.json|->}: converts a recording
     * ({@code dmabuf:trace dump}) into Chrome trace-event JSON. Exits with 2
     * on bad arguments, 1 when the recording cannot be read or the JSON
     * cannot be written.
     */
    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** @return the exit status: 0 done, 1 failed, 2 bad arguments */
    static int run(String[] args, PrintStream stdout, PrintStream stderr) {
        if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            stdout.println(USAGE);
            return 0;
        }
        if (args.length != 2 || args[0].isBlank() || args[1].isBlank()) {
            stderr.println("ChromeTrace: expected 2 arguments, the recording and the JSON file to write; got "
                    + args.length + (args.length == 0 ? "" : ": " + String.join(" ", args)));
            stderr.println(USAGE);
            return 2;
        }
        Path in;
        Path out;
        try {
            in = Path.of(args[0]);
            out = args[1].equals("-") ? null : Path.of(args[1]);
        } catch (InvalidPathException e) {
            stderr.println("ChromeTrace: '" + e.getInput() + "' is not a file name: " + e.getReason());
            stderr.println(USAGE);
            return 2;
        }
        if (!Files.isRegularFile(in)) {
            stderr.println("ChromeTrace: " + in + ": " + (Files.exists(in) ? "not a file" : "no such file")
                    + "; expected a JFR recording (dmabuf:trace dump <name.jfr> writes one to trace/)");
            return 1;
        }
        try {
            if (out != null && Files.exists(out) && Files.isSameFile(in, out)) {
                stderr.println("ChromeTrace: " + out + " is the recording itself; expected another file to write");
                return 2;
            }
        } catch (IOException e) {
            // cannot tell: the write below says what is wrong
        }
        ChromeTrace trace = new ChromeTrace();
        try {
            trace.read(in);
        } catch (IOException | RuntimeException e) {
            stderr.println("ChromeTrace: " + in + ": cannot read it as a JFR recording (" + e.getMessage()
                    + "); expected a recording that dmabuf:trace dump wrote");
            return 1;
        }
        try {
            if (out == null) { // standard output stays open
                Writer w = new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8));
                trace.write(w);
                w.flush();
            } else {
                try (Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                    trace.write(w);
                }
            }
        } catch (NoSuchFileException e) {
            stderr.println("ChromeTrace: cannot write " + out + ": no such folder " + out.toAbsolutePath().getParent());
            return 1;
        } catch (IOException e) {
            stderr.println("ChromeTrace: cannot write " + (out == null ? "to standard output" : out) + ": " + e);
            return 1;
        }
        Timeline t = trace.timeline();
        (out == null ? stderr : stdout).println("ChromeTrace: " + (out == null ? "wrote" : "wrote " + out + ":") + " "
                + t.summary() + (t.dropped() > 0 ? " (cut: " + t.dropped()
                        + " events dropped past " + t.kept() + ")" : "")
                + "; open it in ui.perfetto.dev or chrome://tracing");
        return 0;
    }
}
