// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.device;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.device.DeviceInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devices present now, by name: the driver core's list of devices. Plain
 * Java; the OSGi layer publishes each device as a service around
 * {@link #add} and {@link #remove}. One lock for the table itself (adding and
 * removing a device are rare); nothing on a buffer's path takes it.
 */
public final class DeviceTable {
    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");

    private final Map<String, KernelDevice> present = new HashMap<>(); // guarded by this
    private final java.util.Set<String> announced = new java.util.HashSet<>(); // guarded by this: drivers probed

    /**
     * {@code device_add}: takes a device in.
     *
     * @param info what it is
     * @return the device
     * @throws DmaBufException EINVAL for null; EEXIST when a present device has that name
     */
    public synchronized KernelDevice add(DeviceInfo info) {
        if (info == null) {
            throw new DmaBufException(Errno.EINVAL, "device_add: info is null; expected DeviceInfo.builder(name)..build()");
        }
        if (present.containsKey(info.name())) {
            throw new DmaBufException(Errno.EEXIST, "device_add: a device named " + info.name()
                    + " is present already; expected a name of its own");
        }
        KernelDevice d = new KernelDevice(info);
        present.put(info.name(), d);
        notifyAll();
        return d;
    }

    /**
     * {@code device_del}: the device is gone. Its unplug handlers run in the
     * calling thread, outside the table's lock.
     *
     * @param d the device; nothing happens when it is gone already
     */
    public void remove(KernelDevice d) {
        synchronized (this) {
            if (!present.remove(d.name(), d)) {
                return;
            }
            announced.remove(d.name());
        }
        d.unplug();
        LOG.info("{}: {} unplugged", d.name(), d.model());
        synchronized (this) {
            notifyAll();
        }
    }

    /**
     * @param device a device a caller passed in
     * @param func the entry point, for the message
     * @return it, as the framework's
     * @throws DmaBufException EINVAL when it is null or not a device of this framework
     */
    public static KernelDevice ours(Device device, String func) {
        if (device instanceof KernelDevice k) {
            return k;
        }
        throw new DmaBufException(Errno.EINVAL, func + ": device " + (device == null ? "is null" : device.name()
                + " is not a device of this framework") + "; expected a Device service");
    }

    /**
     * The device was announced to the drivers (its service registered, every
     * matching driver's probe run, as the kernel's {@code device_add} returns
     * after {@code bus_probe_device}): what {@link #await} waits for.
     *
     * @param d a device added here; nothing happens when it is gone already
     */
    public synchronized void announced(KernelDevice d) {
        if (present.get(d.name()) == d) {
            announced.add(d.name());
            notifyAll();
        }
    }

    /**
     * What the core ties to a device: run once when it is unplugged (at once
     * if it already is), in the unplugging thread, outside any lock of the
     * table. A handler that throws is logged; the others still run.
     *
     * @param d the device
     * @param r the handler
     */
    public static void whenUnplugged(KernelDevice d, Runnable r) {
        d.onUnplug(r);
    }

    /**
     * @param d a device
     * @return what its provider said of it (its service properties among them)
     */
    public static DeviceInfo infoOf(KernelDevice d) {
        return d.info();
    }

    /** @return the present devices, by name */
    public synchronized List<KernelDevice> list() {
        List<KernelDevice> out = new ArrayList<>(present.values());
        out.sort(Comparator.comparing(KernelDevice::name));
        return out;
    }

    /**
     * Waits until a device of that name is present and {@linkplain #announced announced} (or gone).
     *
     * @param name the device's name
     * @param in whether to wait for it present (or gone)
     * @param timeoutMs how long at most
     * @return whether it got there in time
     * @throws InterruptedException when interrupted
     */
    public synchronized boolean await(String name, boolean in, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (in ? !announced.contains(name) : present.containsKey(name)) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }
}
