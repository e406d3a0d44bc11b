// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.device;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The bus devices are added to: {@code device_add} for DMA-capable devices.
 * A service of the framework, handed out per bundle (a service factory):
 * each device added belongs to the bundle that added it, and is unplugged
 * for it when that bundle stops or ungets the service.
 *
 * <p>Called by device providers only; drivers never call it. Thread-safe;
 * it takes no lock that a driver holds, but drivers' bind and unbind run in
 * the calling thread during {@link #add} and
 * {@link DeviceRegistration#unplug}, so a provider must not call them while
 * holding a lock its drivers take.
 */
@ProviderType
public interface DeviceBus {
    /**
     * {@code device_add}: publishes a device. The framework registers it as a
     * {@link org.dmabuf.api.Device} service with the properties
     * {@link org.dmabuf.api.Device#PROP_NAME}, {@link org.dmabuf.api.Device#PROP_VENDOR},
     * {@link org.dmabuf.api.Device#PROP_DEVICE}, {@code dmabuf.model} and the
     * info's own properties; drivers whose id table matches bind before this
     * method returns.
     *
     * <p>Symbol {@code device_add}, GPL-only.
     *
     * @param info what the device is
     * @return the registration, through which the provider unplugs it
     * @throws DmaBufException {@link Errno#EINVAL} when {@code info} is null;
     *         {@link Errno#EEXIST} when a present device has that name;
     *         {@link Errno#ENOENT} when the caller was not granted the symbol
     *         or is stopping
     */
    DeviceRegistration add(DeviceInfo info);
}
