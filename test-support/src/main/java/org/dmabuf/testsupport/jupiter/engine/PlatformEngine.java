// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport.jupiter.engine;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectUniqueId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;

import org.dmabuf.testsupport.jupiter.DmaBufPlatform;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.EngineDiscoveryRequest;
import org.junit.platform.engine.EngineExecutionListener;
import org.junit.platform.engine.ExecutionRequest;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestEngine;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.discovery.ClassNameFilter;
import org.junit.platform.engine.discovery.PackageNameFilter;
import org.junit.platform.engine.discovery.UniqueIdSelector;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.EngineDescriptor;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The {@code dmabuf-platform} test engine: runs classes annotated
 * {@link DmaBufPlatform} inside a booted platform, through JUnit Jupiter.
 *
 * <p>Discovery asks Jupiter for the test tree of the class path's copy of each
 * class (the same tree as the probe's copy: same names, same methods), and
 * mirrors it under this engine. Execution boots a {@link Container} per class
 * (or per test), asks Jupiter for the same tests in the probe's copy, with the
 * thread's context class loader set to the probe's, and forwards Jupiter's
 * events to the mirrored tree; tests Jupiter registers as it runs (dynamic
 * tests, parameterized invocations) are mirrored as they come.
 */
public final class PlatformEngine implements TestEngine {
    /** This engine's id, as {@code includeEngines} and reports name it. */
    public static final String ID = "dmabuf-platform";

    private static final String JUPITER = "junit-jupiter";

    /** Found by the JUnit Platform through {@code META-INF/services}. */
    public PlatformEngine() {
    }

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public Optional<String> getGroupId() {
        return Optional.of("org.dmabuf");
    }

    @Override
    public Optional<String> getArtifactId() {
        return Optional.of("test-support");
    }

    // --- discovery -------------------------------------------------------------------------------

    @Override
    public TestDescriptor discover(EngineDiscoveryRequest request, UniqueId uniqueId) {
        EngineDescriptor root = new EngineDescriptor(uniqueId, "DMA-BUF platform (JUnit 5 in Felix)");
        List<DiscoverySelector> selectors = new ArrayList<>();
        for (DiscoverySelector s : request.getSelectorsByType(DiscoverySelector.class)) {
            if (s instanceof UniqueIdSelector u) {
                UniqueId id = u.getUniqueId();
                if (id.hasPrefix(uniqueId)) {
                    selectors.add(selectUniqueId(toJupiter(id)));
                }
            } else {
                selectors.add(s);
            }
        }
        if (selectors.isEmpty() || jupiter().isEmpty()) {
            // no Jupiter, no @DmaBufPlatform class: test-support is on a Pax Exam (JUnit 4) class path
            return root;
        }
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request().selectors(selectors)
                .filters(EngineFilter.includeEngines(JUPITER)).configurationParameters(parameters(request));
        request.getFiltersByType(ClassNameFilter.class).forEach(b::filters);
        request.getFiltersByType(PackageNameFilter.class).forEach(b::filters);
        TestPlan plan = launcher().discover(b.build());
        for (TestIdentifier engine : plan.getRoots()) {
            for (TestIdentifier c : plan.getChildren(engine)) {
                Class<?> cls = c.getSource().filter(ClassSource.class::isInstance).map(ClassSource.class::cast)
                        .map(ClassSource::getJavaClass).orElse(null);
                if (cls == null || !AnnotationSupport.isAnnotated(cls, DmaBufPlatform.class)) {
                    continue;
                }
                DmaBufPlatform cfg = AnnotationSupport.findAnnotation(cls, DmaBufPlatform.class).orElseThrow();
                ClassDescriptor cd = new ClassDescriptor(fromJupiter(root.getUniqueId(), c), c,
                        plan.getChildren(c).size(), cls, cfg);
                root.addChild(cd);
                mirror(plan, c, cd, root.getUniqueId());
            }
        }
        return root;
    }

    private static void mirror(TestPlan plan, TestIdentifier from, TestDescriptor to, UniqueId engine) {
        for (TestIdentifier child : plan.getChildren(from)) {
            Mirror m = new Mirror(fromJupiter(engine, child), child, plan.getChildren(child).size());
            to.addChild(m);
            mirror(plan, child, m, engine);
        }
    }

    private static Map<String, String> parameters(EngineDiscoveryRequest request) {
        return parameters(request.getConfigurationParameters());
    }

    /**
     * @return the run's configuration parameters, for the inner launcher: the same display names, lifecycle
     *         and conditions as the run's; never parallel execution (one class runs in one platform, and its
     *         events are forwarded from one thread)
     */
    private static Map<String, String> parameters(org.junit.platform.engine.ConfigurationParameters p) {
        Map<String, String> out = new HashMap<>();
        for (String k : p.keySet()) {
            p.get(k).ifPresent(v -> out.put(k, v));
        }
        out.put("junit.jupiter.execution.parallel.enabled", "false");
        return out;
    }

    /**
     * @return a launcher with JUnit Jupiter's engine alone, found on the class
     *         path now (a launcher looks its engines up lazily, with the
     *         thread's context class loader, which is the probe's when it runs)
     */
    private static Launcher launcher() {
        TestEngine jupiter = jupiter().orElseThrow(() -> new IllegalStateException("JUnit Jupiter's test engine "
                + "is not on the class path; expected org.junit.jupiter:junit-jupiter-engine (or junit-jupiter) as a "
                + "test dependency"));
        // the outer launcher registered the run's listeners, filters and session listeners already
        return LauncherFactory.create(LauncherConfig.builder().enableTestEngineAutoRegistration(false)
                .enableLauncherSessionListenerAutoRegistration(false)
                .enableLauncherDiscoveryListenerAutoRegistration(false)
                .enableTestExecutionListenerAutoRegistration(false)
                .enablePostDiscoveryFilterAutoRegistration(false)
                .addTestEngines(jupiter).build());
    }

    private static Optional<TestEngine> jupiter() {
        return ServiceLoader.load(TestEngine.class, PlatformEngine.class.getClassLoader()).stream()
                .filter(p -> p.type().getName().equals("org.junit.jupiter.engine.JupiterTestEngine"))
                .map(ServiceLoader.Provider::get).findFirst();
    }

    // [engine:dmabuf-platform]/[class:x]/... <-> [engine:junit-jupiter]/[class:x]/...
    private static UniqueId toJupiter(UniqueId ours) {
        List<UniqueId.Segment> segs = ours.getSegments();
        UniqueId id = UniqueId.forEngine(JUPITER);
        for (UniqueId.Segment s : segs.subList(1, segs.size())) {
            id = id.append(s);
        }
        return id;
    }

    private static UniqueId fromJupiter(UniqueId engine, TestIdentifier t) {
        return fromJupiter(engine, t.getUniqueIdObject());
    }

    private static UniqueId fromJupiter(UniqueId engine, UniqueId jupiter) {
        List<UniqueId.Segment> segs = jupiter.getSegments();
        UniqueId id = engine;
        for (UniqueId.Segment s : segs.subList(1, segs.size())) {
            id = id.append(s);
        }
        return id;
    }

    /** A test or container of Jupiter's tree, mirrored under this engine. */
    static class Mirror extends AbstractTestDescriptor {
        private final Type type;
        private final Set<TestTag> tags;
        private final String legacyName;
        /** How many children it was discovered with: a container with none runs dynamic tests, if any. */
        final int staticChildren;

        Mirror(UniqueId id, TestIdentifier t, int staticChildren) {
            super(id, t.getDisplayName(), t.getSource().orElse(null));
            this.type = t.getType();
            this.tags = new HashSet<>(t.getTags());
            this.legacyName = t.getLegacyReportingName();
            this.staticChildren = staticChildren;
        }

        @Override
        public Type getType() {
            return type;
        }

        @Override
        public Set<TestTag> getTags() {
            return tags;
        }

        @Override
        public String getLegacyReportingName() {
            return legacyName;
        }

        @Override
        public boolean mayRegisterTests() {
            return type != Type.TEST && staticChildren == 0; // so that a container the filters emptied is pruned
        }
    }

    /** A test class: the unit a platform is booted for. */
    static final class ClassDescriptor extends Mirror {
        final Class<?> testClass;
        final DmaBufPlatform cfg;

        ClassDescriptor(UniqueId id, TestIdentifier t, int staticChildren, Class<?> testClass, DmaBufPlatform cfg) {
            super(id, t, staticChildren);
            this.testClass = testClass;
            this.cfg = cfg;
        }

        @Override
        public Type getType() {
            return Type.CONTAINER;
        }
    }

    // --- execution -------------------------------------------------------------------------------

    @Override
    public void execute(ExecutionRequest request) {
        EngineExecutionListener listener = request.getEngineExecutionListener();
        TestDescriptor root = request.getRootTestDescriptor();
        listener.executionStarted(root);
        Map<String, String> parameters = parameters(request.getConfigurationParameters());
        for (TestDescriptor child : new ArrayList<>(root.getChildren())) {
            if (child instanceof ClassDescriptor cd) {
                runClass(cd, listener, root.getUniqueId(), parameters);
            }
        }
        listener.executionFinished(root, TestExecutionResult.successful());
    }

    private void runClass(ClassDescriptor cd, EngineExecutionListener listener, UniqueId engine,
            Map<String, String> parameters) {
        // what is left of the tree after the run's filters (tags, method names): its leaves are what runs, a
        // parameterized test or a test factory being one leaf with its invocations
        List<TestDescriptor> leaves = new ArrayList<>();
        leaves(cd, leaves);
        if (leaves.isEmpty()) {
            return;
        }
        ClassRun run = new ClassRun(cd, listener, engine, parameters);
        if (cd.cfg.lifetime() == DmaBufPlatform.Lifetime.PER_TEST) {
            for (TestDescriptor t : leaves) {
                if (run.skipped) {
                    break; // Jupiter skips the class (@Disabled): once is enough
                }
                run.inOwnPlatform(List.of(t));
            }
        } else {
            run.inOwnPlatform(leaves);
        }
        run.finish(leaves);
    }

    private static void leaves(TestDescriptor d, List<TestDescriptor> out) {
        for (TestDescriptor c : d.getChildren()) {
            if (!c.getChildren().isEmpty()) {
                leaves(c, out);
            } else if (!(c instanceof Mirror m) || m.staticChildren == 0) {
                out.add(c); // a test, or a container of dynamic tests; not a container the filters emptied
            }
        }
    }

    /** One class's run: its platform(s), and Jupiter's events mapped onto the mirrored tree. */
    private static final class ClassRun implements TestExecutionListener {
        private final ClassDescriptor cd;
        private final EngineExecutionListener listener;
        private final UniqueId engine;
        private final Map<UniqueId, TestDescriptor> byId = new LinkedHashMap<>();
        private final Set<TestDescriptor> reported = new HashSet<>();
        private final Map<String, String> parameters;
        /** Containers of static tests ({@code @Nested} classes), in the order they started: finished at the end. */
        private final Map<TestDescriptor, TestExecutionResult> containers = new LinkedHashMap<>();
        private boolean started;
        private boolean skipped;
        private boolean aborted;
        private Throwable failure;

        ClassRun(ClassDescriptor cd, EngineExecutionListener listener, UniqueId engine,
                Map<String, String> parameters) {
            this.cd = cd;
            this.listener = listener;
            this.engine = engine;
            this.parameters = parameters;
            index(cd);
        }

        private void index(TestDescriptor d) {
            byId.put(d.getUniqueId(), d);
            d.getChildren().forEach(this::index);
        }

        void inOwnPlatform(List<TestDescriptor> tests) {
            Thread thread = Thread.currentThread();
            ClassLoader old = thread.getContextClassLoader();
            Container c;
            try {
                c = Container.boot(cd.cfg, cd.testClass);
            } catch (Throwable e) {
                start();
                fail(e);
                return;
            } finally {
                thread.setContextClassLoader(old); // a bundle's activator may have left its own
            }
            try {
                Launcher l = launcher();
                thread.setContextClassLoader(c.loader()); // Jupiter loads the selected classes with it
                LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                        .selectors(tests.stream().map(t -> selectUniqueId(toJupiter(t.getUniqueId()))).toList())
                        .filters(EngineFilter.includeEngines(JUPITER)).configurationParameters(parameters).build();
                TestPlan plan = l.discover(request);
                l.execute(plan, this);
            } catch (Throwable e) {
                start();
                fail(e);
            } finally {
                thread.setContextClassLoader(old);
                try {
                    c.close();
                } catch (Throwable e) {
                    if (!skipped) {
                        start();
                    }
                    fail(e);
                }
            }
        }

        private void start() {
            if (!started) {
                started = true;
                listener.executionStarted(cd);
            }
        }

        private void fail(Throwable e) {
            if (failure == null) {
                failure = e;
            } else if (failure != e) {
                failure.addSuppressed(e);
            }
        }

        void finish(List<TestDescriptor> leaves) {
            if (skipped && !started) {
                return;
            }
            start();
            List<TestDescriptor> open = new ArrayList<>(containers.keySet());
            java.util.Collections.reverse(open); // inner before outer
            for (TestDescriptor d : open) {
                listener.executionFinished(d, containers.get(d));
            }
            if (failure == null) {
                for (TestDescriptor t : leaves) {
                    if (!reportedWithAncestors(t)) {
                        fail(new AssertionError(t.getDisplayName() + " was not found inside the platform: the "
                                + "probe's copy of " + cd.testClass.getName() + " has no test " + t.getUniqueId()));
                    }
                }
            }
            listener.executionFinished(cd, failure == null ? TestExecutionResult.successful()
                    : aborted ? TestExecutionResult.aborted(failure) : TestExecutionResult.failed(failure));
        }

        /** @return whether Jupiter reported the test or a container of it (a skipped {@code @Nested} class) */
        private boolean reportedWithAncestors(TestDescriptor t) {
            for (TestDescriptor d = t; d != null && d != cd; d = d.getParent().orElse(null)) {
                if (reported.contains(d)) {
                    return true;
                }
            }
            return false;
        }

        private TestDescriptor ours(TestIdentifier t) {
            return byId.get(fromJupiter(engine, t));
        }

        /**
         * @return the mirrored descriptor of a test Jupiter reports, or {@code null} after recording, as the
         *         class's failure, that Jupiter ran something this engine did not discover (it would go unseen)
         */
        private TestDescriptor known(TestIdentifier t) {
            TestDescriptor d = ours(t);
            if (d == null) {
                aborted = false;
                fail(new AssertionError(t.getDisplayName() + " (" + t.getUniqueId() + ") ran inside the platform "
                        + "but was not discovered from " + cd.testClass.getName() + "; expected the same tests in "
                        + "the class path's copy and the probe's"));
            }
            return d;
        }

        private boolean isClass(TestIdentifier t) {
            return fromJupiter(engine, t).equals(cd.getUniqueId());
        }

        private boolean isEngine(TestIdentifier t) {
            return t.getUniqueIdObject().getSegments().size() == 1;
        }

        @Override
        public void dynamicTestRegistered(TestIdentifier t) {
            TestDescriptor parent = t.getParentIdObject().map(p -> byId.get(fromJupiter(engine, p))).orElse(null);
            if (parent == null || ours(t) != null) {
                return;
            }
            Mirror m = new Mirror(fromJupiter(engine, t), t, 0);
            parent.addChild(m);
            byId.put(m.getUniqueId(), m);
            listener.dynamicTestRegistered(m);
        }

        @Override
        public void executionSkipped(TestIdentifier t, String reason) {
            if (isEngine(t)) {
                return;
            }
            if (isClass(t)) {
                if (!started && !skipped) {
                    skipped = true;
                    listener.executionSkipped(cd, reason);
                }
                return;
            }
            TestDescriptor d = known(t);
            if (d != null && reported.add(d)) { // once, though each PER_TEST platform skips it again
                listener.executionSkipped(d, reason);
            }
        }

        @Override
        public void executionStarted(TestIdentifier t) {
            if (isEngine(t)) {
                return;
            }
            if (isClass(t)) {
                start();
                return;
            }
            TestDescriptor d = known(t);
            if (d != null) {
                start();
                if (intermediate(d)) {
                    if (containers.putIfAbsent(d, TestExecutionResult.successful()) != null) {
                        return; // started already, in an earlier platform (PER_TEST)
                    }
                }
                listener.executionStarted(d);
            }
        }

        /** @return whether it is a container of static tests: started once, finished once, at the end */
        private boolean intermediate(TestDescriptor d) {
            return d instanceof Mirror m && d != cd && m.staticChildren > 0;
        }

        @Override
        public void executionFinished(TestIdentifier t, TestExecutionResult result) {
            if (isEngine(t)) {
                result.getThrowable().ifPresent(this::fail);
                return;
            }
            if (isClass(t)) {
                if (result.getStatus() == TestExecutionResult.Status.ABORTED && failure == null) {
                    aborted = true; // an assumption in @BeforeAll: the class is aborted, not failed
                }
                if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    result.getThrowable().ifPresent(this::fail);
                }
                return;
            }
            TestDescriptor d = known(t);
            if (d != null) {
                reported.add(d);
                if (intermediate(d)) {
                    if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL
                            && containers.get(d).getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                        containers.put(d, result); // the first that did not succeed
                    }
                    return;
                }
                listener.executionFinished(d, result);
            }
        }

        @Override
        public void fileEntryPublished(TestIdentifier t, org.junit.platform.engine.reporting.FileEntry file) {
            TestDescriptor d = isClass(t) ? cd : ours(t);
            if (d != null) {
                listener.fileEntryPublished(d, file);
            }
        }

        @Override
        public void reportingEntryPublished(TestIdentifier t, ReportEntry entry) {
            TestDescriptor d = isClass(t) ? cd : ours(t);
            if (d != null) {
                listener.reportingEntryPublished(d, entry);
            }
        }
    }
}
