// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.bench;

import java.util.List;

import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.device.SimulatedDevice;
import org.dmabuf.framework.internal.heap.PageHeap;
import org.dmabuf.framework.internal.memory.PageAllocator;

/** The DMA-BUF core as the framework bundle builds it, without OSGi: what the core benchmarks measure. */
final class Cores {
    static final SimulatedDevice IGPU = new SimulatedDevice("0000:00:02.0", 0x8086, 0x9a49, "Intel", true, "intel", 0,
            new String[] {"render", "display"});
    static final SimulatedDevice DGPU = new SimulatedDevice("0000:01:00.0", 0x10de, 0x2520, "NVIDIA", true, "nvidia",
            1L << 30, new String[] {"render"});

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
