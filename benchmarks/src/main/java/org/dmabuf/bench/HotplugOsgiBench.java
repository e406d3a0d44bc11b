// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.AllServiceListener;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceEvent;
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
 * A driver hot-plugged and gone again: install, start, its DS component
 * binds the device and registers its display engine, stop, uninstall; beside
 * Felix's bare install, start, stop, uninstall of a bundle with nothing in it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HotplugOsgiBench {
    private EmbeddedPlatform platform;
    private byte[] driver;
    private byte[] trivial;
    private byte[] ds;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        platform = new EmbeddedPlatform();
        platform.bundle("tegra_drm").uninstall(); // the benchmark installs its own copy each time
        driver = platform.jar("driver-tegra.jar");
        trivial = EmbeddedPlatform.trivialBundle("bench.trivial");
        ds = EmbeddedPlatform.dsBundle("bench.ds");
        platform.context.registerService(Runnable.class, () -> { },
                new java.util.Hashtable<>(java.util.Map.of(EmbeddedPlatform.REFERENCED_PROPERTY, "true")));
    }

    @TearDown(Level.Trial)
    public void teardown() throws Exception {
        platform.close();
    }

    @Benchmark
    public int hotplug_driver_cycle() throws Exception {
        CountDownLatch bound = new CountDownLatch(1);
        // All: the benchmark's own class path has org.dmabuf.api too, a different class from the bundle's
        AllServiceListener l = e -> {
            if (e.getType() == ServiceEvent.REGISTERED) {
                bound.countDown();
            }
        };
        platform.context.addServiceListener(l, "(objectClass=org.dmabuf.api.display.DisplayEngine)");
        try {
            Bundle b = platform.context.installBundle("bench:tegra", EmbeddedPlatform.in(driver));
            b.start();
            if (!bound.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("tegra_drm did not bind its display controller");
            }
            b.stop();
            b.uninstall();
            return b.getState();
        } finally {
            platform.context.removeServiceListener(l);
        }
    }

    /**
     * The fair baseline of {@link #hotplug_driver_cycle}: the same cycle of a trivial Declarative Services bundle
     * with one reference and one registered service, what Felix and SCR cost any driver.
     */
    @Benchmark
    public int hotplug_ds_cycle() throws Exception {
        CountDownLatch up = new CountDownLatch(1);
        AllServiceListener l = e -> {
            if (e.getType() == ServiceEvent.REGISTERED) {
                up.countDown();
            }
        };
        platform.context.addServiceListener(l, "(" + EmbeddedPlatform.DS_PROPERTY + "=bench.ds)");
        try {
            Bundle b = platform.context.installBundle("bench:ds", EmbeddedPlatform.in(ds));
            b.start();
            if (!up.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the trivial DS component did not register its service");
            }
            b.stop();
            b.uninstall();
            return b.getState();
        } finally {
            platform.context.removeServiceListener(l);
        }
    }

    @Benchmark
    public int hotplug_felix() throws Exception {
        Bundle b = platform.context.installBundle("bench:trivial", EmbeddedPlatform.in(trivial));
        b.start();
        b.stop();
        b.uninstall();
        return b.getState();
    }
}
