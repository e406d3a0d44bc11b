// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Mapping;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.LoadedModule;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The handoff's steps one by one, on one thread and on two, each thread with
 * its own exporter, importer and buffer (nothing of the platform's shared
 * between them but the core and the device): which step keeps the cycle from
 * scaling with threads ({@code CurveBench.curve_handoff_own_t*}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HandoffStepsBench {
    /** The core, shared. */
    @State(Scope.Benchmark)
    public static class Core {
        final DmaBufCore core = Cores.core();
    }

    /** A thread's own modules, its buffer held by the importer and attached once. */
    @State(Scope.Thread)
    public static class Own {
        LoadedModule importer;
        LoadedModule exporter;
        int fd;
        DmaBuf held;
        Attachment attached;

        @Setup(Level.Trial)
        public void setup(Core c) {
            importer = c.core.openModule("i915", 19);
            exporter = c.core.openModule("nvidia", 21);
            fd = exporter.heap("system").allocate(4096);
            held = importer.get(importer.receive(exporter.send(fd)));
            attached = held.attach(Cores.IGPU);
        }

        @TearDown(Level.Trial)
        public void teardown() {
            importer.close();
            exporter.close();
        }
    }

    static void send(Own o) {
        o.importer.close(o.importer.receive(o.exporter.send(o.fd)));
    }

    static void attach(Own o) {
        o.held.detach(o.held.attach(Cores.IGPU));
    }

    static void map(Own o, Blackhole bh) {
        Mapping m = o.attached.mapAttachment(DmaDirection.FROM_DEVICE);
        bh.consume(m.segment());
        o.attached.unmapAttachment(m);
    }

    /** send, receive, close. */
    @Benchmark
    @Threads(1)
    public void steps_send_t1(Own o) {
        send(o);
    }

    @Benchmark
    @Threads(2)
    public void steps_send_t2(Own o) {
        send(o);
    }

    /** get, put. */
    @Benchmark
    @Threads(1)
    public void steps_get_t1(Own o) {
        o.held.get().put();
    }

    @Benchmark
    @Threads(2)
    public void steps_get_t2(Own o) {
        o.held.get().put();
    }

    /** attach, detach (beside the one attachment the buffer keeps). */
    @Benchmark
    @Threads(1)
    public void steps_attach_t1(Own o) {
        attach(o);
    }

    @Benchmark
    @Threads(2)
    public void steps_attach_t2(Own o) {
        attach(o);
    }

    /** map, unmap. */
    @Benchmark
    @Threads(1)
    public void steps_map_t1(Own o, Blackhole bh) {
        map(o, bh);
    }

    @Benchmark
    @Threads(2)
    public void steps_map_t2(Own o, Blackhole bh) {
        map(o, bh);
    }
}
