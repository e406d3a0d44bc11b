// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.display.FrameFormat;
import org.dmabuf.api.display.TestPattern;
import org.dmabuf.drm.RenderEngine;
import org.dmabuf.drm.ScanoutEngine;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.FenceView;
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

/**
 * The Optimus pipeline at 4K once set up: nvidia's render engine draws the
 * test pattern into its local memory, i915's display waits for the buffer's
 * WRITE fence, scans it out (CRC) and checks it; triple-buffered, render and
 * scanout overlapping on two threads. Beside the same render and scanout
 * code as a raw loop with the same two threads and three buffers, with
 * plain futures and no framework at all.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SteadyBench {
    static final FrameFormat FORMAT = FrameFormat.UHD_4K;

    private DmaBufCore core;
    private LoadedModule nvidia;
    private LoadedModule i915;
    private RenderEngine render;
    private ScanoutEngine display;

    private Arena arena;
    private final MemorySegment[] raw = new MemorySegment[3];
    private final long[] rawFrame = new long[3];
    @SuppressWarnings("unchecked")
    private final CompletableFuture<Void>[] rawJobs = new CompletableFuture[3];
    private ExecutorService rawEngine;
    private long rawNext;
    private int rawCursor;
    private long bad;

    @Setup(Level.Trial)
    public void setup() {
        core = Cores.core();
        nvidia = core.openModule("nvidia", 20);
        i915 = core.openModule("i915", 19);
        render = new RenderEngine("nvidia", Cores.DGPU, nvidia, new FenceView(nvidia), "vram@" + Cores.DGPU.name());
        display = new ScanoutEngine("i915", Cores.IGPU, i915, FORMAT, null);
        display.offer(render, java.util.Map.of());
        display.run(3, TimeUnit.SECONDS.toNanos(30)); // set up: import, attach, map once

        arena = Arena.ofShared();
        rawEngine = Executors.newSingleThreadExecutor();
        for (int i = 0; i < 3; i++) {
            raw[i] = arena.allocate(FORMAT.bytes(), 4096);
            rawQueue(i);
        }
    }

    private void rawQueue(int i) {
        long n = rawNext++;
        rawFrame[i] = n;
        MemorySegment fb = raw[i];
        rawJobs[i] = CompletableFuture.runAsync(() -> TestPattern.render(fb, FORMAT, n), rawEngine);
    }

    @TearDown(Level.Trial)
    public void teardown() {
        if (display.stats().bad() != 0 || bad != 0) {
            throw new IllegalStateException("bad frames: " + display.stats() + ", raw " + bad);
        }
        display.close();
        render.close();
        i915.close();
        nvidia.close();
        rawEngine.shutdownNow();
        arena.close();
    }

    @Benchmark
    public ScanoutEngine.Outcome steady() {
        return display.scanoutOne();
    }

    @Benchmark
    public boolean steady_raw() {
        int i = rawCursor;
        rawCursor = (rawCursor + 1) % 3;
        rawJobs[i].join();
        boolean whole = TestPattern.frameNumber(raw[i]) == rawFrame[i]
                && TestPattern.crc(raw[i], FORMAT) == TestPattern.expectedCrc(FORMAT, rawFrame[i]);
        if (!whole) {
            bad++;
        }
        rawQueue(i);
        return whole;
    }
}
