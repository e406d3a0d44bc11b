// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Web Console over HTTP, as {@code curl} sees it: authentication, the
 * DMA-BUF page and its resources, the anti-forgery token, and bad input
 * answered with a clear 4xx that changes nothing.
 */
class WebConsoleHttpIT {
    private static final String PAGE = "/system/console/dmabuf";
    private static RunningPlatform platform;

    @BeforeAll
    static void start() throws Exception {
        platform = new RunningPlatform();
    }

    @AfterAll
    static void stop() throws Exception {
        platform.close();
    }

    // the page's anti-forgery token; once in a full run the page came without its form right after the test
    // that switches the policy there and back (the switch refreshes bundles): waits, at most 20 s, for a page
    // that carries it, and says what it got if none does
    private static String token() throws Exception {
        Pattern token = Pattern.compile("name=\"token\" value=\"([0-9a-f]+)\"");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (;;) {
            HttpResponse<String> page = platform.get(PAGE, true);
            Matcher m = token.matcher(page.body());
            if (m.find()) {
                return m.group(1);
            }
            assertThat(System.nanoTime() < deadline).as("the page's form carries a token; the last answer: "
                    + page.statusCode() + " " + page.body().substring(0, Math.min(600, page.body().length())))
                    .isTrue();
            Thread.onSpinWait();
        }
    }

    private static String policyNow() throws Exception {
        Matcher m = Pattern.compile("id=\"dmabuf-policy-now\">([a-z-]+)<").matcher(platform.get(PAGE + "/state", true)
                .body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    @Test
    void a_process_connected_to_the_peer_socket_is_listed_while_it_is_there() throws Exception {
        String script = String.join("\n", "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)", "s.connect(sys.argv[1])",
                "s.send(b'HELLO version=1')", "print(s.recv(4096).decode(), flush=True)", "sys.stdin.read()");
        Process p = new ProcessBuilder("python3", "-c", script,
                platform.home.resolve("run/dmabuf.sock").toString()).redirectErrorStream(true).start();
        try {
            String hello = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8)).readLine();
            assertThat(hello).startsWith("WELCOME version=1");
            assertThat(platform.get(PAGE, true).body()).contains("<h2>Processes</h2>",
                    "<tr><td>pid " + p.pid() + " (python3)</td><td>0</td></tr>");
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (platform.get(PAGE, true).body().contains("pid " + p.pid() + " (python3)")) {
            assertThat(System.nanoTime()).as("gone from the page once it died").isLessThan(end);
        }
    }

    @Test
    void a_camera_process_is_drawn_in_the_graph_beside_the_buffers_it_holds() throws Exception {
        Process p = new ProcessBuilder("python3", Path.of("..", "clients", "python", "dmabuf_peer.py")
                .toAbsolutePath().toString(), "--socket", platform.home.resolve("run/dmabuf.sock").toString(),
                "camera", "camera/graph", "--frames", "0", "--display", "none") // on no display: nobody asks
                .redirectErrorStream(true).start();
        try {
            String published = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8)).readLine();
            assertThat(published).contains("\"published\": \"camera/graph\"");
            String svg = platform.get(PAGE + "/graph.svg", true).body();
            String process = "pid " + p.pid() + " (python3)";
            assertThat(svg).contains("attached device, process", "<g class=\"process\">", ">" + process + "<",
                    "camera-0", "camera-1", "camera-2", ">udmabuf<");
            // one dashed line from each of its three buffers to it, in the process colour
            assertThat(Pattern.compile("<line [^>]*stroke=\"" + PROCESS_COLOUR + "\"").matcher(svg).results().count())
                    .isEqualTo(3);
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (platform.get(PAGE + "/graph.svg", true).body().contains("pid " + p.pid())) {
            assertThat(System.nanoTime()).as("gone from the graph once it died").isLessThan(end);
        }
    }

    private static final String PROCESS_COLOUR = "#8e44ad";

    @Test
    void every_request_without_credentials_gets_401() throws Exception {
        for (String p : new String[] {PAGE, PAGE + "/state", PAGE + "/graph.svg", PAGE + "/display/0000:00:02.0.png",
                "/system/console/bundles", "/system/console/status-dmabuf.txt"}) {
            assertThat(platform.get(p, false).statusCode()).as(p).isEqualTo(401);
        }
        assertThat(platform.post(PAGE + "/policy", "policy=export-symbol", false).statusCode()).isEqualTo(401);
        assertThat(platform.get(PAGE, true).statusCode()).isEqualTo(200);
    }

    @Test
    void the_page_shows_buffers_graph_devices_taint_policy_refused_modules_and_displays() throws Exception {
        String page = platform.get(PAGE, true).body();
        assertThat(page).contains("id=\"dmabuf-bufinfo\"", "Dma-buf Objects:", "id=\"dmabuf-graph\"", "<svg",
                "id=\"dmabuf-devices\"", "0000:00:02.0", "Intel Iris Xe", "id=\"dmabuf-taint\"", "Tainted:",
                "id=\"dmabuf-policy-now\">gpl-only<", "id=\"dmabuf-refused\"",
                "nvidia: Unknown symbol dma_buf_export (err -2)", "class=\"dmabuf-display\"", "showing i915 0000:00:02.0 (own)",
                "id=\"dmabuf-health\"", "DMA-BUF memory: OK", "DMA-BUF fences and locks: OK");
        // each module's heap memory: i915's three VGA framebuffers, in whole pages (3 x 1,228,800 bytes)
        assertThat(page).contains("<th>Heap memory</th>");
        assertThat(java.util.regex.Pattern.compile("<td>i915</td><td>GPL-2.0-only</td><td>Active</td><td>3686400</td>")
                .matcher(page).find()).as(page).isTrue();
    }

    @Test
    void the_display_is_a_png_that_changes_from_one_request_to_the_next() throws Exception {
        HttpResponse<byte[]> first = platform.getBytes(PAGE + "/display/0000:00:02.0.png");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(Arrays.copyOf(first.body(), 4)).containsExactly(0x89, 'P', 'N', 'G');
        String frame = first.headers().firstValue("X-DmaBuf-Frame").orElseThrow();
        // the panel scans out at 30 Hz: wait for the snapshot of a later frame, at most ten seconds
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        HttpResponse<byte[]> next = first;
        while (next.headers().firstValue("X-DmaBuf-Frame").orElseThrow().equals(frame)
                && System.nanoTime() < deadline) {
            next = platform.getBytes(PAGE + "/display/0000:00:02.0.png");
        }
        assertThat(next.headers().firstValue("X-DmaBuf-Frame")).isNotEqualTo(first.headers().firstValue(
                "X-DmaBuf-Frame"));
        assertThat(next.body()).isNotEqualTo(first.body());
    }

    @Test
    void the_status_page_prints_the_whole_state() throws Exception {
        String text = platform.get("/system/console/status-dmabuf.txt", true).body();
        assertThat(text).contains("export policy: ", "Tainted:", "Modules:", "i915", "Devices:", "0000:01:00.0",
                "Health (hc:exec dmabuf):", "DMA-BUF heaps: OK", "Dma-buf Objects:");
    }

    @Test
    void the_bundle_details_show_the_gates_view_of_each_bundle() throws Exception {
        String bundles = platform.get("/system/console/bundles.json", true).body();
        Matcher m = Pattern.compile("\"id\":(\\d+),\"name\":\"nvidia").matcher(bundles);
        assertThat(m.find()).as(bundles).isTrue();
        String detail = platform.get("/system/console/bundles/" + m.group(1) + ".json", true).body();
        assertThat(detail).contains("DMA-BUF licence gate", "Licence (as the gate read it)", "NVIDIA", "(PO)",
                "denied:");
    }

    @Test
    void a_policy_post_without_the_anti_forgery_token_is_refused_and_changes_nothing() throws Exception {
        String before = policyNow();
        HttpResponse<String> none = platform.post(PAGE + "/policy", "policy=export-symbol", true);
        assertThat(none.statusCode()).isEqualTo(403);
        assertThat(none.body()).contains("anti-forgery token");
        HttpResponse<String> wrong = platform.post(PAGE + "/policy", "policy=export-symbol&token=00ff", true);
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(policyNow()).isEqualTo(before);
    }

    @Test
    void no_page_of_the_console_takes_a_cross_site_change_of_the_policy() throws Exception {
        String before = policyNow();
        String configForm = "apply=true&action=ajaxConfigManager&propertylist=policy&policy=export-symbol";
        String config = "/system/console/configMgr/org.dmabuf.policy";
        for (String[] browser : new String[][] {
                {"Origin", "http://evil.example"},
                {"Origin", "null"},
                {"Referer", "http://evil.example/page.html"},
                {"Sec-Fetch-Site", "cross-site"},
                {"Origin", platform.origin().replace("127.0.0.1", "localhost.evil.example")}}) {
            HttpResponse<String> r = platform.post(config, configForm, true, browser);
            assertThat(r.statusCode()).as(String.join(": ", browser)).isEqualTo(403);
            assertThat(r.body()).contains("cross-site request refused");
            HttpResponse<String> page = platform.post(PAGE + "/policy", "policy=export-symbol&token=" + token(), true,
                    browser);
            assertThat(page.statusCode()).as(String.join(": ", browser)).isEqualTo(403);
        }
        assertThat(policyNow()).as("nothing changed").isEqualTo(before);
        assertThat(platform.log()).contains("web console: refused a cross-site POST /system/console/configMgr");

        // from the console's own page, the Configuration page does change it: the refusals above were the filter's
        HttpResponse<String> own = platform.post(config, configForm, true, "Origin", platform.origin());
        assertThat(own.statusCode()).as(own.body()).isLessThan(400);
        awaitPolicy("export-symbol");
        platform.post(config, configForm.replace("export-symbol", before), true, "Origin", platform.origin());
        awaitPolicy(before);
    }

    // the configuration reaches the gate through Config Admin and SCR: asynchronously
    private static void awaitPolicy(String policy) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (!policyNow().equals(policy)) {
            assertThat(System.nanoTime()).as("the policy became " + policy + " within 60 s").isLessThan(deadline);
        }
    }

    @Test
    void bad_input_gets_a_clear_4xx_and_changes_nothing() throws Exception {
        String before = policyNow();
        String bufinfo = platform.get(PAGE + "/state", true).body().replaceAll("(?s).*<pre id=\"dmabuf-bufinfo\">", "");
        String token = token();
        for (String form : new String[] {"policy=export-symbol-gpl&token=" + token, "policy=&token=" + token,
                "token=" + token}) {
            HttpResponse<String> r = platform.post(PAGE + "/policy", form, true);
            assertThat(r.statusCode()).as(form).isEqualTo(400);
            assertThat(r.body()).as(form).contains("is not an export policy; expected gpl-only or export-symbol");
        }
        HttpResponse<String> display = platform.get(PAGE + "/display/no-such-device.png", true);
        assertThat(display.statusCode()).isEqualTo(404);
        assertThat(display.body()).contains("no display engine on device 'no-such-device'; expected one of");
        HttpResponse<String> sub = platform.get(PAGE + "/nothing-here", true);
        assertThat(sub.statusCode()).isEqualTo(404);
        assertThat(sub.body()).contains("expected state, events, displays, graph.svg, display/<device>.png, trace.json"
                + " or timeline.svg");
        HttpResponse<String> action = platform.post(PAGE + "/reboot", "token=" + token, true);
        assertThat(action.statusCode()).isEqualTo(404);
        assertThat(policyNow()).isEqualTo(before);
        String after = platform.get(PAGE + "/state", true).body().replaceAll("(?s).*<pre id=\"dmabuf-bufinfo\">", "");
        assertThat(after.lines().filter(l -> l.startsWith("Total ")).toList())
                .isEqualTo(bufinfo.lines().filter(l -> l.startsWith("Total ")).toList());
    }

    @Test
    void the_page_waits_on_the_platforms_events_instead_of_polling_its_state() throws Exception {
        String page = platform.get(PAGE, true).body();
        assertThat(page).contains("new EventSource(root+'/events')");
        HttpResponse<java.util.stream.Stream<String>> stream = platform.http.send(java.net.http.HttpRequest
                .newBuilder(platform.uri(PAGE + "/events")).header("Authorization", platform.basic()).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("text/event-stream"));
        java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                stream.body().forEach(lines::add);
            } catch (java.io.UncheckedIOException closed) {
                // the test closed the stream
            }
        });
        java.util.List<String> heard = new java.util.ArrayList<>();
        try {
            String token = token();
            assertThat(platform.post(PAGE + "/policy", "policy=export-symbol&token=" + token, true).statusCode())
                    .isEqualTo(303);
            assertThat(awaitLine(lines, heard, "data: org/dmabuf/policy/CHANGED")).contains("to=export-symbol");
            // nvidia starts under export-symbol: the page hears its bundle start, and its buffers exported
            assertThat(awaitLine(lines, heard, "data: org/osgi/framework/BundleEvent/STARTED bundle.symbolicName=nvidia"))
                    .isNotNull();
            assertThat(platform.post(PAGE + "/policy", "policy=gpl-only&token=" + token, true).statusCode())
                    .isEqualTo(303);
            assertThat(awaitLine(lines, heard, "data: org/dmabuf/policy/CHANGED")).contains("to=gpl-only");
        } finally {
            if (!policyNow().equals("gpl-only")) {
                platform.post(PAGE + "/policy", "policy=gpl-only&token=" + token(), true);
            }
            stream.body().close();
            reader.join(java.time.Duration.ofSeconds(20));
        }
        assertThat(policyNow()).isEqualTo("gpl-only");
    }

    /**
     * @param lines the stream's lines as they come
     * @param heard every line taken from {@code lines} so far, in order: events may come in any order
     * @return the first line heard that starts with {@code prefix}, waiting at most 20 s for it
     */
    private static String awaitLine(java.util.concurrent.BlockingQueue<String> lines, java.util.List<String> heard,
            String prefix) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (long left; ; ) {
            for (String l : heard) {
                if (l.startsWith(prefix)) {
                    heard.remove(l);
                    return l;
                }
            }
            if ((left = deadline - System.nanoTime()) <= 0) {
                throw new AssertionError("no event line " + prefix + " within 20 s; the stream said " + heard);
            }
            String l = lines.poll(left, TimeUnit.NANOSECONDS);
            if (l != null && !l.isEmpty()) {
                heard.add(l);
            }
        }
    }

    @Test
    void the_policy_switches_with_the_token_and_back() throws Exception {
        String token = token();
        HttpResponse<String> r = platform.post(PAGE + "/policy", "policy=export-symbol&token=" + token, true);
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(policyNow()).isEqualTo("export-symbol");
        assertThat(platform.post(PAGE + "/policy", "policy=gpl-only&token=" + token, true).statusCode())
                .isEqualTo(303);
        assertThat(policyNow()).isEqualTo("gpl-only");
    }
}
