// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.device.DeviceInfo;
import org.dmabuf.framework.internal.device.KernelDevice;
import org.dmabuf.framework.internal.heap.PageHeap;
import org.dmabuf.framework.internal.memory.PageAllocator;
import org.dmabuf.framework.internal.memory.Pages;

/** A core with the two heaps, devices, and an exporter that counts its callbacks. */
final class Fixture {
    static final long CMA_SIZE = 1L << 20;

    final PageAllocator systemPages = new PageAllocator("system", 1L << 34, false);
    final PageAllocator cmaPages = new PageAllocator("cma", CMA_SIZE, false);
    final DmaBufCore core = new DmaBufCore(List.of(new PageHeap(PageHeap.SYSTEM, false, systemPages),
            new PageHeap(PageHeap.CMA, true, cmaPages)));
    final KernelDevice igpu = device("0000:00:02.0", 0x8086, 0x9a49, "Intel", true);
    final KernelDevice dgpu = device("0000:01:00.0", 0x10de, 0x2520, "NVIDIA", true);
    final KernelDevice noIommu = device("54200000.dc", 0x10de, 0x0fa0, "Tegra DC", false);

    final LoadedModule exporter = core.openModule("exporter", 10);
    final LoadedModule importer = core.openModule("importer", 11);

    /** Counts every callback of the buffers it exports. */
    final class CountingExporter {
        final AtomicInteger attach = new AtomicInteger();
        final AtomicInteger detach = new AtomicInteger();
        final AtomicInteger map = new AtomicInteger();
        final AtomicInteger unmap = new AtomicInteger();
        final AtomicInteger release = new AtomicInteger();
        final AtomicInteger pin = new AtomicInteger();
        final AtomicInteger unpin = new AtomicInteger();
        final AtomicInteger begin = new AtomicInteger();
        final AtomicInteger end = new AtomicInteger();
        final AtomicInteger vmap = new AtomicInteger();
        final AtomicInteger vunmap = new AtomicInteger();
        volatile RuntimeException failAttach;
        volatile RuntimeException failMap;

        DmaBufOps.Builder<Pages> ops() {
            return DmaBufOps.<Pages>builder()
                    .attach((p, a) -> {
                        if (failAttach != null) {
                            throw failAttach;
                        }
                        attach.incrementAndGet();
                    })
                    .detach((p, a) -> detach.incrementAndGet())
                    .map((p, a, d) -> {
                        if (failMap != null) {
                            throw failMap;
                        }
                        map.incrementAndGet();
                        return p.segment();
                    })
                    .unmap((p, a, s, d) -> unmap.incrementAndGet())
                    .release(p -> {
                        release.incrementAndGet();
                        p.free();
                    })
                    .beginCpuAccess((p, d) -> begin.incrementAndGet())
                    .endCpuAccess((p, d) -> end.incrementAndGet())
                    .vmap(p -> {
                        vmap.incrementAndGet();
                        return p.segment();
                    })
                    .vunmap((p, s) -> vunmap.incrementAndGet())
                    .mmap((p, off, len) -> p.segment().asSlice(off, len));
        }

        DmaBufOps<Pages> dynamicOps() {
            return ops().pin((p, a) -> pin.incrementAndGet()).unpin((p, a) -> unpin.incrementAndGet()).build();
        }

        ExportInfo<Pages> info(long size) {
            return info(ops().build(), size);
        }

        ExportInfo<Pages> info(DmaBufOps<Pages> ops, long size) {
            return ExportInfo.builder(ops, systemPages.allocate(size), size).build();
        }
    }

    /** {@code device_add}, as a device provider does it through the bus. */
    KernelDevice device(String name, int vendor, int device, String model, boolean iommu) {
        return core.devices().add(DeviceInfo.builder(name).ids(vendor, device).model(model).iommu(iommu).build());
    }

    /** The device is unplugged, as its provider does it. */
    void unplug(KernelDevice d) {
        core.devices().remove(d);
    }

    CountingExporter counting() {
        return new CountingExporter();
    }

    static void noop(Attachment a) {
    }

    static MemorySegment segmentOf(Pages p) {
        return p.segment();
    }
}
