// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceFactory;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.wiring.FrameworkWiring;
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
 * The licence gate's costs: resolving a driver with the gate's hooks active,
 * beside the same without them (the framework bundle stopped: its
 * capabilities stay, its hooks go); and getting and ungetting a bundle's own
 * DMA-BUF view (a service factory opening and closing its module), beside a
 * plain singleton service's get and unget, and a trivial service factory's.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LicenceBench {

    /** The platform with its gate. */
    @State(Scope.Benchmark)
    public static class Gated {
        EmbeddedPlatform platform;
        byte[] driver;
        BundleContext client;
        ServiceReference<?> view;
        ServiceReference<?> plain;
        ServiceReference<?> factory;

        @Setup(Level.Trial)
        public void setup() throws Exception {
            platform = new EmbeddedPlatform();
            driver = platform.jar("driver-tegra.jar");
            platform.bundle("tegra_drm").uninstall();
            Bundle c = platform.context.installBundle("bench:client",
                    EmbeddedPlatform.in(EmbeddedPlatform.clientBundle("bench.client")));
            c.start();
            client = c.getBundleContext();
            view = client.getServiceReference("org.dmabuf.api.DmaBufService");
            plain = platform.context.registerService(Runnable.class, () -> { }, null).getReference();
            factory = platform.context.registerService(Runnable.class.getName(), new ServiceFactory<Runnable>() {
                @Override
                public Runnable getService(Bundle b, ServiceRegistration<Runnable> r) {
                    return () -> { };
                }

                @Override
                public void ungetService(Bundle b, ServiceRegistration<Runnable> r, Runnable service) {
                }
            }, null).getReference();
            if (view == null) {
                throw new IllegalStateException("the client sees no DmaBufService");
            }
        }

        @TearDown(Level.Trial)
        public void teardown() throws Exception {
            platform.close();
        }
    }

    /** The same platform with the gate's hooks gone. */
    @State(Scope.Benchmark)
    public static class Ungated extends Gated {
        @Override
        @Setup(Level.Trial)
        public void setup() throws Exception {
            super.setup();
            platform.bundle("org.dmabuf.framework").stop();
        }
    }

    static int resolve(Gated s) throws Exception {
        Bundle b = s.platform.context.installBundle("bench:driver", EmbeddedPlatform.in(s.driver));
        boolean ok = s.platform.framework.adapt(FrameworkWiring.class).resolveBundles(List.of(b));
        b.uninstall();
        if (!ok) {
            throw new IllegalStateException("the driver did not resolve");
        }
        return b.getState();
    }

    @Benchmark
    public int licence_resolve(Gated s) throws Exception {
        return resolve(s);
    }

    @Benchmark
    public int licence_resolve_felix(Ungated s) throws Exception {
        return resolve(s);
    }

    @Benchmark
    public boolean licence_view(Gated s) {
        Object v = s.client.getService(s.view);
        return s.client.ungetService(s.view) && v != null;
    }

    @Benchmark
    public boolean licence_view_felix(Gated s) {
        Object v = s.client.getService(s.plain);
        return s.client.ungetService(s.plain) && v != null;
    }

    /** The floor of any per-bundle view: Felix's own get and unget of a service factory that does nothing. */
    @Benchmark
    public boolean licence_view_factory_felix(Gated s) {
        Object v = s.client.getService(s.factory);
        return s.client.ungetService(s.factory) && v != null;
    }
}
