// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Heap;
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

/** Allocation from a heap, export, and the last close (release): beside a confined arena allocate and close. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ExportBench {
    @Param({"4096", "33177600"})
    public long size;

    private DmaBufCore core;
    private LoadedModule module;
    private Heap heap;

    @Setup(Level.Trial)
    public void setup() {
        core = Cores.core();
        module = core.openModule("i915", 19);
        heap = module.heap("system");
    }

    @TearDown(Level.Trial)
    public void teardown() {
        module.close();
    }

    @Benchmark
    public int export() {
        int fd = heap.allocate(size);
        module.close(fd);
        return fd;
    }

    @Benchmark
    public long export_arena() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(size, 4096);
            return s.address();
        }
    }
}
