// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench.ds;

/**
 * The Declarative Services component of the trivial DS bundle the driver
 * cycle is measured against (HotplugOsgiBench.hotplug_ds_cycle): one static
 * reference, one registered service, no code; what Felix and SCR cost any
 * driver. Described by hand in the bundle's component XML, so it needs no
 * annotation processing.
 */
public class TrivialComponent implements Runnable {
    private Runnable bound;

    /** @param r the referenced service */
    public void bind(Runnable r) {
        bound = r;
    }

    @Override
    public void run() {
        bound.run();
    }
}
