// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.driver.tegra;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * tegra-drm: the Tegra display controller, which imports buffers rendered by
 * the GeForce-class GPU for scanout: the case NVIDIA named in 2012.
 */
@Component(immediate = true)
public class TegraDriver {
    /** The id table: the Tegra display controller. */
    static final String ID_TABLE = "(&(dmabuf.vendor=0x10de)(dmabuf.device=0x0fa0))";

    private static final Logger LOG = LoggerFactory.getLogger("tegra-dc");

    private final DmaBufService dmabuf;
    private final Device device;

    @Activate
    public TegraDriver(@Reference DmaBufService dmabuf, @Reference(target = ID_TABLE) Device device) {
        this.dmabuf = dmabuf;
        this.device = device;
        LOG.info("tegra-dc {}: [drm] Initialized tegra 1.0.0 for {} on minor 1", device.name(), device.name());
    }

    @Deactivate
    void deactivate() {
        LOG.info("tegra-dc {}: [drm] unbound", device.name());
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
