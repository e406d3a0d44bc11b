// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.List;

import org.dmabuf.api.debugfs.BufferInfo;
import org.dmabuf.api.debugfs.ModuleInfo;
import org.dmabuf.it.bundles.blobapi.BlobApi;
import org.dmabuf.it.bundles.licence.BorrowerActivator;
import org.dmabuf.it.bundles.licence.FdThiefActivator;
import org.dmabuf.it.bundles.licence.GiverActivator;
import org.dmabuf.it.bundles.licence.HolderActivator;
import org.dmabuf.it.bundles.licence.NoopActivator;
import org.dmabuf.it.bundles.licence.ThiefActivator;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceReference;

/**
 * The licence gate with real bundles: who may link the DMA-BUF core, what the
 * kernel says when it refuses, taint, and the 2012 policy switch with live
 * buffers held by other bundles.
 */
public class LicenceGateIT extends PlatformTest {

    private Console console() {
        return new Console(context);
    }

    /** Starts the bundle, expecting the gate to refuse it. @return the exception and the log */
    private Console.Captured<Void> refusedStart(Bundle b) {
        Console.Captured<Void> c = Console.logged(() -> {
            try {
                b.start();
            } catch (BundleException e) {
                throw new RuntimeException(e);
            }
            return null;
        });
        assertTrue("start must fail; log:\n" + c.log(), c.failure() instanceof BundleException);
        assertEquals(b.getSymbolicName() + " stays Installed", Bundle.INSTALLED, b.getState());
        return c;
    }

    private String why(String bsn) throws Exception {
        return console().run("dmabuf:why " + bsn);
    }

    private String taintLabelOf(String bsn) throws Exception {
        String t = console().run("dmabuf:taint");
        return t.lines().filter(l -> l.startsWith("Modules linked in:")).findFirst().orElseThrow()
                .replace("Modules linked in:", " ") + " ";
    }

    @Test
    public void a_gpl_module_links_the_gpl_only_core_and_runs() throws Exception {
        Bundle b = TestBundles.bundle("test.gpl").activator(HolderActivator.class).install(context);
        try {
            b.start();
            assertEquals(Bundle.ACTIVE, b.getState());
            String why = why("test.gpl");
            assertTrue(why, why.contains("licence: 'GPL-2.0-only': GPL-compatible"));
            assertTrue(why, why.contains("granted: dma_buf_export dma_buf_fd dma_buf_get"));
            assertTrue(why, why.contains("denied:  -"));
            assertTrue(taintLabelOf("test.gpl").contains(" test.gpl "));
        } finally {
            b.uninstall();
        }
    }

    @Test
    public void a_proprietary_module_is_refused_in_the_kernels_words_and_taints() throws Exception {
        Bundle b = TestBundles.bundle("test.blob").licence("Proprietary").activator(HolderActivator.class)
                .install(context);
        try {
            List<BufferInfo> before = debug.buffers();
            Console.Captured<Void> c = refusedStart(b);
            String msg = c.failure().getMessage();
            assertTrue(msg, msg.contains("test.blob: Unknown symbol dma_buf_export (err -2)"));
            assertTrue(msg, msg.contains("test.blob: Unknown symbol dma_buf_attach (err -2)"));
            assertTrue(c.log(), c.log().contains("test.blob: module license 'Proprietary' taints kernel."));
            // at load, the kernel's words only, once: modpost's build-time wording is for dmabuf:why
            assertEquals(c.log(), 1, c.log().split("test.blob: Unknown symbol dma_buf_export \\(err -2\\)", -1).length - 1);
            assertFalse(c.log(), c.log().contains("GPL-incompatible module"));
            assertFalse(c.log(), c.log().contains("\tat "));
            assertEquals("nothing changed", before, debug.buffers());

            String why = why("test.blob");
            assertTrue(why, why.contains("licence: 'Proprietary': the kernel's string for a proprietary licence"));
            assertTrue(why, why.contains("test.blob: Unknown symbol dma_buf_get (err -2)"));
            assertTrue(why, why.contains("GPL-incompatible module test.blob uses GPL-only symbol 'dma_buf_get'"));
            assertTrue(why, why.contains("to load it: dmabuf:policy export-symbol"));
            assertTrue(console().run("dmabuf:taint").startsWith("Tainted: P"));
            assertTrue(taintLabelOf("test.blob").contains(" test.blob(P) "));
        } finally {
            b.uninstall();
        }
    }

    @Test
    public void a_dual_licensed_module_is_gpl_compatible() throws Exception {
        Bundle b = TestBundles.bundle("test.dual").licence("MIT OR GPL-2.0-only").activator(HolderActivator.class)
                .install(context);
        try {
            b.start();
            assertEquals(Bundle.ACTIVE, b.getState());
            assertTrue(taintLabelOf("test.dual").contains(" test.dual "));
        } finally {
            b.uninstall();
        }
    }

    @Test
    public void a_module_without_a_licence_is_proprietary_with_a_warning() throws Exception {
        Bundle b = TestBundles.bundle("test.nolicence").licence(null).activator(HolderActivator.class).install(context);
        try {
            Console.Captured<Void> c = refusedStart(b);
            assertTrue(c.log(), c.log().contains("test.nolicence: module license 'unspecified' taints kernel."));
            assertTrue(c.log(), c.log().contains("no Bundle-License header"));
            assertTrue(why("test.nolicence"), why("test.nolicence").contains("(no Bundle-License header)"));
        } finally {
            b.uninstall();
        }
    }

    @Test
    public void a_module_whose_licence_cannot_be_read_is_proprietary_with_a_warning_naming_it() throws Exception {
        Bundle b = TestBundles.bundle("test.malformed").licence("GPL-2.0-only OR").activator(HolderActivator.class)
                .install(context);
        try {
            Console.Captured<Void> c = refusedStart(b);
            assertTrue(c.log(), c.log().contains("Bundle-License 'GPL-2.0-only OR' cannot be read"));
            assertTrue(why("test.malformed"), why("test.malformed").contains("cannot be read"));
        } finally {
            b.uninstall();
        }
    }

    @Test
    public void an_out_of_tree_gpl_module_runs_and_taints_O() throws Exception {
        Bundle b = TestBundles.bundle("test.oot").intree(false).activator(HolderActivator.class).install(context);
        try {
            Console.Captured<Void> c = Console.logged(() -> {
                try {
                    b.start();
                } catch (BundleException e) {
                    throw new RuntimeException(e);
                }
                return null;
            });
            assertNull(c.failure());
            assertEquals(Bundle.ACTIVE, b.getState());
            assertTrue(c.log(), c.log().contains("test.oot: loading out-of-tree module taints kernel."));
            assertTrue(taintLabelOf("test.oot").contains(" test.oot(O) "));
            assertTrue(console().run("dmabuf:taint"), console().run("dmabuf:taint").contains(" O"));
        } finally {
            b.uninstall();
        }
    }

    @Test
    public void a_module_that_does_not_import_the_namespace_is_refused() throws Exception {
        Bundle b = TestBundles.bundle("test.nons").namespaces().activator(HolderActivator.class).install(context);
        try {
            String msg = refusedStart(b).failure().getMessage();
            assertTrue(msg, msg.contains(
                    "test.nons: module uses symbol (dma_buf_export) from namespace DMA_BUF, but does not import it."));
        } finally {
            b.uninstall();
        }
    }

    @Test
    public void a_gpl_shim_wired_to_a_proprietary_module_inherits_its_taint_or_is_refused() throws Exception {
        Bundle blob = TestBundles.bundle("test.blobapi").licence("Proprietary").symbols().namespaces()
                .activator(NoopActivator.class).classes(BlobApi.class)
                .header("Export-Package", "org.dmabuf.it.bundles.blobapi").install(context);
        Bundle shim = TestBundles.bundle("test.shim").activator(NoopActivator.class)
                .imports("org.dmabuf.it.bundles.blobapi").install(context);
        Bundle shim2 = TestBundles.bundle("test.shim2").symbols().namespaces().activator(NoopActivator.class)
                .imports("org.dmabuf.it.bundles.blobapi").install(context);
        try {
            blob.start();
            assertEquals("a proprietary module using no GPL-only symbol runs", Bundle.ACTIVE, blob.getState());

            String msg = refusedStart(shim).failure().getMessage();
            assertTrue(msg, msg.contains(
                    "test.shim: module using GPL-only symbols uses symbols from proprietary module test.blobapi."));

            Console.Captured<Void> c = Console.logged(() -> {
                try {
                    shim2.start();
                } catch (BundleException e) {
                    throw new RuntimeException(e);
                }
                return null;
            });
            assertNull(c.failure());
            assertTrue(c.log(), c.log().contains(
                    "test.shim2: module uses symbols from proprietary module test.blobapi, inheriting taint."));
            assertTrue(taintLabelOf("test.shim2").contains(" test.shim2(P) "));
            assertTrue(why("test.shim2"), why("test.shim2").contains("inherited taint P from proprietary module test.blobapi"));
        } finally {
            shim2.uninstall();
            shim.uninstall();
            blob.uninstall();
        }
    }

    @Test
    public void a_proprietary_module_cannot_see_the_core_nor_reach_it_through_another_view_or_reflection()
            throws Exception {
        Bundle giver = TestBundles.bundle("test.giver").activator(GiverActivator.class).install(context);
        Bundle thief = TestBundles.bundle("test.thief").licence("Proprietary").symbols().namespaces()
                .activator(ThiefActivator.class).install(context);
        try {
            giver.start();
            int buffers = debug.bufferCount();
            thief.start();
            ServiceReference<?> report = context.getServiceReferences(String.class, "(test.thief=test.thief)")
                    .iterator().next();
            assertEquals("the service hook hides DmaBufService", "null", report.getProperty("lookup"));
            // the view is test.giver's: whatever the licence, another bundle's use of it is refused first
            String expected = "heap: test.giver's DMA-BUF view used by test.thief; expected your own view and fds";
            assertTrue(String.valueOf(report.getProperty("direct")),
                    String.valueOf(report.getProperty("direct")).contains(expected));
            assertTrue(String.valueOf(report.getProperty("reflection")),
                    String.valueOf(report.getProperty("reflection")).contains(expected));
            assertTrue("a frame of no bundle is not trusted: " + report.getProperty("trampoline"),
                    String.valueOf(report.getProperty("trampoline")).contains(expected));
            assertEquals("nothing was allocated", buffers, debug.bufferCount());
        } finally {
            thief.uninstall();
            giver.uninstall();
        }
    }

    @Test
    public void another_bundles_fds_are_out_of_reach_by_every_route_whatever_the_licence() throws Exception {
        Bundle giver = TestBundles.bundle("test.giver3").activator(GiverActivator.class).install(context);
        Bundle thief = TestBundles.bundle("test.fdthief").imports("org.dmabuf.drm;version=\"[2.0,3)\"")
                .imports("org.dmabuf.api.display;version=\"[1.0,2)\"").activator(FdThiefActivator.class)
                .install(context);
        try {
            giver.start();
            ModuleInfo before = module("test.giver3");
            int buffers = debug.bufferCount();
            thief.start();
            ServiceReference<?> report = context.getServiceReferences(String.class, "(test.fdthief=test.fdthief)")
                    .iterator().next();
            for (String route : List.of("dup", "send", "get", "close", "reflection", "trampoline")) {
                String outcome = String.valueOf(report.getProperty(route));
                assertTrue(route + ": " + outcome, outcome.startsWith("DmaBufException: ") && outcome.contains(
                        ": fd 3 is not test.fdthief's: it is in test.giver3's fd table; expected your own view and fds")
                        && outcome.endsWith("(-EBADF: Bad file descriptor)"));
            }
            assertTrue(String.valueOf(report.getProperty("fds")), String.valueOf(report.getProperty("fds")).contains(
                    "fds: test.giver3's DMA-BUF view used by test.fdthief; expected your own view and fds"));
            assertTrue("a thread that runs no bundle's code is nobody's: " + report.getProperty("nobundle"),
                    String.valueOf(report.getProperty("nobundle")).contains(
                            "fds: test.giver3's DMA-BUF view used by code of no bundle"));
            for (String route : List.of("deputy", "deputy_reflection")) {
                String outcome = String.valueOf(report.getProperty(route));
                assertTrue(route + ": " + outcome, outcome.contains("checkLibraryCaller: test.giver3's DMA-BUF view"
                        + " used by test.fdthief; expected your own view and fds") && outcome.endsWith("(-EBADF: Bad"
                        + " file descriptor)"));
            }
            ModuleInfo after = module("test.giver3");
            assertEquals("the victim's fds and references are as they were", before, after);
            assertEquals("nothing was made", buffers, debug.bufferCount());
            assertEquals("and the thief holds nothing", 0, module("test.fdthief") == null ? 0
                    : module("test.fdthief").fds());
        } finally {
            thief.uninstall();
            giver.uninstall();
        }
    }

    @Test
    public void a_bundle_is_judged_however_it_reaches_the_api_and_no_fragment_borrows_a_module() throws Exception {
        String osgi = "org.osgi.framework;version=\"[1.10,2)\"";
        Bundle giver = TestBundles.bundle("test.giver2").activator(GiverActivator.class).install(context);
        Bundle dyn = TestBundles.bundle("test.dyn").licence("Proprietary").symbols().namespaces().importsOnly(osgi)
                .header("DynamicImport-Package", "*").activator(BorrowerActivator.class).install(context);
        Bundle req = TestBundles.bundle("test.req").licence("Proprietary").symbols().namespaces().importsOnly(osgi)
                .header("Require-Bundle", "org.dmabuf.framework").activator(BorrowerActivator.class)
                .install(context);
        Bundle kernelFragment = TestBundles.bundle("test.kfrag").symbols().namespaces().importsOnly()
                .header("Fragment-Host", "org.dmabuf.framework").install(context);
        Bundle blobFragment = TestBundles.bundle("test.gfrag").licence("Proprietary").symbols().namespaces()
                .importsOnly().header("Fragment-Host", "test.giver2").install(context);
        try {
            giver.start();
            int buffers = debug.bufferCount();
            for (Bundle b : List.of(dyn, req)) {
                String bsn = b.getSymbolicName();
                b.start();
                String outcome = String.valueOf(context.getServiceReferences(String.class, "(test.borrower=" + bsn
                        + ")").iterator().next().getProperty("outcome"));
                assertTrue(outcome, outcome.contains("heap: test.giver2's DMA-BUF view used by " + bsn
                        + "; expected your own view and fds"));
                assertTrue("judged and tainted: " + taintLabelOf(bsn), taintLabelOf(bsn).contains(" " + bsn + "(P) "));
                assertTrue(why(bsn), why(bsn).contains("'Proprietary'"));
            }
            assertEquals("nothing was allocated", buffers, debug.bufferCount());

            org.osgi.framework.wiring.FrameworkWiring fw = context.getBundle(0)
                    .adapt(org.osgi.framework.wiring.FrameworkWiring.class);
            assertTrue("no fragment resolves", !fw.resolveBundles(List.of(kernelFragment, blobFragment)));
            assertEquals(Bundle.INSTALLED, kernelFragment.getState());
            // a fragment attaches when its host resolves again: refresh the GPL host, and wait for it
            java.util.concurrent.CountDownLatch refreshed = new java.util.concurrent.CountDownLatch(1);
            fw.refreshBundles(List.of(giver), e -> refreshed.countDown());
            assertTrue("refreshed", refreshed.await(TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS));
            assertEquals("the host runs on", Bundle.ACTIVE, giver.getState());
            assertEquals("the proprietary fragment is not attached", Bundle.INSTALLED, blobFragment.getState());
            assertTrue(why("test.gfrag"), why("test.gfrag").contains("test.gfrag: cannot attach to test.giver2: a"
                    + " fragment without a GPL-compatible licence ('Proprietary') attaches to no DMA-BUF module"));
        } finally {
            for (Bundle b : List.of(blobFragment, kernelFragment, req, dyn, giver)) {
                b.uninstall();
            }
        }
    }

    @Test
    public void the_policy_switches_both_ways_and_leaves_other_bundles_buffers_alone() throws Exception {
        Bundle keeper = TestBundles.bundle("test.keeper").activator(HolderActivator.class).install(context);
        Bundle blob = TestBundles.bundle("test.blob2").licence("Proprietary").symbols(TestBundles.CORE)
                .activator(HolderActivator.class).install(context);
        try {
            keeper.start();
            refusedStart(blob);
            BufferInfo kept = buffer("test.keeper");
            assertEquals(List.of("0000:00:02.0"), kept.attachedDevices());

            String on = console().run("dmabuf:policy export-symbol");
            assertTrue(on, on.contains("export policy: gpl-only -> export-symbol"));
            assertTrue(on, on.lines().anyMatch(l -> l.startsWith("  started:") && l.contains("test.blob2")
                    && l.contains("nvidia")));
            assertEquals("the refused module runs, without a restart", Bundle.ACTIVE, blob.getState());
            assertEquals(Bundle.ACTIVE, bundle("nvidia").getState());
            assertEquals("a buffer of the proprietary module", List.of("0000:00:02.0"),
                    buffer("test.blob2").attachedDevices());
            assertEquals("untouched", kept, buffer("test.keeper"));
            assertTrue(console().run("dmabuf:policy"), console().run("dmabuf:policy").contains("export-symbol"));

            String off = console().run("dmabuf:policy gpl-only");
            assertTrue(off, off.contains("export policy: export-symbol -> gpl-only"));
            assertTrue(off, off.lines().anyMatch(l -> l.startsWith("  refreshed:") && l.contains("test.blob2")
                    && l.contains("nvidia")));
            assertEquals(Bundle.INSTALLED, blob.getState());
            assertEquals(Bundle.INSTALLED, bundle("nvidia").getState());
            assertTrue("its buffer was cleaned up as a stop does",
                    debug.buffers().stream().noneMatch(x -> "test.blob2".equals(x.name())));
            assertEquals("untouched", kept, buffer("test.keeper"));
            assertEquals(Bundle.ACTIVE, keeper.getState());
        } finally {
            console().run("dmabuf:policy gpl-only");
            blob.uninstall();
            keeper.uninstall();
        }
    }

    private BufferInfo buffer(String name) {
        return debug.buffers().stream().filter(b -> name.equals(b.name())).findFirst()
                .orElseThrow(() -> new AssertionError("no buffer named " + name + ":\n" + debug.bufinfo()));
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        fail("no bundle " + bsn);
        return null;
    }
}
