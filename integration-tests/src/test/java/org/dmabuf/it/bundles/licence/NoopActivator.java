// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.licence;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** Does nothing: a bundle whose point is its manifest. */
public class NoopActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) {
    }

    @Override
    public void stop(BundleContext context) {
    }
}
