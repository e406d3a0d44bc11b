// SPDX-License-Identifier: LicenseRef-NVIDIA-Proprietary
package org.dmabuf.driver.nvidia;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * nvidia: the NVIDIA discrete GPU, a render engine with local memory that
 * exports its render targets. Proprietary: it needs the GPL-only DMA-BUF
 * symbols, which is the 2012 request this project replays.
 */
@Component(immediate = true)
public class NvidiaDriver {
    /** The id table: the GeForce RTX 3060 Mobile. */
    static final String ID_TABLE = "(&(dmabuf.vendor=0x10de)(dmabuf.device=0x2520))";

    private static final Logger LOG = LoggerFactory.getLogger("nvidia");

    private final DmaBufService dmabuf;
    private final Device device;

    @Activate
    public NvidiaDriver(@Reference DmaBufService dmabuf, @Reference(target = ID_TABLE) Device device) {
        this.dmabuf = dmabuf;
        this.device = device;
        LOG.info("nvidia {}: NVRM: loading NVIDIA UNIX x86_64 Kernel Module for {}", device.name(), device.model());
    }

    @Deactivate
    void deactivate() {
        LOG.info("nvidia {}: NVRM: unloading", device.name());
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
