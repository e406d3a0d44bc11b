// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.FenceContext;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * A fence: make one, add a callback, signal; and a round trip between two
 * threads (signal here, wake there, signal back, wake here): beside
 * {@link CompletableFuture} used the same way.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FenceBench {
    private DmaBufCore core;
    private LoadedModule module;
    private FenceContext ring;
    private final DmaFence.Callback callback = f -> { };
    private final Runnable action = () -> { };

    /** One round of the ping-pong: the next round is made before this one is signalled. */
    static final class Round {
        final DmaFence ping;
        final DmaFence pong;
        volatile Round next;

        Round(FenceContext ring) {
            ping = ring.next();
            pong = ring.next();
        }
    }

    static final class CfRound {
        final CompletableFuture<Void> ping = new CompletableFuture<>();
        final CompletableFuture<Void> pong = new CompletableFuture<>();
        volatile CfRound next;
    }

    private Round round;
    private CfRound cfRound;
    private Thread fencePeer;
    private Thread cfPeer;

    @Setup(Level.Trial)
    public void setup() {
        core = Cores.core();
        module = core.openModule("i915", 19);
        ring = new FenceView(module).contextAlloc("i915", "bench");
        round = new Round(ring);
        cfRound = new CfRound();
        Round first = round;
        fencePeer = Thread.ofPlatform().daemon().start(() -> {
            Round r = first;
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    r.ping.await(true);
                } catch (RuntimeException interrupted) {
                    return;
                }
                Round n = r.next;
                r.pong.signal();
                r = n;
            }
        });
        CfRound cfFirst = cfRound;
        cfPeer = Thread.ofPlatform().daemon().start(() -> {
            CfRound r = cfFirst;
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    r.ping.get();
                } catch (Exception interrupted) {
                    return;
                }
                CfRound n = r.next;
                r.pong.complete(null);
                r = n;
            }
        });
    }

    @TearDown(Level.Trial)
    public void teardown() {
        fencePeer.interrupt();
        cfPeer.interrupt();
        module.close();
    }

    @Benchmark
    public boolean fence() {
        DmaFence f = ring.next();
        f.addCallback(callback);
        return f.signal();
    }

    @Benchmark
    public boolean fence_completablefuture() {
        CompletableFuture<Void> cf = new CompletableFuture<>();
        cf.thenRun(action);
        return cf.complete(null);
    }

    @Benchmark
    public int fence_wakeup() {
        Round r = round;
        r.next = new Round(ring);
        r.ping.signal();
        int s = r.pong.await(false);
        round = r.next;
        return s;
    }

    @Benchmark
    public void fence_wakeup_completablefuture(Blackhole bh) {
        CfRound r = cfRound;
        r.next = new CfRound();
        r.ping.complete(null);
        bh.consume(r.pong.join());
        cfRound = r.next;
    }
}
