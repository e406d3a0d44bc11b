// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.util.concurrent.TimeUnit;

import org.dmabuf.api.DmaBuf;
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

/**
 * An importer bundle stops while it holds 10,000 attachments (each with a
 * mapping, on buffers another bundle exported): the time until the framework
 * has unmapped, detached and dropped all of it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class HotplugCoreBench {
    static final int ATTACHMENTS = 10_000;

    private DmaBufCore core;
    private LoadedModule exporter;
    private LoadedModule importer;
    private int[] fds;

    @Setup(Level.Trial)
    public void exporter() {
        core = Cores.core();
        exporter = core.openModule("nvidia", 20);
        fds = new int[ATTACHMENTS];
        for (int i = 0; i < ATTACHMENTS; i++) {
            fds[i] = exporter.heap("system").allocate(4096);
        }
    }

    @Setup(Level.Invocation)
    public void importer() {
        importer = core.openModule("i915", 19);
        for (int fd : fds) {
            DmaBuf b = importer.get(importer.receive(exporter.send(fd)));
            b.attach(Cores.IGPU).mapAttachment(org.dmabuf.api.DmaDirection.FROM_DEVICE);
        }
    }

    @TearDown(Level.Trial)
    public void teardown() {
        exporter.close();
        if (core.bufferCount() != 0) {
            throw new IllegalStateException(core.bufferCount() + " buffers leaked");
        }
    }

    @Benchmark
    public LoadedModule.Holdings hotplug_stop_10k_attachments() {
        return importer.close();
    }
}
