// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport;

import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import javax.inject.Inject;

import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.api.debugfs.ModuleInfo;
import org.dmabuf.api.Symbol;
import org.junit.Before;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.ProbeBuilder;
import org.ops4j.pax.exam.TestProbeBuilder;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

/**
 * The base of the platform's Pax Exam tests: boots the distribution's bundles
 * in the real Felix, and fails every test while any of them is not active.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public abstract class PlatformTest {
    /** For subclasses: a test class per scenario, each booting its own container. */
    protected PlatformTest() {
    }

    /** How long a test waits for the thing it waits on. */
    protected static final long TIMEOUT_MS = Services.TIMEOUT_MS;

    /**
     * The probe's context: the test's own bundle, a GPL-2.0-only in-tree
     * module linking every symbol (not {@code @Inject}ed, which would give this
     * base class's bundle, the test support's).
     */
    protected final BundleContext context = probeContext(getClass());

    /** The platform's debugfs: bufinfo, buffers, heaps, and what each bundle holds (read-only). */
    @Inject
    protected DmaBufDebug debug;

    /**
     * The container: the distribution as it ships ({@link Platform#options}). Override it, with
     * {@code @Configuration} on the override too, to add a driver ({@link Platform#driver}) or leave a bundle
     * out ({@link Platform#without}). The container lives for the whole test class: what one test leaves
     * behind (a buffer, a device, a stopped bundle) the next one sees, so each test cleans up after itself.
     *
     * @return the Pax Exam options
     */
    @Configuration
    public Option[] config() {
        return Platform.options();
    }

    /**
     * The probe is a GPL-2.0-only, in-tree module that links every symbol, so
     * tests can use the DMA-BUF API directly.
     */
    @ProbeBuilder
    public TestProbeBuilder probe(TestProbeBuilder probe) {
        probe.setHeader("Bundle-License", probeLicence());
        if (probeIntree()) {
            probe.setHeader("DmaBuf-Intree", "Y");
        }
        probe.setHeader("Require-Capability", TestBundles.requireCapability(probeSymbols(),
                List.of(Symbol.DMA_BUF, Symbol.DMA_BUF_HEAP)));
        return probe;
    }

    /**
     * @return the probe's {@code Bundle-License}: {@code GPL-2.0-only} here; a test of a driver that is not
     *         GPL-compatible uses the driver's, as {@link ExportSymbolDriverTest} does
     */
    protected String probeLicence() {
        return "GPL-2.0-only";
    }

    /** @return whether the probe is an in-tree module (no taint O): yes here */
    protected boolean probeIntree() {
        return true;
    }

    /** @return the symbols the probe links (its {@code Require-Capability}): every symbol here */
    protected List<String> probeSymbols() {
        return java.util.Arrays.stream(Symbol.values()).map(Symbol::symbolName).toList();
    }

    private static BundleContext probeContext(Class<?> test) {
        Bundle b = FrameworkUtil.getBundle(test);
        return b == null ? null : b.getBundleContext(); // null outside the container, where only config() runs
    }

    /**
     * @return symbolic names of distribution bundles that are not active by
     *         design: the proprietary nvidia driver, refused under the default
     *         gpl-only policy
     */
    protected Set<String> notActiveByDesign() {
        return Set.of("nvidia");
    }

    /** Before each test: every bundle of the distribution is active, but those {@link #notActiveByDesign}. */
    @Before
    public void everyDistributionBundleIsActive() {
        List<String> wrong = new ArrayList<>();
        for (String url : Platform.locations()) {
            Bundle b = context.getBundle(url);
            if (b == null) {
                wrong.add(url + " is not installed");
            } else if (b.getState() != Bundle.ACTIVE && !notActiveByDesign().contains(b.getSymbolicName())) {
                wrong.add(b.getSymbolicName() + " is " + state(b.getState()));
            }
        }
        if (!wrong.isEmpty()) {
            fail("distribution bundles not active: " + wrong);
        }
    }

    /** Waits for a service matching {@code filter}, at most {@link #TIMEOUT_MS}: {@link Services#await}. */
    protected <T> T await(Class<T> type, String filter) throws Exception {
        return Services.await(context, type, filter);
    }

    /**
     * @param symbolicName a bundle's symbolic name
     * @return what the bundle of that name holds through its view, or null when it holds no view
     */
    protected ModuleInfo module(String symbolicName) {
        return debug.modules().stream().filter(m -> m.name().equals(symbolicName)).findFirst().orElse(null);
    }

    /**
     * Asserts what a bundle holds through its DMA-BUF view, as {@link #module} reads it.
     *
     * @param m the bundle's holdings, not {@code null}
     * @param fds the open fds that hold dma-bufs it must have
     * @param references the references taken with {@code get} and not put
     * @param attachments the attachments not detached
     */
    protected static void assertHolds(ModuleInfo m, int fds, int references, int attachments) {
        Modules.assertHolds(m, fds, references, attachments);
    }

    /**
     * @param state a {@link Bundle} state
     * @return its name, for messages: {@code ACTIVE}, {@code INSTALLED}, ...
     */
    protected static String state(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> String.valueOf(state);
        };
    }
}
