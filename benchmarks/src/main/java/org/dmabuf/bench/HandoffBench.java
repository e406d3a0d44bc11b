// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Mapping;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.DmaBufServiceView;
import org.dmabuf.framework.internal.core.FdCallers;
import org.dmabuf.framework.internal.core.WovenCalls;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * A buffer already exported by one bundle reaches another: send the fd,
 * receive it, get a reference, attach, map, unmap, detach, put, close; beside
 * copying the frame instead, and Netty's pooled {@code retainedSlice().release()}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HandoffBench {
    @Param({"4096", "33177600"})
    public long size;

    private DmaBufCore core;
    private LoadedModule exporterModule;
    private LoadedModule importerModule;
    private DmaBufService exporter; // what the drivers hold: the published view of their module
    private DmaBufService importer;
    private int fd;
    private Arena arena;
    private MemorySegment src;
    private MemorySegment dst;
    private ByteBuf pooled;

    @Setup(Level.Trial)
    public void setup() {
        core = Cores.core();
        exporterModule = core.openModule("nvidia", 20);
        importerModule = core.openModule("i915", 19);
        exporter = new DmaBufServiceView(exporterModule);
        importer = new DmaBufServiceView(importerModule);
        fd = exporter.heap("vram@" + Cores.DGPU.name()).allocate(size);
        arena = Arena.ofShared();
        src = arena.allocate(size, 4096);
        dst = arena.allocate(size, 4096);
        pooled = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
        pooled.writerIndex(4096);
    }

    @TearDown(Level.Trial)
    public void teardown() {
        exporterModule.close();
        importerModule.close();
        pooled.release();
        arena.close();
    }

    @Benchmark
    public void handoff(Blackhole bh) {
        cycle(exporter, fd, importer, bh);
    }

    /** The cycle: send, receive, get, attach, map, unmap, detach, put, close (CurveBench's too). */
    static void cycle(DmaBufService exporter, int fd, DmaBufService importer, Blackhole bh) {
        int ifd = importer.receive(exporter.send(fd));
        use(importer.get(ifd), bh);
        importer.close(ifd);
    }

    /** The middle of the cycle, the same with the owner rule on or off: attach, map, unmap, detach, put. */
    static void use(DmaBuf buf, Blackhole bh) {
        Attachment a = buf.attach(Cores.IGPU);
        Mapping m = a.mapAttachment(DmaDirection.FROM_DEVICE);
        bh.consume(m.segment());
        a.unmapAttachment(m);
        buf.detach(a);
        buf.put();
    }

    /**
     * The handoff as a woven module makes it, with the owner check on: each fd call passes the calling class's
     * {@code MethodHandles.lookup()} and the view compares that class's bundle with its owner
     * (docs/security.md). {@link AsNvidia} and {@link AsI915} stand for the two drivers' woven classes.
     */
    @Benchmark
    public void handoff_woven(Judged judged, Blackhole bh) {
        int ifd = AsI915.receive(importer, AsNvidia.send(exporter, fd));
        use(AsI915.get(importer, ifd), bh);
        AsI915.close(importer, ifd);
    }

    /** What the weaving hook makes of the exporter's calls: the lookup of its own class. */
    static final class AsNvidia {
        static FdTransfer send(DmaBufService v, int fd) {
            return WovenCalls.send(v, fd, MethodHandles.lookup());
        }
    }

    /** What the weaving hook makes of the importer's calls. */
    static final class AsI915 {
        static int receive(DmaBufService v, FdTransfer t) {
            return WovenCalls.receive(v, t, MethodHandles.lookup());
        }

        static DmaBuf get(DmaBufService v, int fd) {
            return WovenCalls.get(v, fd, MethodHandles.lookup());
        }

        static void close(DmaBufService v, int fd) {
            WovenCalls.close(v, fd, MethodHandles.lookup());
        }
    }

    /** The owner check on, as the gate installs it in OSGi: each stand-in class is its driver's bundle. */
    @State(Scope.Benchmark)
    public static class Judged {
        @Setup(Level.Trial)
        public void on() {
            FdCallers.rule(new FdCallers.Rule() {
                @Override
                public long bundleOf(Class<?> c) {
                    return c == AsNvidia.class ? 20 : c == AsI915.class ? 19 : FdCallers.NONE;
                }

                @Override
                public long stackCaller() {
                    return FdCallers.NONE; // nothing here is unwoven
                }

                @Override
                public long libraryCaller() {
                    return FdCallers.NONE;
                }

                @Override
                public boolean helper(LoadedModule owner, long caller) {
                    return false;
                }

                @Override
                public String name(long bundleId) {
                    return "bundle " + bundleId;
                }
            });
        }

        @TearDown(Level.Trial)
        public void off() {
            FdCallers.rule(null);
        }
    }

    @Benchmark
    public void handoff_copy() {
        MemorySegment.copy(src, 0, dst, 0, size);
    }

    @Benchmark
    public void handoff_netty() {
        ByteBuf slice = pooled.retainedSlice();
        slice.release();
    }
}
