// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.LoadedModule;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

/**
 * How costs grow with the work (issue 17 point 6): an attach and detach on a
 * buffer that already has N attachments; an importer's stop with N
 * attachments; the handoff cycle on 1, 2 and 4 threads, sharing one buffer
 * or each its own. bufinfo over N buffers is {@link ScaleBench}'s, with N as
 * its parameter.
 */
public class CurveBench {
    /** One buffer with {@code attachments} attachments of the integrated GPU already on it. */
    @State(Scope.Thread)
    public static class Crowded {
        @Param({"1", "10", "100", "1000", "10000"})
        public int attachments;
        DmaBufCore core;
        LoadedModule module;
        DmaBuf buf;

        @Setup(Level.Trial)
        public void setup() {
            core = Cores.core();
            module = core.openModule("i915", 19);
            buf = module.get(module.heap("system").allocate(4096));
            for (int i = 0; i < attachments; i++) {
                buf.attach(Cores.IGPU);
            }
        }

        @TearDown(Level.Trial)
        public void teardown() {
            module.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void curve_attach_detach(Crowded c) {
        Attachment a = c.buf.attach(Cores.IGPU);
        c.buf.detach(a);
    }

    /** An importer holding {@code attachments} mapped attachments, made again before each stop. */
    @State(Scope.Thread)
    public static class Importer {
        @Param({"100", "1000", "10000", "100000"})
        public int attachments;
        DmaBufCore core;
        LoadedModule exporter;
        LoadedModule importer;
        int[] fds;

        @Setup(Level.Trial)
        public void exporter() {
            core = Cores.core();
            exporter = core.openModule("nvidia", 20);
            fds = new int[Math.min(attachments, 1000)]; // up to 1,000 buffers, the attachments spread over them
            for (int i = 0; i < fds.length; i++) {
                fds[i] = exporter.heap("system").allocate(4096);
            }
        }

        @Setup(Level.Invocation)
        public void importer() {
            importer = core.openModule("i915", 19);
            DmaBuf[] bufs = new DmaBuf[fds.length];
            for (int i = 0; i < fds.length; i++) {
                bufs[i] = importer.get(importer.receive(exporter.send(fds[i])));
            }
            for (int i = 0; i < attachments; i++) {
                bufs[i % bufs.length].attach(Cores.IGPU).mapAttachment(DmaDirection.FROM_DEVICE);
            }
        }

        @TearDown(Level.Trial)
        public void teardown() {
            exporter.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public LoadedModule.Holdings curve_stop(Importer s) {
        return s.importer.close();
    }

    /** The exporter's buffer, shared by every thread of a run. */
    @State(Scope.Benchmark)
    public static class Shared {
        DmaBufCore core;
        LoadedModule exporter;
        int fd;

        @Setup(Level.Trial)
        public void setup() {
            core = Cores.core();
            exporter = core.openModule("nvidia", 20);
            fd = exporter.heap("system").allocate(4096);
        }

        @TearDown(Level.Trial)
        public void teardown() {
            exporter.close();
        }
    }

    /** Each thread's importer, and its own exporter's buffer. */
    @State(Scope.Thread)
    public static class Own {
        LoadedModule importer;
        LoadedModule exporter;
        int fd;

        @Setup(Level.Trial)
        public void setup(Shared shared) {
            importer = shared.core.openModule("i915", 19);
            exporter = shared.core.openModule("nvidia", 21);
            fd = exporter.heap("system").allocate(4096);
        }

        @TearDown(Level.Trial)
        public void teardown() {
            importer.close();
            exporter.close();
        }
    }

    static void cycle(LoadedModule exporter, int fd, LoadedModule importer, Blackhole bh) {
        HandoffBench.cycle(exporter, fd, importer, bh);
    }

    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void curve_handoff_shared_t1(Shared s, Own o, Blackhole bh) {
        cycle(s.exporter, s.fd, o.importer, bh);
    }

    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void curve_handoff_shared_t2(Shared s, Own o, Blackhole bh) {
        cycle(s.exporter, s.fd, o.importer, bh);
    }

    @Benchmark
    @Threads(4)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void curve_handoff_shared_t4(Shared s, Own o, Blackhole bh) {
        cycle(s.exporter, s.fd, o.importer, bh);
    }

    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void curve_handoff_own_t1(Own o, Blackhole bh) {
        cycle(o.exporter, o.fd, o.importer, bh);
    }

    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void curve_handoff_own_t2(Own o, Blackhole bh) {
        cycle(o.exporter, o.fd, o.importer, bh);
    }

    @Benchmark
    @Threads(4)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void curve_handoff_own_t4(Own o, Blackhole bh) {
        cycle(o.exporter, o.fd, o.importer, bh);
    }
}
