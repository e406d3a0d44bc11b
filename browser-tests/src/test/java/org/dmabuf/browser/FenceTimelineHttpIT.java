// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.json.Json;

/**
 * The fence timeline of the DMA-BUF page over HTTP, while frames flow: the
 * policy switched to export-symbol, nvidia renders and i915 scans its
 * buffers out (PRIME). {@code trace.json?seconds=N} records N seconds of the
 * tracepoints as Chrome trace JSON (a download), one recording at a time;
 * {@code timeline.svg} draws the last one.
 */
class FenceTimelineHttpIT {
    private static final String PAGE = "/system/console/dmabuf";
    private static RunningPlatform platform;

    @BeforeAll
    static void start() throws Exception {
        platform = new RunningPlatform();
        Matcher m = Pattern.compile("name=\"token\" value=\"([0-9a-f]+)\"").matcher(platform.get(PAGE, true).body());
        assertThat(m.find()).as("the page's form carries a token").isTrue();
        assertThat(platform.post(PAGE + "/policy", "policy=export-symbol&token=" + m.group(1), true).statusCode())
                .isEqualTo(303);
        // the switch returns once nvidia runs; its first frames reach Intel's display soon after
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!platform.get(PAGE + "/displays", true).body().contains("showing nvidia 0000:01:00.0 (PRIME)")) {
            assertThat(System.nanoTime()).as("i915 shows nvidia's frames within 30 s").isLessThan(deadline);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (platform != null) {
            platform.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String json) {
        return new Json().toType(json, Map.class);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> events(Map<String, Object> trace) {
        return (List<Map<String, Object>>) trace.get("traceEvents");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> args(Map<String, Object> e) {
        return (Map<String, Object>) e.get("args");
    }

    private static long tid(Map<String, Object> e) {
        return ((Number) e.get("tid")).longValue();
    }

    /** @return the fence process's track names by tid */
    private static Map<Long, String> fenceTracks(Map<String, Object> trace) {
        return events(trace).stream().filter(e -> "thread_name".equals(e.get("name"))
                && ((Number) e.get("pid")).intValue() == 1)
                .collect(Collectors.toMap(FenceTimelineHttpIT::tid, e -> (String) args(e).get("name")));
    }

    private static HttpResponse<String> record(String what, String seconds) throws Exception {
        return platform.get(PAGE + "/" + what + (seconds == null ? "" : "?seconds=" + seconds), true);
    }

    @Test
    void a_second_of_frames_is_a_trace_with_a_track_per_fence_context_and_completed_fences() throws Exception {
        HttpResponse<String> r = record("trace.json", "1");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/json"));
        assertThat(r.headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename=\"dmabuf-trace.json\"");
        Map<String, Object> trace = parse(r.body());
        assertThat(trace).containsEntry("displayTimeUnit", "ns");
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) trace.get("otherData");
        assertThat(meta).containsEntry("truncated", false);
        assertThat(((Number) meta.get("duration_us")).doubleValue()).as("a second recorded")
                .isGreaterThanOrEqualTo(900_000);

        Map<Long, String> tracks = fenceTracks(trace);
        // nvidia renders for i915's panel (PRIME): its render timeline is a track of its own
        assertThat(tracks.values()).as("the fence tracks").anySatisfy(n -> assertThat(n)
                .matches("nvidia \\S+ \\(context \\d+\\)"));
        List<Map<String, Object>> nvidiaFences = events(trace).stream()
                .filter(e -> "X".equals(e.get("ph")) && String.valueOf(e.get("name")).startsWith("fence ")
                        && tracks.getOrDefault(tid(e), "").startsWith("nvidia "))
                .toList();
        List<Map<String, Object>> completed = nvidiaFences.stream()
                .filter(e -> !args(e).containsKey("unsignalled") && !args(e).containsKey("init")).toList();
        // 30 frames a second: a good part of them rendered, each behind a fence made and signalled in the second
        assertThat(completed).as("nvidia's fences made and signalled within the second: %s", nvidiaFences)
                .hasSizeGreaterThanOrEqualTo(5);
        assertThat(completed).allSatisfy(e -> {
            assertThat(args(e)).containsEntry("driver", "nvidia").containsKeys("seqno", "error", "timeline");
            assertThat(((Number) e.get("dur")).doubleValue()).isNotNegative();
        });
        // (buffer events come when buffers are exported, attached or mapped: not in a steady second of frames)

        // the page draws the last recording
        HttpResponse<String> svg = record("timeline.svg", null);
        assertThat(svg.statusCode()).isEqualTo(200);
        assertThat(svg.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("image/svg+xml"));
        assertThat(svg.body()).startsWith("<svg").contains("class=\"dmabuf-timeline\"", "class=\"dmabuf-fence\"",
                "nvidia ").endsWith("</svg>");
        assertThat(platform.get(PAGE, true).body()).contains("<h2>Fence timeline</h2>", "id=\"dmabuf-timeline\"",
                "/trace.json?seconds=2", "class=\"dmabuf-fence\"");
    }

    @Test
    @SuppressWarnings("unchecked") // anyOf of two futures of the same type
    void one_recording_at_a_time_a_second_request_gets_409() throws Exception {
        // two at once, of 5 s each: whichever reaches the recorder second is refused at once, and the other
        // records; while it does, a third is refused too
        List<CompletableFuture<HttpResponse<String>>> two = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            two.add(platform.http.sendAsync(HttpRequest.newBuilder(platform.uri(PAGE + "/trace.json?seconds=5"))
                    .header("Authorization", platform.basic()).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        HttpResponse<String> second = (HttpResponse<String>) CompletableFuture.anyOf(two.get(0), two.get(1))
                .get(30, TimeUnit.SECONDS);
        assertThat(second.statusCode()).as(second.body()).isEqualTo(409);
        assertThat(second.body()).contains("a recording runs already", "expected one at a time");
        CompletableFuture<HttpResponse<String>> first = two.get(0).isDone() && two.get(0).get() == second
                ? two.get(1) : two.get(0);
        assertThat(first).as("the other one still records").isNotDone();
        HttpResponse<String> svg = record("timeline.svg", "1");
        assertThat(svg.statusCode()).as(svg.body()).isEqualTo(409);
        HttpResponse<String> done = first.get(30, TimeUnit.SECONDS);
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(events(parse(done.body()))).isNotEmpty();
        // and once it is done, the next one records
        HttpResponse<String> next = record("timeline.svg", "1");
        assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
        assertThat(next.body()).contains("class=\"dmabuf-fence\"");
    }

    @Test
    void a_bad_duration_gets_400_naming_what_was_expected_and_records_nothing() throws Exception {
        for (String s : new String[] {"99", "0", "11", "-1", "abc", "", "1.5", "%E2%82%AC"}) {
            for (String what : new String[] {"trace.json", "timeline.svg"}) {
                HttpResponse<String> r = record(what, s);
                assertThat(r.statusCode()).as(what + "?seconds=" + s).isEqualTo(400);
                assertThat(r.body()).as(what + "?seconds=" + s).contains(what + ": seconds='",
                        "is not a time to record; expected a whole number of seconds from 1 to 10 (default 2)");
            }
        }
    }

    @Test
    void a_recording_needs_credentials_and_the_consoles_own_pages() throws Exception {
        assertThat(platform.get(PAGE + "/trace.json?seconds=1", false).statusCode()).isEqualTo(401);
        assertThat(platform.get(PAGE + "/timeline.svg", false).statusCode()).isEqualTo(401);
        HttpResponse<String> cross = platform.http.send(HttpRequest.newBuilder(platform.uri(PAGE
                + "/trace.json?seconds=1")).header("Authorization", platform.basic())
                .header("Sec-Fetch-Site", "cross-site").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(cross.statusCode()).isEqualTo(403);
        assertThat(cross.body()).contains("cross-site request refused");
    }

    @Test
    void numbers_in_the_trace_are_microseconds_with_fractions() throws Exception {
        String body = record("trace.json", "1").body();
        Matcher ts = Pattern.compile("\"ts\":(\\d+\\.\\d{3})[,}]").matcher(body);
        assertThat(ts.find()).as(body.substring(0, Math.min(400, body.length()))).isTrue();
        assertThat(new BigDecimal(ts.group(1)).scale()).isEqualTo(3);
    }
}
