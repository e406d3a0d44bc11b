// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import javax.xml.parsers.DocumentBuilderFactory;

import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Name;
import jdk.jfr.Recording;
import jdk.jfr.StackTrace;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The converter on real JFR events: test-only events with the framework's
 * names and fields ({@code Trace} in the framework bundle), recorded with
 * {@link Recording}, read back with {@link RecordingFile}, converted, and
 * the JSON read back with a strict parser.
 */
class ChromeTraceTest {
    // --- the framework's tracepoints, as this test makes them --------------------------------------

    @StackTrace(false)
    abstract static class FenceEvent extends Event {
        long context;
        long seqno;
        String driver;
        String timeline;
    }

    @Name("org.dmabuf.dma_fence_init")
    static final class FenceInit extends FenceEvent {
    }

    @Name("org.dmabuf.dma_fence_signaled")
    static final class FenceSignaled extends FenceEvent {
        int error;
    }

    @Name("org.dmabuf.dma_fence_wait")
    static final class FenceWait extends FenceEvent {
        boolean signaled;
    }

    @Name("org.dmabuf.dma_fence_destroy")
    static final class FenceDestroy extends FenceEvent {
    }

    @StackTrace(false)
    abstract static class BufferEvent extends Event {
        String module;
        long ino;
        String expName;
        String bufName;
        long size;
    }

    @Name("org.dmabuf.dma_buf_export")
    static final class Export extends BufferEvent {
    }

    @Name("org.dmabuf.dma_buf_fd")
    static final class Fd extends BufferEvent {
        int fd;
    }

    @Name("org.dmabuf.dma_buf_attach")
    static final class Attach extends BufferEvent {
        String device;
        boolean dynamic;
    }

    static final String GFX = "gfx@0000:00:02.0";
    /** A driver and a timeline name that need every kind of escaping, in JSON and in SVG. */
    static final String EVIL_DRIVER = "evil \"drv\" \\ </script>";
    static final String EVIL_TIMELINE = "tl\n\t<b>&amp; \u00fc \u20ac \ud83d\ude00 \u0001 \u2028";
    static final String WAITER = "waiter \"one\"";

    static Path recording;
    static List<RecordedEvent> recorded;

    private static <E extends FenceEvent> E fence(E e, long context, long seqno, String driver, String timeline) {
        e.context = context;
        e.seqno = seqno;
        e.driver = driver;
        e.timeline = timeline;
        return e;
    }

    private static <E extends BufferEvent> E buffer(E e, String module, long ino, String name, long size) {
        e.module = module;
        e.ino = ino;
        e.expName = "nvidia";
        e.bufName = name;
        e.size = size;
        return e;
    }

    // events apart in time, so that their order is the recording's: the clock moves 3 ms on
    private static void pause() {
        long from = System.nanoTime();
        while (System.nanoTime() - from < 3_000_000L) {
            Thread.onSpinWait();
        }
    }

    /**
     * Context 7 (i915, gfx): fence 1 made and signalled; fences 2 and 3
     * overlapping (a queue), 3 signalled with -ETIME; a thread waiting 20 ms
     * for fence 2. Context 9 (evil names): fence 4 signalled but made before
     * the recording; fence 5 never signalled. nvidia exports ino 3 and
     * installs an fd; i915 attaches to it.
     */
    @BeforeAll
    static void record(@TempDir Path dir) throws Exception {
        for (Class<? extends Event> c : List.of(FenceInit.class, FenceSignaled.class, FenceWait.class,
                FenceDestroy.class, Export.class, Fd.class, Attach.class)) {
            FlightRecorder.register(c);
        }
        recording = dir.resolve("test.jfr");
        try (Recording r = new Recording()) {
            ChromeTrace.EVENTS.forEach(n -> r.enable(n).withoutStackTrace()); // by name, as the page does
            r.start();
            buffer(new Export(), "nvidia", 3, "fb0", 4096).commit();
            pause();
            Fd fd = buffer(new Fd(), "nvidia", 3, "fb0", 4096);
            fd.fd = 4;
            fd.commit();
            pause();
            Attach at = buffer(new Attach(), "i915", 3, "fb0", 4096);
            at.device = "0000:00:02.0";
            at.commit();
            pause();
            fence(new FenceSignaled(), 9, 4, EVIL_DRIVER, EVIL_TIMELINE).commit();
            pause();
            fence(new FenceInit(), 7, 1, "i915", GFX).commit();
            pause();
            fence(new FenceSignaled(), 7, 1, "i915", GFX).commit();
            pause();
            fence(new FenceDestroy(), 7, 1, "i915", GFX).commit();
            fence(new FenceInit(), 7, 2, "i915", GFX).commit();
            pause();
            fence(new FenceInit(), 7, 3, "i915", GFX).commit();
            Thread waiter = new Thread(() -> {
                FenceWait w = new FenceWait();
                w.begin();
                try {
                    // the wait the event records: 20 ms on a latch nobody counts down, as a fence wait that times out
                    new java.util.concurrent.CountDownLatch(1).await(20, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                w.end();
                fence(w, 7, 2, "i915", GFX).signaled = true;
                w.commit();
            }, WAITER);
            waiter.start();
            waiter.join();
            fence(new FenceSignaled(), 7, 2, "i915", GFX).commit();
            pause();
            FenceSignaled timedOut = fence(new FenceSignaled(), 7, 3, "i915", GFX);
            timedOut.error = -62;
            timedOut.commit();
            pause();
            fence(new FenceInit(), 9, 5, EVIL_DRIVER, EVIL_TIMELINE).commit();
            pause();
            r.stop();
            r.dump(recording);
        }
        recorded = RecordingFile.readAllEvents(recording);
        assertThat(recorded).as("the recording has every event committed").hasSize(13);
    }

    @AfterAll
    static void forget() {
        recorded = null;
    }

    // --- helpers -------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    static Map<String, Object> parse(String json) {
        return (Map<String, Object>) MiniJson.parse(json);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> events(Map<String, Object> trace) {
        return (List<Map<String, Object>>) trace.get("traceEvents");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> args(Map<String, Object> event) {
        return (Map<String, Object>) event.get("args");
    }

    /** @return the tid of the track of process {@code pid} named {@code name} */
    static int track(Map<String, Object> trace, int pid, String name) {
        return events(trace).stream().filter(e -> "thread_name".equals(e.get("name"))
                && ((BigDecimal) e.get("pid")).intValue() == pid && name.equals(args(e).get("name")))
                .map(e -> ((BigDecimal) e.get("tid")).intValue()).findFirst()
                .orElseThrow(() -> new AssertionError("no track '" + name + "' in process " + pid + " among "
                        + events(trace).stream().filter(e -> "thread_name".equals(e.get("name")))
                                .map(e -> args(e).get("name")).toList()));
    }

    static Map<String, Object> event(Map<String, Object> trace, Predicate<Map<String, Object>> which, String what) {
        List<Map<String, Object>> found = events(trace).stream().filter(which).toList();
        assertThat(found).as(what).hasSize(1);
        return found.get(0);
    }

    static Predicate<Map<String, Object>> named(String name, String ph) {
        return e -> name.equals(e.get("name")) && ph.equals(e.get("ph"));
    }

    static int tid(Map<String, Object> e) {
        return ((BigDecimal) e.get("tid")).intValue();
    }

    static BigDecimal num(Object o) {
        return (BigDecimal) o;
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    /** @return the recorded event's start, in microseconds from the first event's, as the JSON writes it */
    static BigDecimal us(RecordedEvent e) {
        long base = recorded.stream().mapToLong(r -> nanos(r.getStartTime())).min().orElseThrow();
        return BigDecimal.valueOf(nanos(e.getStartTime()) - base, 3);
    }

    static RecordedEvent recordedEvent(String type, long context, long seqno) {
        return recorded.stream().filter(e -> e.getEventType().getName().equals("org.dmabuf." + type)
                && e.getLong("context") == context && e.getLong("seqno") == seqno).findFirst().orElseThrow();
    }

    static Map<String, Object> converted() throws Exception {
        ChromeTrace t = new ChromeTrace();
        t.read(recording);
        return parse(t.json());
    }

    // --- the tests -------------------------------------------------------------------------------------

    @Nested
    class The_json {
        @Test
        void is_a_chrome_trace_in_nanoseconds_with_its_counts_and_not_cut() throws Exception {
            Map<String, Object> trace = converted();
            assertThat(trace).containsKeys("traceEvents", "otherData").containsEntry("displayTimeUnit", "ns");
            @SuppressWarnings("unchecked")
            Map<String, Object> meta = (Map<String, Object>) trace.get("otherData");
            assertThat(meta).containsEntry("truncated", false).containsEntry("events", new BigDecimal(13))
                    .containsEntry("fences", new BigDecimal(5)).containsEntry("contexts", new BigDecimal(2))
                    .containsEntry("waits", new BigDecimal(1)).containsEntry("buffer_events", new BigDecimal(3))
                    .containsEntry("dropped", BigDecimal.ZERO);
            assertThat(events(trace)).allSatisfy(e -> {
                assertThat(e).containsKeys("name", "ph", "pid", "tid");
                if (!"M".equals(e.get("ph"))) {
                    assertThat(num(e.get("ts"))).as("ts of %s", e).isNotNegative();
                    assertThat(num(e.get("ts")).scale()).as("microseconds with nanosecond fractions").isEqualTo(3);
                }
            });
        }

        @Test
        void has_a_process_for_fences_and_one_for_buffers() throws Exception {
            Map<String, Object> trace = converted();
            assertThat(events(trace).stream().filter(e -> "process_name".equals(e.get("name")))
                    .map(e -> e.get("pid") + "=" + args(e).get("name"))).containsExactlyInAnyOrder("1=dma_fence",
                            "2=dma_buf");
        }

        @Test
        void each_fence_is_a_complete_event_from_init_to_signal_on_its_contexts_track() throws Exception {
            Map<String, Object> trace = converted();
            int gfx = track(trace, 1, "i915 " + GFX + " (context 7)");
            Map<String, Object> one = event(trace, named("fence 1", "X"), "fence 1");
            assertThat(tid(one)).isEqualTo(gfx);
            assertThat(num(one.get("ts"))).isEqualTo(us(recordedEvent("dma_fence_init", 7, 1)));
            assertThat(num(one.get("ts")).add(num(one.get("dur"))))
                    .isEqualTo(us(recordedEvent("dma_fence_signaled", 7, 1)));
            assertThat(args(one)).containsEntry("seqno", new BigDecimal(1)).containsEntry("error", BigDecimal.ZERO)
                    .containsEntry("driver", "i915").containsEntry("timeline", GFX)
                    .containsEntry("context", new BigDecimal(7)).doesNotContainKeys("unsignalled", "init");
        }

        @Test
        void overlapping_fences_of_one_context_go_to_a_second_lane_so_that_slices_nest() throws Exception {
            Map<String, Object> trace = converted();
            int lane1 = track(trace, 1, "i915 " + GFX + " (context 7)");
            int lane2 = track(trace, 1, "i915 " + GFX + " (context 7) lane 2");
            assertThat(tid(event(trace, named("fence 2", "X"), "fence 2"))).isEqualTo(lane1);
            assertThat(tid(event(trace, named("fence 3", "X"), "fence 3"))).isEqualTo(lane2);
        }

        @Test
        void a_fence_signalled_with_an_error_says_so_and_is_red() throws Exception {
            Map<String, Object> three = event(converted(), named("fence 3", "X"), "fence 3");
            assertThat(args(three)).containsEntry("error", new BigDecimal(-62));
            assertThat(three).containsEntry("cname", "terrible");
        }

        @Test
        void a_fence_never_signalled_ends_at_the_end_and_one_made_before_starts_at_the_start() throws Exception {
            Map<String, Object> trace = converted();
            String name = EVIL_DRIVER + " " + EVIL_TIMELINE + " (context 9)";
            int evil = track(trace, 1, name);
            Map<String, Object> five = event(trace, named("fence 5", "X"), "fence 5");
            assertThat(tid(five)).isEqualTo(evil);
            BigDecimal end = recorded.stream().map(e -> us(e).add(BigDecimal.valueOf(e.getDuration().toNanos(), 3)))
                    .max(BigDecimal::compareTo).orElseThrow();
            assertThat(num(five.get("ts")).add(num(five.get("dur")))).isEqualTo(end);
            assertThat(args(five)).containsEntry("unsignalled",
                    "not signalled within the recording: drawn to its end");
            Map<String, Object> four = event(trace, named("fence 4", "X"), "fence 4");
            assertThat(num(four.get("ts"))).isEqualByComparingTo(BigDecimal.ZERO);
            assertThat(args(four)).containsEntry("init", "before the recording: drawn from its start")
                    .doesNotContainKey("unsignalled");
        }

        @Test
        void each_wait_is_a_complete_event_on_the_waiting_threads_track() throws Exception {
            Map<String, Object> trace = converted();
            RecordedEvent w = recordedEvent("dma_fence_wait", 7, 2);
            int waiter = track(trace, 1, "wait: " + WAITER + " (thread " + w.getThread().getJavaThreadId() + ")");
            Map<String, Object> wait = event(trace, e -> "X".equals(e.get("ph")) && String.valueOf(e.get("name"))
                    .startsWith("wait"), "the wait");
            assertThat(wait).containsEntry("name", "wait for fence 2 (context 7)");
            assertThat(tid(wait)).isEqualTo(waiter);
            assertThat(num(wait.get("ts"))).isEqualTo(us(w));
            assertThat(num(wait.get("dur"))).isEqualTo(BigDecimal.valueOf(w.getDuration().toNanos(), 3))
                    .isGreaterThanOrEqualTo(new BigDecimal("20000"));
            assertThat(args(wait)).containsEntry("signaled", true).containsEntry("seqno", new BigDecimal(2))
                    .containsEntry("context", new BigDecimal(7)).containsEntry("thread", WAITER);
        }

        @Test
        void buffer_events_are_instants_on_each_modules_track_with_ino_name_size_and_device() throws Exception {
            Map<String, Object> trace = converted();
            int nvidia = track(trace, 2, "nvidia");
            int i915 = track(trace, 2, "i915");
            Map<String, Object> export = event(trace, named("dma_buf_export", "i"), "export");
            assertThat(tid(export)).isEqualTo(nvidia);
            assertThat(export).containsEntry("s", "t").containsEntry("pid", new BigDecimal(2));
            assertThat(args(export)).containsEntry("ino", new BigDecimal(3)).containsEntry("name", "fb0")
                    .containsEntry("size", new BigDecimal(4096)).containsEntry("device", null)
                    .containsEntry("exp_name", "nvidia").containsEntry("module", "nvidia");
            assertThat(args(event(trace, named("dma_buf_fd", "i"), "fd"))).containsEntry("fd", new BigDecimal(4));
            Map<String, Object> attach = event(trace, named("dma_buf_attach", "i"), "attach");
            assertThat(tid(attach)).isEqualTo(i915);
            assertThat(args(attach)).containsEntry("device", "0000:00:02.0").containsEntry("dynamic", false);
        }

        @Test
        void strings_are_escaped_to_ascii_and_read_back_unchanged() throws Exception {
            ChromeTrace t = new ChromeTrace();
            t.read(recording);
            String json = t.json();
            assertThat(json.chars().filter(c -> c >= 0x7f || c < 0x20 && c != '\n')).as("only ASCII").isEmpty();
            assertThat(json).doesNotContain("<", ">", "&").contains("\\u003c/script\\u003e", "\\ud83d\\ude00",
                    "\\\"drv\\\"", "\\\\", "\\n\\t", "\\u0001", "\\u2028");
            Map<String, Object> five = event(parse(json), named("fence 5", "X"), "fence 5");
            assertThat(args(five)).containsEntry("driver", EVIL_DRIVER).containsEntry("timeline", EVIL_TIMELINE);
        }
    }

    @Nested
    class A_trace_past_its_limit {
        @Test
        void is_cut_and_says_so_in_its_metadata_and_on_the_timeline() throws Exception {
            ChromeTrace t = new ChromeTrace(5);
            t.read(recording);
            assertThat(t.kept()).isEqualTo(5);
            assertThat(t.dropped()).isEqualTo(8);
            assertThat(t.cut()).isTrue();
            Map<String, Object> trace = parse(t.json());
            @SuppressWarnings("unchecked")
            Map<String, Object> meta = (Map<String, Object>) trace.get("otherData");
            assertThat(meta).containsEntry("truncated", true).containsEntry("dropped", new BigDecimal(8))
                    .containsEntry("events", new BigDecimal(5)).containsEntry("limit", new BigDecimal(5));
            assertThat(String.valueOf(meta.get("truncation"))).contains("cut at 5 events: 8 later events dropped");
            assertThat(events(trace)).anySatisfy(e -> assertThat(e).containsEntry("ph", "i").containsEntry("s", "g")
                    .hasEntrySatisfying("name", n -> assertThat((String) n).startsWith("recording cut at 5 events")));
        }
    }

    @Nested
    class The_command_line {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();

        private int run(String... args) {
            return ChromeTrace.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
        }

        @Test
        void converts_a_recording_into_a_json_file(@TempDir Path dir) throws Exception {
            Path json = dir.resolve("out.json");
            assertThat(run(recording.toString(), json.toString())).as(err.toString()).isZero();
            assertThat(out.toString()).contains("wrote " + json, "5 fences on 2 contexts, 1 wait, 3 buffer events",
                    "ui.perfetto.dev");
            assertThat(events(parse(Files.readString(json)))).isNotEmpty();
        }

        @Test
        void writes_to_standard_output_given_a_dash() {
            assertThat(run(recording.toString(), "-")).as(err.toString()).isZero();
            assertThat(parse(out.toString(StandardCharsets.UTF_8))).containsKey("traceEvents");
        }

        @Test
        void refuses_bad_arguments_with_the_usage_and_status_2() {
            assertThat(run()).isEqualTo(2);
            assertThat(err.toString()).contains("expected 2 arguments, the recording and the JSON file to write; got 0",
                    "usage: java -cp webconsole-plugin.jar org.dmabuf.webconsole.ChromeTrace <in.jfr> <out.json|->");
            err.reset();
            assertThat(run("a.jfr")).isEqualTo(2);
            assertThat(run("a.jfr", "b.json", "c")).isEqualTo(2);
            assertThat(run(recording.toString(), recording.toString())).isEqualTo(2);
            assertThat(err.toString()).contains("is the recording itself");
            assertThat(run("--help")).isZero();
            assertThat(out.toString()).startsWith("usage: ");
        }

        @Test
        void says_what_is_wrong_with_a_recording_it_cannot_read(@TempDir Path dir) throws Exception {
            assertThat(run(dir.resolve("missing.jfr").toString(), dir.resolve("o.json").toString())).isEqualTo(1);
            assertThat(err.toString()).contains("missing.jfr: no such file; expected a JFR recording");
            Path text = Files.writeString(dir.resolve("notes.jfr"), "not a recording");
            assertThat(run(text.toString(), dir.resolve("o.json").toString())).isEqualTo(1);
            assertThat(err.toString()).contains("notes.jfr: cannot read it as a JFR recording");
            assertThat(run(recording.toString(), dir.resolve("no/such/dir/o.json").toString())).isEqualTo(1);
            assertThat(err.toString()).contains("cannot write", "no such folder");
            assertThat(dir.resolve("o.json")).doesNotExist();
        }
    }

    @Nested
    class The_svg {
        private Document svg() throws Exception {
            ChromeTrace t = new ChromeTrace();
            t.read(recording);
            String svg = TimelineSvg.svg(t);
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        }

        private static List<Element> elements(Document d, String tag, String cls) {
            NodeList l = d.getElementsByTagName(tag);
            java.util.ArrayList<Element> out = new java.util.ArrayList<>();
            for (int i = 0; i < l.getLength(); i++) {
                Element e = (Element) l.item(i);
                if (cls == null || cls.equals(e.getAttribute("class"))) {
                    out.add(e);
                }
            }
            return out;
        }

        @Test
        void draws_a_row_per_context_with_its_name_escaped() throws Exception {
            Document d = svg(); // parses: well-formed, the evil names escaped
            assertThat(elements(d, "text", "dmabuf-context")).extracting(e -> e.getTextContent())
                    .anySatisfy(t -> assertThat(t).startsWith("i915 " + GFX + " (context 7)"))
                    .anySatisfy(t -> assertThat(t).contains("evil \"drv\" \\ </script>"));
            assertThat(elements(d, "text", null).get(0).getTextContent())
                    .startsWith("5 fences on 2 contexts, 1 wait, 3 buffer events in");
        }

        @Test
        void draws_fences_as_bars_red_when_signalled_with_an_error_and_waits_as_ticks() throws Exception {
            Document d = svg();
            List<Element> bars = elements(d, "rect", "dmabuf-fence");
            assertThat(bars).anySatisfy(b -> assertThat(b.getAttribute("fill")).isEqualTo(TimelineSvg.ERROR_RED));
            assertThat(bars).anySatisfy(b -> assertThat(b.getAttribute("stroke-dasharray")).isNotEmpty());
            assertThat(bars).anySatisfy(b -> assertThat(b.getAttribute("fill")).isEqualTo(Graph.css(Graph.colour(
                    "i915"))));
            assertThat(elements(d, "line", "dmabuf-wait")).hasSize(1);
        }

        @Test
        void says_when_there_is_no_recording_yet() {
            assertThat(TimelineSvg.svg(null)).startsWith("<svg").contains("no recording yet");
        }
    }

    /** Waits for a recording of the recorder's to run, at most 20 s. */
    static void awaitRunning() throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (FlightRecorder.getFlightRecorder().getRecordings().stream()
                .noneMatch(r -> r.getState() == jdk.jfr.RecordingState.RUNNING)) {
            assertThat(System.nanoTime()).as("a recording runs within 20 s").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @Nested
    class The_recorder {
        @Test
        void records_the_tracepoints_through_a_stream_one_recording_at_a_time() throws Exception {
            TraceRecorder recorder = new TraceRecorder(ChromeTrace.MAX_EVENTS);
            CompletableFuture<ChromeTrace> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return recorder.record(2);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitRunning(); // the first recording runs
            assertThat(recorder.record(1)).as("a second recording meanwhile").isNull();
            fence(new FenceInit(), 41, 1, "rec", "live").commit();
            pause();
            fence(new FenceSignaled(), 41, 1, "rec", "live").commit();
            ChromeTrace trace = first.get();
            assertThat(trace).isNotNull().isSameAs(recorder.last());
            Map<String, Object> json = parse(trace.json());
            track(json, 1, "rec live (context 41)");
            assertThat(args(event(json, named("fence 1", "X"), "fence 1"))).containsEntry("driver", "rec")
                    .doesNotContainKey("unsignalled");
            assertThat(trace.timeline().end() - trace.timeline().start()).as("the window: the 2 s recorded")
                    .isGreaterThanOrEqualTo(1_900_000_000L);
            recorder.close();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> recorder.record(1))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("stopping");
        }
    }
}
