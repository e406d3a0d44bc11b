// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import org.dmabuf.api.DmaBufService;
import org.dmabuf.framework.internal.core.DmaBufServiceView;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceFactory;
import org.osgi.framework.ServiceRegistration;

/**
 * Hands every bundle its own {@link DmaBufService}: a {@link LoadedModule} with its
 * own fd table and the symbols it linked. When the bundle stops (the framework ungets its services) or
 * ungets the service itself, the module gives back all it held.
 */
final class DmaBufServiceFactory implements ServiceFactory<DmaBufService> {
    private final ModuleRegistry modules;

    DmaBufServiceFactory(ModuleRegistry modules) {
        this.modules = modules;
    }

    /** Each view may call exactly the symbols its bundle linked and the gate allows it now. */
    @Override
    public DmaBufService getService(Bundle bundle, ServiceRegistration<DmaBufService> registration) {
        return new DmaBufServiceView(modules.acquire(bundle));
    }

    @Override
    public void ungetService(Bundle bundle, ServiceRegistration<DmaBufService> registration, DmaBufService service) {
        modules.release(bundle);
    }
}
