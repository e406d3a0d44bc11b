// SPDX-License-Identifier: GPL-2.0-only
/**
 * Device providers: the bus side of {@code struct device} and
 * {@code dma_heap_add}. A bundle that knows hardware (a bus driver, a
 * simulator such as the distribution's {@code simgpu}, a test) adds its
 * devices here; the framework publishes each as a
 * {@link org.dmabuf.api.Device} service, which drivers bind by their id
 * tables, and, for a device with local memory, a {@code vram@<device>} heap.
 *
 * <h2>The lifecycle, in order</h2>
 * <ol>
 * <li><b>add</b> ({@code device_add}):
 * {@link org.dmabuf.api.device.DeviceBus#add} with a
 * {@link org.dmabuf.api.device.DeviceInfo}; the {@code Device} service is
 * registered, and every driver whose id table matches binds during the
 * call.</li>
 * <li><b>local memory</b> ({@code dma_heap_add}):
 * {@link org.dmabuf.api.device.DeviceRegistration#addLocalMemory} adds the
 * device's heap.</li>
 * <li><b>unplug</b> ({@code device_del}, hot-unplug):
 * {@link org.dmabuf.api.device.DeviceRegistration#unplug}. The drivers
 * unbind first (the service goes), then the device is marked gone: fences of
 * timelines tied to it are signalled with {@code -ENODEV}, its heap is
 * removed, and buffers in its memory keep their existing mappings while new
 * attachments and mappings fail with {@code -ENODEV}. A provider that stops
 * has each device it still holds unplugged for it.</li>
 * </ol>
 *
 * <p>Both symbols are GPL-only, as in Linux ({@code device_add} is
 * {@code EXPORT_SYMBOL_GPL}; {@code dma_heap_add} is
 * {@code EXPORT_SYMBOL_NS_GPL} in namespace {@code DMA_BUF_HEAP}): the
 * service is hidden from bundles whose licence is not GPL-compatible.
 */
@Export
@Version("1.0.0")
package org.dmabuf.api.device;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
