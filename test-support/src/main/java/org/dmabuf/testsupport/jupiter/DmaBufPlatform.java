// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport.jupiter;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.dmabuf.api.module.ExportPolicy;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a JUnit 5 test class inside the DMA-BUF platform as it ships, with the
 * driver bundles under test: the test's own classes become a bundle (the
 * <em>probe</em>) in a real Felix framework, so {@code @InjectService} and
 * {@code @InjectBundleContext} of osgi-test give the test the DMA-BUF services
 * exactly as a driver sees them (its own per-bundle view, judged by the
 * licence gate).
 *
 * <pre>{@code
 * @DmaBufPlatform                      // the driver: system property driver.jar
 * class MaliDriverIT {
 *     @InjectService DmaBufService dmabuf;
 *     @InjectBundleContext BundleContext context;
 *
 *     @Test
 *     void exports_a_buffer(Console console) throws Exception {
 *         String devices = console.run("dmabuf:devices");
 *         ...
 *     }
 * }
 * }</pre>
 *
 * <p><b>Who runs it.</b> The {@code dmabuf-platform} test engine of this jar
 * (found by the JUnit Platform on the class path, as any engine is): it boots
 * the platform from the unpacked distribution (system property
 * {@code dmabuf.home}, default {@code target/dmabuf}), installs the drivers,
 * this jar (its helpers) and the probe, then hands the probe's copy of the
 * class to JUnit Jupiter. The copy that the class path loads is never run:
 * the Jupiter engine reports it as disabled, so exclude the
 * {@code junit-jupiter} engine from the run that executes these tests (the
 * archetype's {@code pom.xml} does, in Failsafe).
 *
 * <p><b>The container's lifetime.</b> One framework for the class
 * ({@link Lifetime#PER_CLASS}, as Pax Exam's default), shut down after its last
 * test, or one for every test method ({@link Lifetime#PER_TEST}) when tests
 * must not see each other's devices, configurations or taint (the invocations
 * of one parameterized or repeated test, and one test factory's dynamic
 * tests, share their method's platform). Either way, each test
 * must leave the probe holding what it held before (fds, references,
 * attachments): a test that leaks fails itself, naming what it left, rather
 * than the test after it ({@link #leakCheck}).
 *
 * <p><b>The probe's licence</b> is the first driver's {@code Bundle-License},
 * its in-tree flag the driver's {@code DmaBuf-Intree}, and it links every
 * symbol that licence may link under {@link #policy}: the gate treats it as
 * the kernel treats a test module built with the driver. A GPL-compatible
 * probe links every symbol; one that is not links the {@code EXPORT_SYMBOL}
 * ones and the DMA-BUF namespaces, which {@link ExportPolicy#EXPORT_SYMBOL}
 * opens to it. With no driver, the probe is an in-tree GPL-2.0-only module.
 *
 * <p><b>What a test may take as a parameter</b>: a
 * {@link org.dmabuf.testsupport.Console} (the Gogo console, as a user types at
 * {@code g!}). osgi-test's annotations give the rest.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(InsideThePlatform.class)
public @interface DmaBufPlatform {
    /**
     * @return paths of the driver bundles to install and start at the drivers'
     *         start level, relative to the working directory; none means the
     *         system property {@code driver.jar} (several separated by
     *         {@code ,}), or no driver when it is not set
     */
    String[] drivers() default {};

    /** @return the export policy the platform boots with, as the framework property {@code dmabuf.policy} */
    ExportPolicy policy() default ExportPolicy.GPL_ONLY;

    /**
     * @return the probe's {@code Bundle-License}; empty means the first
     *         driver's, or {@code GPL-2.0-only} with no driver
     */
    String probeLicence() default "";

    /**
     * @return file names of distribution bundles to leave out (in
     *         {@code bundle/}), as {@link org.dmabuf.testsupport.Platform#without}
     */
    String[] without() default {};

    /** @return framework properties of the test, {@code name=value}, set after the platform's */
    String[] properties() default {};

    /** @return how long a booted platform lives */
    Lifetime lifetime() default Lifetime.PER_CLASS;

    /**
     * @return whether each test must leave the probe holding what it held
     *         before it (fds, references and attachments of its DMA-BUF view)
     */
    boolean leakCheck() default true;

    /** How long a booted platform lives. */
    enum Lifetime {
        /** One framework for all tests of the class, shut down after the last one (Pax Exam's default). */
        PER_CLASS,
        /**
         * A fresh framework for each test method (in {@code @Nested} classes too): no state crosses from one
         * to the next; the invocations of one parameterized or repeated test, or one factory's dynamic tests,
         * share it.
         */
        PER_TEST
    }
}
