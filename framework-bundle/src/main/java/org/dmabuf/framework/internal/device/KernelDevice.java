// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.device;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.dmabuf.api.Device;
import org.dmabuf.api.device.DeviceInfo;
import org.slf4j.LoggerFactory;

/**
 * A device as the framework holds it: {@code struct device}. Made by
 * {@link DeviceTable#add} for a provider's {@link DeviceInfo}, whoever the
 * provider is; the only implementation of {@link Device} that the core
 * accepts. Unplugging it runs what was registered with
 * {@link DeviceTable#whenUnplugged} (fence timelines tied to it, its heap),
 * once. Its public methods are {@link Device}'s: the object published as the
 * device's service can do no more than that.
 */
public final class KernelDevice implements Device {
    private final DeviceInfo info;
    private volatile boolean present = true;
    private final List<Runnable> onUnplug = new CopyOnWriteArrayList<>();

    KernelDevice(DeviceInfo info) {
        this.info = info;
    }

    /** @return what its provider said of it; see {@link DeviceTable#infoOf} */
    DeviceInfo info() {
        return info;
    }

    @Override
    public String name() {
        return info.name();
    }

    @Override
    public int vendorId() {
        return info.vendorId();
    }

    @Override
    public int deviceId() {
        return info.deviceId();
    }

    @Override
    public String model() {
        return info.model();
    }

    @Override
    public boolean iommu() {
        return info.iommu();
    }

    @Override
    public boolean isPresent() {
        return present;
    }

    /** Hot-unplug: the device is gone; what was waiting on it is told, once. */
    void unplug() {
        if (!present) {
            return;
        }
        present = false;
        for (Runnable r : onUnplug) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LoggerFactory.getLogger("dma-buf").error("{}: an unplug handler failed", name(), e);
            }
        }
        onUnplug.clear();
    }

    /**
     * @param r run once when the device is unplugged (at once if it already is)
     * @see DeviceTable#whenUnplugged
     */
    void onUnplug(Runnable r) {
        onUnplug.add(r);
        if (!present && onUnplug.remove(r)) {
            r.run();
        }
    }

    @Override
    public String toString() {
        return info.toString();
    }
}
