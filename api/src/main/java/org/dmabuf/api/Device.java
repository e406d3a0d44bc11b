// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A device that can take part in DMA: {@code struct device}. Devices are
 * services registered by the framework (simulated GPUs); a driver binds to a
 * device by its ids and attaches buffers to it.
 *
 * <p>Service properties: {@link #PROP_NAME}, {@link #PROP_VENDOR},
 * {@link #PROP_DEVICE}, so a driver's id table is an LDAP filter such as
 * {@code (&(dmabuf.vendor=0x10de)(dmabuf.device=0x2520))}.
 */
@ProviderType
public interface Device {
    /** Service property: the device name, {@link #name()}. */
    String PROP_NAME = "dmabuf.device.name";
    /** Service property: the PCI vendor id, as a string {@code 0x%04x}. */
    String PROP_VENDOR = "dmabuf.vendor";
    /** Service property: the PCI device id, as a string {@code 0x%04x}. */
    String PROP_DEVICE = "dmabuf.device";

    /** @return the device name as {@code dev_name()} gives it, for instance {@code 0000:01:00.0} */
    String name();

    /** @return the PCI vendor id, for instance {@code 0x10de} for NVIDIA */
    int vendorId();

    /** @return the PCI device id */
    int deviceId();

    /** @return a human-readable model name */
    String model();

    /**
     * @return whether the device reaches memory through an IOMMU; a device
     *         without one can only use physically contiguous memory (the
     *         {@code default_cma_region} heap)
     */
    boolean iommu();

    /** @return whether the device is still plugged in; false after hot-unplug */
    boolean isPresent();
}
