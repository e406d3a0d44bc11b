// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.dmabuf.testsupport.Platform;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code bin/dmabuf script.gogo}, run as a user runs it: a separate process,
 * from another working directory, finding its JDK by itself.
 */
public class LauncherIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    record Run(int status, String out, String err) {
    }

    private int runs;

    Run run(String script) throws IOException, InterruptedException {
        Path file = tmp.newFile("script" + runs++ + ".gogo").toPath();
        Files.writeString(file, script);
        Path bin = Platform.home().resolve("bin/dmabuf");
        ProcessBuilder pb = new ProcessBuilder(bin.toString(), file.getFileName().toString())
                .directory(tmp.getRoot());
        pb.environment().remove("JAVA_HOME"); // it must find a JDK 25 by itself
        Path out = file.resolveSibling(file.getFileName() + ".out");
        Path err = file.resolveSibling(file.getFileName() + ".err");
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        assertTrue("bin/dmabuf did not finish within 60 s", p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    public void the_cross_process_demo_prints_frames_received_crcs_matched_and_nothing_copied_both_ways()
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Platform.home().resolve("demo/cross-process.sh").toString(), "30")
                .directory(tmp.getRoot()).redirectErrorStream(true);
        pb.environment().remove("JAVA_HOME");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("the demo did not finish within 120 s", p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(out, 0, p.exitValue());
        assertTrue(out, out.contains("frames received: 30, CRCs matched: 30, bad: 0, bytes copied: 0"));
        assertTrue(out, out.lines().anyMatch(l -> l.matches("i915: 30 frames shown, 30 CRC matches, 0 bad, 0 skipped, .*"
                + "rendered by udmabuf camera/demo \\(PRIME\\)")));
        assertTrue(out, out.contains("bytes copied: 0"));
    }

    @Test
    public void a_script_that_succeeds_prints_its_output_and_exits_0() throws Exception {
        Run r = run("""
                # comments and blank lines are skipped

                lb
                dmabuf:alloc system 4096 demo
                dmabuf:bufinfo
                """);
        assertEquals(r.err, 0, r.status);
        assertTrue(r.out, r.out.lines().anyMatch(l -> l.matches("fd 3: ino \\d+, 4096 bytes from system named demo")));
        assertTrue(r.out, r.out.lines().anyMatch(l -> l.matches("00004096\t00000002\t00000007\t00000001\tsystem\t\\d{8}\tdemo")));
        assertTrue(r.out, r.out.lines().anyMatch(l -> l.matches("Total \\d+ objects, \\d+ bytes")));
        for (String bsn : List.of("i915", "tegra-drm", "DMA-BUF framework")) {
            assertTrue(bsn + " active in lb:\n" + r.out, r.out.lines().anyMatch(l -> l.contains("|Active") && l.contains(bsn)));
        }
        assertTrue("nvidia refused under the default policy:\n" + r.out,
                r.out.lines().anyMatch(l -> l.contains("|Installed") && l.contains("nvidia")));
        assertEquals("the refusal, once, in the kernel's load-time words:\n" + r.err, 1,
                r.err.split("nvidia: Unknown symbol dma_buf_export \\(err -2\\)", -1).length - 1);
        assertTrue("no ERROR line and no stack trace at start:\n" + r.err, r.err.lines()
                .noneMatch(l -> l.contains("ERROR") || l.startsWith("\tat ") || l.contains("GPL-incompatible")));
        assertTrue("the refusal is said once, in the kernel's words, not again as Felix's auto-start error:\n"
                + r.out, !r.out.contains("Error starting") && !(r.out + r.err).contains("ModuleRefused"));
        assertTrue("the console's fd is closed at stop:\n" + r.err, r.err.lines().anyMatch(
                l -> l.matches(".*console: closing fd 3 \\(ino \\d+\\) at stop")));
    }

    @Test
    public void a_failing_command_makes_the_exit_status_non_zero_and_the_script_goes_on() throws Exception {
        Run r = run("""
                dmabuf:alloc system 0
                dmabuf:alloc vram 4096
                dmabuf:bufinfo
                """);
        assertEquals(r.out + r.err, 1, r.status);
        assertTrue(r.err, r.err.contains("len 0; expected at least 1 byte (-EINVAL: Invalid argument)"));
        assertTrue(r.err, r.err.contains("open /dev/dma_heap/vram: no such heap"));
        assertTrue(r.err, r.err.lines().anyMatch(l -> l.matches("dmabuf: 2 command\\(s\\) of script\\d+\\.gogo failed")));
        assertTrue("the later command still ran:\n" + r.out, r.out.contains("g! dmabuf:bufinfo\n\nDma-buf Objects:"));
    }

    @Test
    public void sw_sync_timelines_are_driven_by_hand_at_the_console_and_listed_as_sync_info() throws Exception {
        Run r = run("""
                dmabuf:timeline create demo
                dmabuf:timeline fence demo 3
                dmabuf:timeline fence demo 5
                dmabuf:fences
                dmabuf:timeline inc demo 3
                dmabuf:fences
                dmabuf:timeline inc demo 2
                dmabuf:timeline create demo
                dmabuf:timeline bogus demo
                dmabuf:timeline inc nothere 1
                dmabuf:timeline close demo
                dmabuf:fences
                """);
        assertEquals(r.out + r.err, 1, r.status);
        assertTrue(r.out, r.out.contains("sw_sync timeline demo: context "));
        assertTrue(r.out, r.out.contains("fence 3 on demo: pending (dmabuf:fences)"));
        assertTrue(r.out, r.out.contains("objs:\n--------------\nsw_sync:demo  context "));
        assertTrue(r.out, r.out.contains("  issued by console  value 0  2 pending\n  seq 3: active, 0 waiters\n"
                + "  seq 5: active, 0 waiters\n"));
        assertTrue(r.out, r.out.contains("  issued by console  value 3  1 pending\n  seq 5: active, 0 waiters\n"));
        assertTrue(r.out, r.out.contains("demo: value 5"));
        assertTrue(r.out, r.out.contains("closed sw_sync timeline demo"));
        assertTrue("a closed timeline is not listed:\n" + r.out,
                !r.out.substring(r.out.lastIndexOf("g! dmabuf:fences")).contains("sw_sync:demo"));
        assertTrue(r.err, r.err.contains("timeline create: demo exists; expected a new name"));
        assertTrue(r.err, r.err.contains("timeline: 'bogus' is not an action; expected create, inc, fence or close"));
        assertTrue(r.err, r.err.contains("no sw_sync timeline 'nothere'; expected one of [demo]"));
    }

    @Test
    public void the_platform_runs_without_the_simulated_hardware_and_gets_its_board_back() throws Exception {
        // felix:start takes a bundle id (a name would be a URL to install): the distribution's install order fixes it
        String id = run("lb -s simgpu").out.lines().filter(l -> l.contains("|simgpu (")).map(l -> l.split("\\|")[0].trim())
                .findFirst().orElseThrow(() -> new AssertionError("simgpu is not in lb"));
        Run r = run("""
                stop simgpu
                dmabuf:devices
                dmabuf:displays
                dmabuf:bufinfo
                start %s
                dmabuf:devices
                dmabuf:demo optimus 30
                """.formatted(id));
        assertEquals(r.out + r.err, 0, r.status);
        String[] parts = r.out.split("g! start " + id);
        String stopped = parts[0];
        String started = parts[1];
        assertTrue("no device while simgpu is stopped:\n" + stopped, stopped.lines()
                .noneMatch(l -> l.contains("plugged ")));
        assertTrue(stopped, stopped.contains("no display engine"));
        assertTrue(stopped, stopped.contains("Total 0 objects, 0 bytes"));
        for (String dev : List.of("0000:00:02.0", "0000:01:00.0", "54200000.dc", "57000000.gpu")) {
            assertTrue("the board's " + dev + " is back:\n" + started, started.lines()
                    .anyMatch(l -> l.startsWith(dev) && l.contains("plugged ")));
        }
        assertTrue(started, started.lines().anyMatch(l -> l.startsWith("0000:00:02.0") && l.endsWith("i915")));
        assertTrue(started, started.lines().anyMatch(l -> l.contains("frames shown") && l.contains(" 0 bad")));
        List<String> errors = r.err.lines().filter(l -> l.contains("ERROR") || l.contains("Exception"))
                .filter(l -> !l.contains("nvidia")).toList();
        assertTrue("no error but nvidia's refusal:\n" + String.join("\n", errors), errors.isEmpty());
    }

    @Test
    public void any_kind_a_configuration_names_can_be_plugged_in_by_its_kind() throws Exception {
        // a kind of the driver template's (-DdeviceKind=widget): its generated .cfg names it
        Path cfg = tmp.newFile("org.dmabuf.device-widget.cfg").toPath();
        Files.writeString(cfg, "name=widget-0.gpu\nkind=widget\nvendor=0x1234\ndevice=0x0001\nengines=render\n");
        Run r = run("""
                dmabuf:plug
                dmabuf:plug mali
                dmabuf:unplug 1c40000.gpu
                dmabuf:plug widget
                dmabuf:deploy %s
                dmabuf:unplug widget-0.gpu
                dmabuf:plug widget
                dmabuf:devices
                dmabuf:undeploy org.dmabuf.device-widget.cfg
                """.formatted(cfg));
        assertEquals("one command fails: the kind no configuration names yet\n" + r.out + r.err, 1, r.status);
        assertTrue(r.out, r.out.contains("kinds: intel, mali, nvidia, tegra-dc, tegra-gpu"));
        assertTrue("the board's known kind:\n" + r.out, r.out.contains("1c40000.gpu: plugged in, no driver bound"));
        assertTrue(r.err, r.err.contains("no device kind, name or pid 'widget'; expected one of the kinds [intel, mali,"
                + " nvidia, tegra-dc, tegra-gpu]"));
        String named = r.out.substring(r.out.indexOf("g! dmabuf:unplug widget-0.gpu"));
        assertTrue("plugged in again by its kind:\n" + named, named.contains("widget-0.gpu: plugged in"));
        assertTrue(named, named.lines().anyMatch(l -> l.startsWith("widget-0.gpu") && l.contains("widget")));
    }

    @Test
    public void the_console_refuses_what_is_not_its_business_and_names_what_it_expected() throws Exception {
        Path config = Platform.home().resolve("conf/config.properties");
        String before = Files.readString(config);
        Run r = run("""
                dmabuf:rmmod 0
                dmabuf:rmmod org.dmabuf.framework
                dmabuf:modprobe org.apache.felix.gogo.shell
                dmabuf:undeploy ../conf/config.properties
                dmabuf:deploy conf/config.properties
                dmabuf:plug intel "a)(b"
                dmabuf:plug intel %s
                lb -s org.dmabuf.framework
                dmabuf:devices
                """.formatted("x".repeat(10_000)));
        assertEquals(r.out + r.err, 1, r.status);
        assertTrue(r.err, r.err.lines().anyMatch(l -> l.matches("dmabuf: 7 command\\(s\\) of script\\d+\\.gogo failed")));
        assertTrue(r.err, r.err.contains("0 (bundle 0, org.apache.felix.framework) is not a DMA-BUF module; expected a"
                + " driver bundle from dmabuf:modules"));
        assertTrue(r.err, r.err.contains("org.dmabuf.framework (bundle "));
        assertTrue(r.err, r.err.contains("org.apache.felix.gogo.shell (bundle "));
        assertTrue(r.err, r.err.contains("undeploy: '../conf/config.properties' is not a file name in deploy/"));
        assertTrue(r.err, r.err.contains("deploy: config.properties is not a driver jar nor a configuration;"
                + " expected a file named *.jar, *.cfg or *.config"));
        assertTrue(r.err, r.err.contains("device name 'a)(b'; expected 1 to 64 letters, digits"));
        assertTrue(r.err, r.err.contains("device name '" + "x".repeat(77) + "...'; expected 1 to 64"));
        assertTrue("the framework still runs:\n" + r.out, r.out.lines()
                .anyMatch(l -> l.contains("|Active") && l.contains("org.dmabuf.framework")));
        assertTrue("the devices list still works:\n" + r.out, r.out.lines().anyMatch(l -> l.startsWith("0000:00:02.0")));
        assertEquals("conf/ is untouched", before, Files.readString(config));
    }

    private static long physicalMemory() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getTotalMemorySize();
    }

    @Test
    public void every_console_command_answers_bad_input_with_what_it_expected_and_changes_nothing() throws Exception {
        String[][] cases = {
                {"dmabuf:alloc system -5", "len -5; expected at least 1 byte (-EINVAL"},
                {"dmabuf:alloc system 10X", "size '10X' is not a size; expected bytes such as 4096, 4K or 8M"},
                {"dmabuf:alloc nosuchheap 4096", "open /dev/dma_heap/nosuchheap: no such heap; expected one of system"},
                // more than the machine has: refused by the heap's cap (half the machine), never attempted
                {"dmabuf:alloc system " + physicalMemory(), " of " + physicalMemory() / 2 + " in use (-ENOMEM"},
                {"dmabuf:alloc system 4096 " + "n".repeat(40), "name is 40 bytes long; expected at most 31 bytes"},
                {"dmabuf:close 999", "close: fd 999 is not a buffer the console holds; expected one of dmabuf:fds"},
                {"dmabuf:close 1", "(0, 1 and 2 are the console's own streams)"},
                {"dmabuf:policy gpl", "export policy 'gpl' is unknown; expected gpl-only or export-symbol"},
                {"dmabuf:why nosuchbundle", "no bundle 'nosuchbundle'; expected a bundle id or symbolic name"},
                {"dmabuf:modprobe nosuch", "modprobe: FATAL: Module nosuch not found; expected a bundle symbolic"},
                {"dmabuf:undeploy nosuch.jar", "no file deploy/nosuch.jar; expected one of (none: deploy/ holds no jar"},
                {"dmabuf:deploy nosuch.jar", "no file nosuch.jar (nor under dmabuf.home); expected a driver jar"},
                {"dmabuf:plug nosuch", "no device kind, name or pid 'nosuch'; expected one of the kinds"},
                {"dmabuf:plug intel 0000:00:02.0", "a device named 0000:00:02.0 is configured already; expected a new"},
                {"dmabuf:unplug nosuch", "no plugged device 'nosuch'; expected a name or pid from dmabuf:devices"},
                {"dmabuf:demo nosuch", "no display engine of nosuch"},
                {"dmabuf:demo optimus 0", "frames 0; expected at least 1"},
        };
        StringBuilder script = new StringBuilder();
        for (String[] c : cases) {
            script.append(c[0]).append('\n');
        }
        script.append("dmabuf:fds\ndmabuf:devices\ndmabuf:bufinfo\n");
        Run r = run(script.toString());
        assertTrue(r.err, r.err.lines().anyMatch(l -> l.matches("dmabuf: " + cases.length
                + " command\\(s\\) of script\\d+\\.gogo failed")));
        for (String[] c : cases) {
            assertTrue(c[0] + " -> " + c[1] + "\n" + r.err, r.err.contains(c[1]));
        }
        String after = r.out.substring(r.out.indexOf("g! dmabuf:fds"));
        assertTrue("the console holds nothing:\n" + after, after.startsWith("g! dmabuf:fds\nno buffers open\n"));
        for (String dev : List.of("0000:00:02.0", "0000:01:00.0", "54200000.dc", "57000000.gpu")) {
            assertTrue("the board is as it was:\n" + after, after.lines().anyMatch(l -> l.startsWith(dev)));
        }
        assertTrue(after, after.lines().noneMatch(l -> l.matches(".*\tsystem\t.*")));
    }

    @Test
    public void the_demo_script_runs_clean() throws Exception {
        Path demo = Platform.home().resolve("demo/quickstart.gogo");
        Run r = run(Files.readString(demo));
        assertEquals(r.out + r.err, 0, r.status);
        int closed = r.out.indexOf("g! dmabuf:close 4");
        assertTrue(r.out, closed > 0);
        String before = r.out.substring(0, closed);
        String after = r.out.substring(closed);
        assertTrue(before, before.contains("\tdemo\n") && before.contains("\tscanout\n"));
        assertTrue("closed: " + after, !after.contains("\tdemo\n") && !after.contains("\tscanout\n"));
    }

    @Test
    public void the_hotplug_demo_shows_no_bad_frame_and_leaves_nothing() throws Exception {
        Run r = run(Files.readString(Platform.home().resolve("demo/hotplug.gogo")));
        assertEquals(r.out + r.err, 0, r.status);
        assertTrue(r.out, r.out.contains("rendered by nvidia 0000:01:00.0 (PRIME)"));
        assertTrue(r.out, r.out.contains("rendered by i915 0000:00:02.0 (own)"));
        assertTrue(r.out, r.out.contains("0000:01:00.0: unplugged"));
        assertTrue(r.out, r.out.contains("0000:01:00.0: plugged in, nvidia"));
        assertTrue("zero bad frames, all along:\n" + r.out, r.out.lines().filter(l -> l.contains("frames shown"))
                .allMatch(l -> l.contains(" 0 bad")));
        assertTrue("zero leaked buffers:\n" + r.out, r.out.trim().endsWith("Total 0 objects, 0 bytes"));
    }

    @Test
    public void the_deploy_demo_hot_plugs_the_example_driver_through_the_deploy_folder() throws Exception {
        try (var stale = Files.list(Platform.home().resolve("deploy"))) { // left by an aborted run
            for (Path p : stale.filter(p -> !p.toString().endsWith(".txt")).toList()) {
                Files.delete(p);
            }
        }
        Run r = run(Files.readString(Platform.home().resolve("demo/deploy.gogo")));
        assertEquals(r.out + r.err, 0, r.status);
        assertTrue(r.out, r.out.contains("lima ["));
        assertTrue(r.out, r.out.contains("installed from deploy/lima.jar and started"));
        assertTrue(r.out, r.out.contains("device 1c40000.gpu plugged in"));
        assertTrue(r.out, r.out.lines().anyMatch(l -> l.startsWith("1c40000.gpu") && l.contains("lima")));
        assertTrue(r.out, r.out.lines().anyMatch(l -> l.contains("frames shown") && l.contains(" 0 bad")));
        assertTrue(r.out, r.out.contains("lima: uninstalled (deploy/lima.jar deleted)"));
        String after = r.out.substring(r.out.lastIndexOf("dmabuf:bufinfo"));
        assertTrue("nothing of lima's is left:\n" + after, !after.contains("\tlima\t") && !after.contains("1c40000.gpu"));
    }

    @Test
    public void the_other_demos_run_clean() throws Exception {
        for (String demo : List.of("licence", "optimus", "tegra")) {
            Run r = run(Files.readString(Platform.home().resolve("demo/" + demo + ".gogo")));
            assertEquals(demo + ":\n" + r.out + r.err, 0, r.status);
            assertTrue(demo + ":\n" + r.out, r.out.lines().filter(l -> l.contains("frames shown"))
                    .allMatch(l -> l.contains(" 0 bad")));
        }
    }

    /**
     * The interactive console as a user at a terminal has it: Gogo's JLine
     * shell, in a pseudo-terminal of 120 x 40 ({@code script}, util-linux):
     * tab completes a command's name, the up arrow brings the last line back.
     */
    @Test
    public void the_interactive_console_completes_commands_and_keeps_history() throws Exception {
        Path bin = Platform.home().resolve("bin/dmabuf");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertTrue("this test needs script (util-linux) for a pseudo-terminal; expected it on the PATH",
                java.util.Arrays.stream(System.getenv("PATH").split(":"))
                        .anyMatch(d -> Files.isExecutable(Path.of(d, "script"))));
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec", "stty cols 120 rows 40; exec " + bin, "/dev/null")
                .directory(tmp.getRoot()).redirectErrorStream(true);
        pb.environment().put("DMABUF_OPTS", "-Ddmabuf.http.port=" + port);
        pb.environment().put("TERM", "xterm-256color");
        Process p = pb.start();
        java.util.concurrent.BlockingQueue<Character> out = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (var in = new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)) {
                for (int c; (c = in.read()) >= 0; ) {
                    out.add((char) c);
                }
            } catch (IOException gone) {
                // the process ended
            }
        });
        StringBuilder seen = new StringBuilder();
        try (var keys = p.getOutputStream()) {
            awaitOutput(out, seen, "g! ");
            // tab: "dmabuf:modu" completes to dmabuf:modules; enter runs it
            keys.write("dmabuf:modu\t".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            awaitOutput(out, seen, "dmabuf:modules");
            keys.write("\r".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            awaitOutput(out, seen, "org.dmabuf.webconsole");
            // the up arrow (as a terminal in application cursor mode sends it) and enter: the same table again
            keys.write("\u001bOA\r".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            awaitOutput(out, seen, "org.dmabuf.webconsole");
            // Ctrl-D, as at a shell: "gosh: stopping framework", and the platform exits
            keys.write(4);
            keys.flush();
            awaitOutput(out, seen, "gosh: stopping framework");
            assertTrue("the platform exits after the console ends", p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly); // the platform's JVM under script
            p.destroyForcibly();
            reader.join(java.time.Duration.ofSeconds(10));
        }
    }

    /** Reads the console's output until {@code text} has appeared once more, at most 60 s. */
    private static void awaitOutput(java.util.concurrent.BlockingQueue<Character> out, StringBuilder seen, String text)
            throws InterruptedException {
        int from = seen.length();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (seen.indexOf(text, from) < 0) {
            long left = deadline - System.nanoTime();
            Character c = left > 0 ? out.poll(left, TimeUnit.NANOSECONDS) : null;
            if (c == null) {
                throw new AssertionError("the console did not print '" + text + "' within 60 s; it printed:\n"
                        + seen.substring(from).replaceAll("\u001b\\[[0-9;?]*[A-Za-z]", ""));
            }
            seen.append(c.charValue());
        }
    }

    @Test
    public void a_missing_script_is_a_usage_error() throws Exception {
        Path bin = Platform.home().resolve("bin/dmabuf");
        Process p = new ProcessBuilder(bin.toString(), "no-such-script.gogo").directory(tmp.getRoot())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(out, 2, p.exitValue());
        assertTrue(out, out.contains("cannot read script no-such-script.gogo"));
    }
}
