// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.dmabuf.api.Symbol;
import org.dmabuf.api.module.ExportPolicy;
import org.ops4j.pax.exam.Option;

/**
 * The base class for testing a driver that needs the {@code export-symbol}
 * policy: a proprietary driver, or one that opts in as nvidia does. The
 * platform starts with that policy ({@link Platform#policy}), and the probe
 * (the test's own bundle) is what the kernel would build as that driver's
 * test module: the driver's licence, out of tree, linking only the symbols
 * a module of that licence may link under the policy (the DMA-BUF core and
 * the heaps, now {@code EXPORT_SYMBOL}, and whatever is {@code EXPORT_SYMBOL}
 * anyway). So the gate lets it use the driver's own API packages, which it
 * refuses to a GPL probe (a GPL module may not use a proprietary module's
 * symbols), and refuses it what it refuses the driver.
 *
 * <pre>{@code
 * public class BlobDriverIT extends ExportSymbolDriverTest {
 *     protected String driverLicence() { return "Proprietary"; }
 *
 *     @Configuration
 *     public Option[] config() { return options(Platform.driver(Path.of(System.getProperty("driver.jar")))); }
 * }
 * }</pre>
 */
public abstract class ExportSymbolDriverTest extends PlatformTest {
    /** For subclasses. */
    protected ExportSymbolDriverTest() {
    }

    /** @return the driver's {@code Bundle-License}: the probe gets the same */
    protected abstract String driverLicence();

    /**
     * @param extra the test's options (the driver, say)
     * @return the platform as it ships, started under the {@code export-symbol} policy, plus {@code extra}
     */
    protected static Option[] options(Option... extra) {
        Option[] all = Arrays.copyOf(extra, extra.length + 1);
        all[extra.length] = Platform.policy(ExportPolicy.EXPORT_SYMBOL);
        return Platform.options(all);
    }

    /**
     * The platform under {@code export-symbol}, as it ships; override it (with {@code @Configuration}) to add
     * the driver, through {@link #options(Option...)} so that the policy stays.
     *
     * @return the options
     */
    @Override
    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        return options();
    }

    @Override
    protected String probeLicence() {
        return driverLicence();
    }

    @Override
    protected boolean probeIntree() {
        return false;
    }

    /** @return the symbols a module of the driver's licence may link under {@code export-symbol} */
    @Override
    protected List<String> probeSymbols() {
        return Arrays.stream(Symbol.values())
                .filter(s -> s.export() == Symbol.Export.EXPORT_SYMBOL || s.namespace() != null)
                .map(Symbol::symbolName).toList();
    }

    /** @return none: under {@code export-symbol} nvidia runs too */
    @Override
    protected Set<String> notActiveByDesign() {
        return Set.of();
    }
}
