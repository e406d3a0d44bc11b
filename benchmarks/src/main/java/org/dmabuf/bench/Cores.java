// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.util.List;

import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.api.device.DeviceInfo;
import org.dmabuf.framework.internal.device.DeviceTable;
import org.dmabuf.framework.internal.device.KernelDevice;
import org.dmabuf.framework.internal.heap.PageHeap;
import org.dmabuf.framework.internal.memory.PageAllocator;

/** The DMA-BUF core as the framework bundle builds it, without OSGi: what the core benchmarks measure. */
final class Cores {
    private static final DeviceTable BUS = new DeviceTable(); // as a device provider adds them
    static final KernelDevice IGPU = BUS.add(DeviceInfo.builder("0000:00:02.0").ids(0x8086, 0x9a49).model("Intel")
            .iommu(true).property("dmabuf.engines", new String[] {"render", "display"}).build());
    static final KernelDevice DGPU = BUS.add(DeviceInfo.builder("0000:01:00.0").ids(0x10de, 0x2520).model("NVIDIA")
            .iommu(true).property("dmabuf.engines", new String[] {"render"}).build());

    private Cores() {
    }

    static DmaBufCore core() {
        DmaBufCore core = new DmaBufCore(List.of(
                new PageHeap(PageHeap.SYSTEM, false, new PageAllocator(PageHeap.SYSTEM, 64L << 30, false)),
                new PageHeap(PageHeap.CMA, true, new PageAllocator(PageHeap.CMA, 1L << 30, false))));
        core.addHeap(new PageHeap("vram@" + DGPU.name(), true, new PageAllocator("vram", 1L << 30, false), DGPU));
        return core;
    }
}
