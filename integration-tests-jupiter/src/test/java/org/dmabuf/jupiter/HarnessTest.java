// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.jupiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedSuccessfully;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.skippedWithReason;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.dmabuf.jupiter.fixtures.BlobCase;
import org.dmabuf.jupiter.fixtures.LeakyCase;
import org.dmabuf.jupiter.fixtures.LifetimeCase;
import org.dmabuf.jupiter.fixtures.ShapesCase;
import org.dmabuf.testsupport.TestBundles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The JUnit 5 harness's promises, checked from outside: each fixture class
 * runs under the dmabuf-platform engine (EngineTestKit), in a platform booted
 * for it, and the events say what its author would see.
 */
class HarnessTest {
    @BeforeAll
    static void a_proprietary_driver() throws Exception {
        Path jar = Path.of("target/drivers/blob.jar");
        Files.createDirectories(jar.getParent());
        try (InputStream in = TestBundles.bundle("blob").licence("Proprietary").intree(false)
                .symbols(TestBundles.CORE).build()) {
            Files.copy(in, jar, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static Events run(Class<?> c) {
        return EngineTestKit.engine("dmabuf-platform").selectors(selectClass(c)).execute().allEvents();
    }

    /** @return each failure's descriptor and message, so that an unexpected one reads in the report */
    private static java.util.List<String> failures(Events e) {
        return e.failed().stream().map(ev -> ev.getTestDescriptor().getDisplayName() + ": "
                + ev.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                        .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).map(String::valueOf)
                        .orElse("?")).toList();
    }

    @Test
    void a_test_that_leaks_fails_itself_naming_what_it_left_and_the_next_test_passes() {
        Events e = run(LeakyCase.class);
        e.assertThatEvents()
                .haveExactly(1, event(test("a_leaks_an_fd"), finishedWithFailure(message(m -> m.contains(
                        "left the probe dmabuf-tests holding 1 fds, 0 references and 0 attachments, it held 0 fds")))))
                .haveExactly(1, event(test("b_takes_and_gives_back"), finishedSuccessfully()));
    }

    @Test
    void per_test_boots_a_platform_for_each_test_and_per_class_one_for_all() {
        Events fresh = run(LifetimeCase.PerTest.class);
        assertThat(failures(fresh)).isEmpty();
        fresh.assertStatistics(s -> s.started(4).succeeded(4).failed(0));
        Events shared = run(LifetimeCase.PerClass.class);
        shared.assertThatEvents()
                .haveExactly(1, event(test("a_plugs"), finishedSuccessfully()))
                .haveExactly(1, event(test("b_plugs"), finishedWithFailure(message(m -> m.contains(
                        "a device left by another test")))));
    }

    @Test
    void a_driver_that_needs_export_symbol_is_tested_by_a_probe_of_its_licence_under_that_policy() {
        Events e = run(BlobCase.UnderExportSymbol.class);
        assertThat(failures(e)).isEmpty();
        e.assertStatistics(s -> s.started(3).succeeded(3).failed(0));
    }

    @Test
    void a_driver_the_gate_refuses_fails_the_class_with_the_kernels_words_and_no_test_runs() {
        Events e = run(BlobCase.UnderGplOnly.class);
        e.assertThatEvents().haveExactly(1, event(container(BlobCase.UnderGplOnly.class), finishedWithFailure(
                message(m -> m.contains("blob (") && m.contains("is not active") && m.contains("Unknown symbol")))));
        assertThat(e.started().stream().filter(ev -> ev.getTestDescriptor().isTest()).count()).isZero();
    }

    @Test
    void nested_and_parameterized_tests_run_each_in_a_platform_once_with_their_containers_started_and_finished_once() {
        Events e = run(ShapesCase.Nesting.class);
        assertThat(failures(e)).isEmpty();
        // outer, untagged, inner, and the two invocations of parameterized
        assertThat(e.started().stream().filter(ev -> ev.getTestDescriptor().isTest()).count()).isEqualTo(5);
        assertThat(e.dynamicallyRegistered().count()).isEqualTo(2);
        assertThat(e.skipped().count()).isZero();
        assertThat(e.started().stream().filter(ev -> ev.getTestDescriptor().getDisplayName().equals("Inner")).count())
                .as("the @Nested container starts once, though three of its tests had a platform each").isEqualTo(1);
        assertThat(e.finished().stream().filter(ev -> ev.getTestDescriptor().isContainer()).count())
                .isEqualTo(e.started().stream().filter(ev -> ev.getTestDescriptor().isContainer()).count());
    }

    @Test
    void a_tag_filter_runs_only_the_tagged_tests_inside_the_platform() {
        Events e = EngineTestKit.engine("dmabuf-platform").selectors(selectClass(ShapesCase.Nesting.class))
                .filters(org.junit.platform.launcher.TagFilter.includeTags("fast")).execute().allEvents();
        assertThat(failures(e)).isEmpty();
        assertThat(e.started().stream().filter(ev -> ev.getTestDescriptor().isTest())
                .map(ev -> ev.getTestDescriptor().getDisplayName()))
                .containsExactlyInAnyOrder("outer()", "inner()");
    }

    @Test
    void a_class_jupiter_skips_is_skipped_once_and_no_test_of_it_starts() {
        Events e = run(ShapesCase.Skipped.class);
        e.assertThatEvents().haveExactly(1, event(container(ShapesCase.Skipped.class), skippedWithReason("not today")));
        assertThat(e.started().stream().filter(ev -> ev.getTestDescriptor().isTest()).count()).isZero();
    }

    @Test
    void an_assumption_in_before_all_aborts_the_class() {
        run(ShapesCase.Assumed.class).assertThatEvents().haveExactly(1, event(container(ShapesCase.Assumed.class),
                org.junit.platform.testkit.engine.EventConditions.abortedWithReason(
                        message(m -> m.contains("not this board")))));
    }

    @Test
    void the_class_paths_copy_is_not_run_by_jupiter_and_says_where_it_runs() {
        EngineTestKit.engine("junit-jupiter").selectors(selectClass(LeakyCase.class)).execute().allEvents()
                .assertThatEvents().haveExactly(1, event(container(LeakyCase.class),
                        skippedWithReason(r -> r.contains("runs inside the DMA-BUF platform, under the "
                                + "dmabuf-platform engine"))));
    }
}
