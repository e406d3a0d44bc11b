// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.licence;

import java.util.Hashtable;

import org.dmabuf.api.DmaBufService;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * A GPL bundle that passes its own DMA-BUF view on to anybody, as a plain Object service (test.view), with
 * the number of an fd of its table (test.fd).
 */
public class GiverActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) {
        DmaBufService mine = context.getService(context.getServiceReference(DmaBufService.class));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("test.view", context.getBundle().getSymbolicName());
        props.put("test.fd", mine.heap("system").allocate(4096)); // an fd of its own, for thieves to try
        context.registerService(Object.class, mine, props);
    }

    @Override
    public void stop(BundleContext context) {
    }
}
