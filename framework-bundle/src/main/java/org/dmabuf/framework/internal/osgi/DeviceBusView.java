// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.Heap;
import org.dmabuf.api.Symbol;
import org.dmabuf.api.device.DeviceBus;
import org.dmabuf.api.device.DeviceInfo;
import org.dmabuf.api.device.DeviceRegistration;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.LoadedModule;
import org.dmabuf.framework.internal.device.KernelDevice;
import org.dmabuf.framework.internal.heap.PageHeap;
import org.dmabuf.framework.internal.memory.PageAllocator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One provider bundle's {@link DeviceBus}: the devices it added, each
 * published as a {@link Device} service by the framework, and unplugged for
 * it when it stops. Checks the provider's grants ({@code device_add},
 * {@code dma_heap_add}) through its module, as every view does.
 */
final class DeviceBusView implements DeviceBus {
    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");
    /** Local memory below a page is no memory. */
    private static final long MIN_LOCAL_MEMORY = 4096;

    private final LoadedModule module;
    private final DmaBufCore core;
    private final BundleContext context;
    private final List<Registration> added = new ArrayList<>(); // guarded by this
    private boolean closed; // guarded by this

    DeviceBusView(LoadedModule module, DmaBufCore core, BundleContext context) {
        this.module = module;
        this.core = core;
        this.context = context;
    }

    @Override
    public DeviceRegistration add(DeviceInfo info) {
        module.require(Symbol.DEVICE_ADD);
        synchronized (this) {
            if (closed) {
                throw new DmaBufException(Errno.ENOENT, "device_add: module " + module.name()
                        + " is unloading; expected a provider that is running");
            }
        }
        KernelDevice d = core.devices().add(info);
        Hashtable<String, Object> props = new Hashtable<>(info.properties());
        props.put(Device.PROP_NAME, info.name());
        props.put(Device.PROP_VENDOR, String.format("0x%04x", info.vendorId()));
        props.put(Device.PROP_DEVICE, String.format("0x%04x", info.deviceId()));
        props.put("dmabuf.model", info.model());
        props.put("dmabuf.provider", module.name());
        props.put(Constants.SERVICE_DESCRIPTION, info.toString());
        Registration r = new Registration(d);
        synchronized (this) {
            added.add(r);
        }
        try {
            r.service = context.registerService(Device.class, d, props); // drivers bind during this call
        } catch (RuntimeException e) {
            r.unplug();
            throw e;
        }
        core.devices().announced(d);
        LOG.info("{}: {} added by {}", info.name(), info.model(), module.name());
        GateActivator.uevents().post(org.dmabuf.api.debugfs.Uevents.DEVICE_ADDED, "add",
                org.dmabuf.api.debugfs.Uevents.DEVNAME, info.name(), org.dmabuf.api.debugfs.Uevents.MODULE,
                module.name());
        return r;
    }

    /** The provider stopped: every device it still has is unplugged. */
    void close() {
        List<Registration> left;
        synchronized (this) {
            closed = true;
            left = new ArrayList<>(added);
        }
        for (Registration r : left) {
            LOG.warn("{}: stopped with device {} still added; unplugging it", module.name(), r.device.name());
            r.unplug();
        }
    }

    private final class Registration implements DeviceRegistration {
        private final KernelDevice device;
        private volatile ServiceRegistration<Device> service;

        Registration(KernelDevice device) {
            this.device = device;
        }

        @Override
        public Device device() {
            return device;
        }

        @Override
        public Heap addLocalMemory(long bytes) {
            module.require(Symbol.DMA_HEAP_ADD);
            if (bytes < MIN_LOCAL_MEMORY) {
                throw new DmaBufException(Errno.EINVAL, "dma_heap_add: " + bytes + " bytes of local memory for "
                        + device.name() + "; expected at least " + MIN_LOCAL_MEMORY);
            }
            String name = "vram@" + device.name();
            PageHeap heap = new PageHeap(name, true, new PageAllocator(name, bytes, false), device);
            core.addLocalMemory(device, heap);
            return module.addedHeap(heap);
        }

        @Override
        public void unplug() {
            synchronized (DeviceBusView.this) {
                if (!added.remove(this)) {
                    return;
                }
            }
            ServiceRegistration<Device> s = service;
            if (s != null) {
                try {
                    s.unregister(); // drivers unbind first, as on a real unplug the bus tells them
                } catch (IllegalStateException gone) {
                    // the framework bundle is stopping and took the service already
                }
            }
            core.devices().remove(device);
            if (s != null) { // announced as added: so is its removal
                GateActivator.uevents().post(org.dmabuf.api.debugfs.Uevents.DEVICE_REMOVED, "remove",
                        org.dmabuf.api.debugfs.Uevents.DEVNAME, device.name(), org.dmabuf.api.debugfs.Uevents.MODULE,
                        module.name());
            }
        }

        @Override
        public String toString() {
            return device + " (added by " + module.name() + ")";
        }
    }
}
