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

import org.dmabuf.it.support.Platform;
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

    Run run(String script) throws IOException, InterruptedException {
        Path file = tmp.newFile("script.gogo").toPath();
        Files.writeString(file, script);
        Path bin = Platform.home().resolve("bin/dmabuf");
        ProcessBuilder pb = new ProcessBuilder(bin.toString(), file.getFileName().toString())
                .directory(tmp.getRoot());
        pb.environment().remove("JAVA_HOME"); // it must find a JDK 25 by itself
        pb.redirectOutput(tmp.newFile("out").toPath().toFile());
        pb.redirectError(tmp.newFile("err").toPath().toFile());
        Process p = pb.start();
        assertTrue("bin/dmabuf did not finish within 60 s", p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), Files.readString(tmp.getRoot().toPath().resolve("out"), StandardCharsets.UTF_8),
                Files.readString(tmp.getRoot().toPath().resolve("err"), StandardCharsets.UTF_8));
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
        assertTrue(r.out, r.out.contains("g! dmabuf:alloc system 4096 demo\nfd 3: ino 1, 4096 bytes from system named demo"));
        assertTrue(r.out, r.out.contains("Total 1 objects, 4096 bytes"));
        for (String bsn : List.of("i915", "tegra-drm", "DMA-BUF framework")) {
            assertTrue(bsn + " active in lb:\n" + r.out, r.out.lines().anyMatch(l -> l.contains("|Active") && l.contains(bsn)));
        }
        assertTrue("nvidia refused under the default policy:\n" + r.out,
                r.out.lines().anyMatch(l -> l.contains("|Installed") && l.contains("nvidia")));
        assertTrue(r.err, r.err.contains("nvidia: Unknown symbol dma_buf_export (err -2)"));
        assertTrue("the console's fd is closed at stop:\n" + r.err, r.err.contains("console: closing fd 3 (ino 1) at stop"));
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
        assertTrue(r.err, r.err.contains("2 command(s) of script.gogo failed"));
        assertTrue("the later command still ran:\n" + r.out, r.out.contains("Total 0 objects, 0 bytes"));
    }

    @Test
    public void the_demo_script_runs_clean() throws Exception {
        Path demo = Platform.home().resolve("demo/quickstart.gogo");
        Run r = run(Files.readString(demo));
        assertEquals(r.out + r.err, 0, r.status);
        assertTrue(r.out, r.out.contains("Total 2 objects, 1052672 bytes"));
        assertTrue(r.out, r.out.trim().endsWith("Total 0 objects, 0 bytes"));
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
