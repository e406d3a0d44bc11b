// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.device;

import java.util.Hashtable;

import org.dmabuf.api.Device;

/** A simulated GPU or display controller: a {@link Device} with PCI-like ids. */
public final class SimulatedDevice implements Device {
    private final String name;
    private final int vendorId;
    private final int deviceId;
    private final String model;
    private final boolean iommu;
    private final String kind;
    private final long vram;
    private final java.util.List<String> engines;
    private volatile boolean present = true;
    private final java.util.List<Runnable> onUnplug = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * @param name the device name, as {@code dev_name}
     * @param vendorId the PCI vendor id
     * @param deviceId the PCI device id
     * @param model a human-readable model name
     * @param iommu whether it reaches memory through an IOMMU
     */
    public SimulatedDevice(String name, int vendorId, int deviceId, String model, boolean iommu) {
        this(name, vendorId, deviceId, model, iommu, "gpu", 0, new String[] {"render"});
    }

    /**
     * @param name the device name, as {@code dev_name}
     * @param vendorId the PCI vendor id
     * @param deviceId the PCI device id
     * @param model a human-readable model name
     * @param iommu whether it reaches memory through an IOMMU
     * @param kind what kind of device it is
     * @param vram bytes of local memory
     * @param engines its engines: render, display
     */
    public SimulatedDevice(String name, int vendorId, int deviceId, String model, boolean iommu, String kind,
            long vram, String[] engines) {
        this.name = name;
        this.vendorId = vendorId;
        this.deviceId = deviceId;
        this.model = model;
        this.iommu = iommu;
        this.kind = kind;
        this.vram = vram;
        this.engines = java.util.List.of(engines);
    }

    /** @return its kind */
    public String kind() {
        return kind;
    }

    /** @return bytes of local memory */
    public long vram() {
        return vram;
    }

    /** @return its engines */
    public java.util.List<String> engines() {
        return engines;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int vendorId() {
        return vendorId;
    }

    @Override
    public int deviceId() {
        return deviceId;
    }

    @Override
    public String model() {
        return model;
    }

    @Override
    public boolean iommu() {
        return iommu;
    }

    @Override
    public boolean isPresent() {
        return present;
    }

    /** Hot-unplug: the device is gone; what was waiting on it is told. */
    public void unplug() {
        present = false;
        for (Runnable r : onUnplug) {
            try {
                r.run();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger("dma-buf").error("{}: an unplug handler failed", name, e);
            }
        }
        onUnplug.clear();
    }

    /**
     * @param r run once when the device is unplugged (at once if it already is)
     */
    public void onUnplug(Runnable r) {
        onUnplug.add(r);
        if (!present && onUnplug.remove(r)) {
            r.run();
        }
    }

    /** @return the service properties drivers match their id tables against */
    public Hashtable<String, Object> serviceProperties() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(PROP_NAME, name);
        p.put(PROP_VENDOR, String.format("0x%04x", vendorId));
        p.put(PROP_DEVICE, String.format("0x%04x", deviceId));
        p.put("dmabuf.model", model);
        return p;
    }

    @Override
    public String toString() {
        return String.format("%s [%04x:%04x] %s", name, vendorId, deviceId, model);
    }
}
