// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.framework.internal.core.FenceView;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceFactory;
import org.osgi.framework.ServiceRegistration;

/** Hands every bundle its {@link DmaFenceService}: a view of the same module as its DmaBufService. */
final class DmaFenceServiceFactory implements ServiceFactory<DmaFenceService> {
    private final ModuleRegistry modules;

    DmaFenceServiceFactory(ModuleRegistry modules) {
        this.modules = modules;
    }

    @Override
    public DmaFenceService getService(Bundle bundle, ServiceRegistration<DmaFenceService> registration) {
        return new FenceView(modules.acquire(bundle));
    }

    @Override
    public void ungetService(Bundle bundle, ServiceRegistration<DmaFenceService> registration, DmaFenceService service) {
        modules.release(bundle);
    }
}
