// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Heap;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.DmaBufServiceView;
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

/**
 * A million live 4 KB buffers held by four bundles: the heap each costs
 * beyond its payload (measured: live heap after a full GC, before and after;
 * once as allocated, once more after each was attached, mapped, unmapped and
 * detached once, which gives it its reservation lock),
 * the time {@code bufinfo} takes over all of them (the score), and whether
 * every byte, on and off the heap, comes back when they are released. The
 * measurements besides the score go to {@code scale.properties} beside the
 * JMH results.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ScaleBench {
    @Param({"1000", "10000", "100000", "1000000"})
    public int buffers;

    private DmaBufCore core;
    private final List<LoadedModule> holders = new ArrayList<>();
    private long heapPerBuffer;
    private long heapPerBufferUsed;
    private long offHeapLive;

    static long liveHeap() {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    @Setup(Level.Trial)
    public void setup() {
        core = Cores.core();
        for (int h = 0; h < 4; h++) {
            holders.add(core.openModule("holder" + h, 30 + h));
        }
        int[] fds = new int[buffers]; // before the first measurement: it is not the buffers'
        long before = liveHeap();
        for (int i = 0; i < buffers; i++) {
            LoadedModule m = holders.get(i % holders.size());
            Heap heap = m.heap("system");
            fds[i] = heap.allocate(4096);
        }
        heapPerBuffer = (liveHeap() - before) / buffers;
        // then each used once, as a pipeline uses its buffers: its reservation lock now exists, and stays
        List<DmaBufService> views = holders.stream().map(m -> (DmaBufService) new DmaBufServiceView(m)).toList();
        for (int i = 0; i < buffers; i++) {
            DmaBuf b = views.get(i % views.size()).get(fds[i]);
            Attachment a = b.attach(Cores.IGPU);
            a.unmapAttachment(a.mapAttachment(DmaDirection.BIDIRECTIONAL));
            b.detach(a);
            b.put();
        }
        heapPerBufferUsed = (liveHeap() - before) / buffers;
        offHeapLive = core.offHeapBytes();
    }

    @TearDown(Level.Trial)
    public void teardown() throws Exception {
        for (LoadedModule m : holders) {
            m.close();
        }
        long offHeapAfter = core.offHeapBytes();
        String out = String.join("\n",
                "buffers=" + buffers,
                "heap.bytes.per.buffer=" + heapPerBuffer,
                "heap.bytes.per.buffer.used=" + heapPerBufferUsed,
                "offheap.bytes.live=" + offHeapLive,
                "offheap.bytes.after.release=" + offHeapAfter,
                "buffers.after.release=" + core.bufferCount()) + "\n";
        Path dir = Path.of(System.getProperty("dmabuf.bench.out", "target"));
        Files.createDirectories(dir);
        // the summary's row is the largest run's: a smaller one of the curve never overwrites it
        Path file = dir.resolve("scale.properties");
        java.util.Properties was = new java.util.Properties();
        if (Files.exists(file)) {
            try (var in = Files.newInputStream(file)) {
                was.load(in);
            }
        }
        if (buffers >= Integer.parseInt(was.getProperty("buffers", "0")) || buffers == 1_000_000) {
            Files.writeString(file, out);
        }
    }

    @Benchmark
    public int scale_bufinfo() {
        return core.bufinfo().length();
    }

    /** bufinfo written as it goes (the console's, the Web Console's and the inventory's way), into a sink that counts. */
    @Benchmark
    public long scale_bufinfo_streamed() throws java.io.IOException {
        Counting sink = new Counting();
        core.bufinfo(sink);
        return sink.chars;
    }

    /** An output that keeps nothing: what streaming costs beyond its output. */
    static final class Counting implements Appendable {
        long chars;

        @Override
        public Appendable append(CharSequence csq) {
            chars += csq.length();
            return this;
        }

        @Override
        public Appendable append(CharSequence csq, int start, int end) {
            chars += end - start;
            return this;
        }

        @Override
        public Appendable append(char c) {
            chars++;
            return this;
        }
    }
}
