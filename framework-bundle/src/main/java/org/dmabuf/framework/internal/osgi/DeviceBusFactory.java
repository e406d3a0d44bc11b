// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import org.dmabuf.api.device.DeviceBus;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceFactory;
import org.osgi.framework.ServiceRegistration;

/**
 * Hands every provider bundle its own {@link DeviceBus}, on the same module
 * as its other views; when the bundle stops (or ungets it), the devices it
 * added are unplugged, then the module is released.
 */
final class DeviceBusFactory implements ServiceFactory<DeviceBus> {
    private final ModuleRegistry modules;
    private final DmaBufCore core;
    private final BundleContext context;

    DeviceBusFactory(ModuleRegistry modules, DmaBufCore core, BundleContext context) {
        this.modules = modules;
        this.core = core;
        this.context = context;
    }

    @Override
    public DeviceBus getService(Bundle bundle, ServiceRegistration<DeviceBus> registration) {
        return new DeviceBusView(modules.acquire(bundle), core, context);
    }

    @Override
    public void ungetService(Bundle bundle, ServiceRegistration<DeviceBus> registration, DeviceBus service) {
        ((DeviceBusView) service).close();
        modules.release(bundle);
    }
}
