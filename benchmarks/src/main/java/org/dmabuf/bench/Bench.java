// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark, each beside its baselines in the same run, and
 * writes JMH's JSON and the Markdown summary.
 *
 * <pre>
 * java org.dmabuf.bench.Bench full  &lt;target dir&gt; docs/performance.md   the measured run
 * java org.dmabuf.bench.Bench quick &lt;target dir&gt; ignored               each briefly: they still work
 *
 * -Dbench.include=&lt;regex&gt;   only these benchmarks (a full run then writes target/performance-partial.md)
 * -Dbench.prof=gc,stack      JMH profilers (likewise)
 * </pre>
 */
public final class Bench {
    private static final String DEFAULT_INCLUDE = "org\\.dmabuf\\.bench\\..*";
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        boolean full = args.length > 0 && args[0].equals("full");
        Path target = Path.of(args.length > 1 ? args[1] : "target");
        Path docs = Path.of(args.length > 2 ? args[2] : "docs/performance.md");
        Files.createDirectories(target);
        Files.deleteIfExists(target.resolve("scale.properties")); // this run's ScaleBench figures, none older
        Path json = target.resolve(full ? "jmh-result.json" : "jmh-quick.json");
        String include = System.getProperty("bench.include", DEFAULT_INCLUDE);
        String profilers = System.getProperty("bench.prof", "");
        java.util.List<String> jvm = new java.util.ArrayList<>(java.util.List.of("-Xmx4g",
                "--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED",
                "-Ddmabuf.home=" + System.getProperty("dmabuf.home"),
                "-Ddmabuf.bench.out=" + target.toAbsolutePath()));
        String jvmArgs = System.getProperty("bench.jvmArgs", "");
        if (!jvmArgs.isBlank()) {
            jvm.addAll(java.util.List.of(jvmArgs.strip().split("\\s+"))); // e.g. another collector, to compare
        }
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(include)
                .resultFormat(ResultFormatType.JSON).result(json.toString())
                .jvmArgsAppend(jvm.toArray(String[]::new));
        if (full) {
            o.forks(1).warmupIterations(3).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(1));
            String buffers = System.getProperty("bench.buffers", "");
            if (!buffers.isBlank()) {
                o.param("buffers", buffers.split(",")); // ScaleBench at these counts only
            }
        } else {
            // seconds in all: proves each benchmark still runs; judges nothing
            o.forks(1).warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                    .measurementIterations(1).measurementTime(TimeValue.milliseconds(200))
                    .param("buffers", "10000");
        }
        for (String prof : profilers.split(",")) {
            if (!prof.isBlank()) {
                o.addProfiler(prof.strip()); // JMH's names: gc, stack, jfr, perfasm, ...
            }
        }
        Collection<RunResult> results = new ArrayList<>();
        Path steadyJson = target.resolve("jmh-result-steady.json");
        Files.deleteIfExists(json); // JMH makes its result file before it looks for benchmarks: none stale stays
        if (full) {
            Files.deleteIfExists(steadyJson);
            // the steady frame's two loops differ from fork to fork by more than the 1% they are judged by
            // (docs/performance.md): several forks each, their spread in the error. Either half may be empty
            // under a -Dbench.include; both empty is an error
            org.openjdk.jmh.runner.options.Options base = o.build();
            results.addAll(runPart(new OptionsBuilder().parent(base).exclude(STEADY).build(), json));
            results.addAll(runPart(new OptionsBuilder().parent(base).exclude("^(?!.*" + STEADY + ")")
                    .forks(STEADY_FORKS).result(steadyJson.toString()).build(), steadyJson));
            if (results.isEmpty()) {
                throw new IllegalArgumentException("no benchmark matches -Dbench.include=" + include
                        + "; expected a regex found in a benchmark's name, e.g. HandoffBench or .*steady.*");
            }
        } else {
            results.addAll(new Runner(o.build()).run()); // no benchmark at all is an error, as JMH says
        }
        String md = Summary.markdown(results, readScale(target), full);
        // only the whole measured run replaces the docs' page; a part of it (-Dbench.include) stays in target
        boolean whole = DEFAULT_INCLUDE.equals(include) && profilers.isBlank() && jvmArgs.isBlank()
                && System.getProperty("bench.buffers", "").isBlank();
        Path out = full && whole ? docs : target.resolve(full ? "performance-partial.md" : "performance-quick.md");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, md);
        System.out.println("wrote " + (Files.exists(json) ? json + ", " : "")
                + (Files.exists(steadyJson) ? steadyJson + ", " : "") + out);
    }

    /** The steady frame's benchmarks, run with {@link #STEADY_FORKS} forks in a full run. */
    static final String STEADY = "SteadyBench";
    static final int STEADY_FORKS = 3;

    // a part of a full run; none (a -Dbench.include that leaves this part out) is no error here
    private static Collection<RunResult> runPart(org.openjdk.jmh.runner.options.Options opts, Path result)
            throws Exception {
        try {
            return new Runner(opts).run();
        } catch (org.openjdk.jmh.runner.NoBenchmarksException none) {
            Files.deleteIfExists(result); // made empty by JMH before it found nothing
            return List.of();
        }
    }

    private static Properties readScale(Path target) throws IOException {
        Properties p = new Properties();
        Path f = target.resolve("scale.properties");
        if (Files.exists(f)) {
            try (var in = Files.newInputStream(f)) {
                p.load(in);
            }
        }
        return p;
    }

    /** The machine the run was made on. */
    static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException e) {
            // not Linux
        }
        return String.format(Locale.ROOT, "%s, %d cores, %d GiB; %s %s; %s %s", cpu,
                Runtime.getRuntime().availableProcessors(),
                ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                        .getOperatingSystemMXBean()).getTotalMemorySize() >> 30,
                System.getProperty("java.vm.name"), Runtime.version(), System.getProperty("os.name"),
                System.getProperty("os.version"));
    }

    static String now() {
        return ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));
    }

    static List<String> lines(String s) {
        return new ArrayList<>(List.of(s.split("\n")));
    }
}
