// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.driver.intel;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * i915: the Intel integrated GPU. Binds to any Intel device (its id table is
 * the vendor id) and imports buffers for its display engine.
 */
@Component(immediate = true)
public class I915Driver {
    /** The id table: every Intel GPU. */
    static final String ID_TABLE = "(dmabuf.vendor=0x8086)";

    private static final Logger LOG = LoggerFactory.getLogger("i915");

    private final DmaBufService dmabuf;
    private final Device device;

    @Activate
    public I915Driver(@Reference DmaBufService dmabuf, @Reference(target = ID_TABLE) Device device) {
        this.dmabuf = dmabuf;
        this.device = device;
        LOG.info("i915 {}: [drm] Initialized i915 1.6.0 for {} ({}) on minor 0", device.name(), device.name(),
                device.model());
    }

    @Deactivate
    void deactivate() {
        LOG.info("i915 {}: [drm] unbound", device.name());
    }

    /** @return the device this instance drives */
    public Device device() {
        return device;
    }

    /** @return the DMA-BUF core as this driver sees it */
    DmaBufService dmabuf() {
        return dmabuf;
    }
}
