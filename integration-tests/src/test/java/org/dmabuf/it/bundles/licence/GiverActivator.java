// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.licence;

import java.util.Hashtable;

import org.dmabuf.api.DmaBufService;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** A GPL bundle that passes its own DMA-BUF view on to anybody, as a plain Object service (test.view). */
public class GiverActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) {
        DmaBufService mine = context.getService(context.getServiceReference(DmaBufService.class));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("test.view", context.getBundle().getSymbolicName());
        context.registerService(Object.class, mine, props);
    }

    @Override
    public void stop(BundleContext context) {
    }
}
