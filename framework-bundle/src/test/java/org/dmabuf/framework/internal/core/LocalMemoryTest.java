// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dmabuf.framework.internal.core.HandleTest.assertErrno;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.Errno;
import org.dmabuf.framework.internal.device.KernelDevice;
import org.dmabuf.framework.internal.heap.PageHeap;
import org.dmabuf.framework.internal.memory.PageAllocator;
import org.junit.jupiter.api.Test;

/** dma_heap_add for a device's local memory: one heap per device, gone with the device. */
class LocalMemoryTest {
    private final Fixture f = new Fixture();

    private static PageHeap vram(KernelDevice d) {
        return new PageHeap("vram@" + d.name(), true, new PageAllocator("vram", 1L << 20, false), d);
    }

    @Test
    void a_device_gets_one_heap_which_goes_when_it_is_unplugged() {
        KernelDevice gpu = f.device("0000:03:00.0", 0x1002, 0x73bf, "AMD", true);
        f.core.addLocalMemory(gpu, vram(gpu));
        assertThat(f.importer.heaps()).extracting(h -> h.name()).contains("vram@0000:03:00.0");
        assertErrno(() -> f.core.addLocalMemory(gpu, vram(gpu)), Errno.EEXIST, "has local memory", "already");

        int fd = f.importer.heap("vram@0000:03:00.0").allocate(4096);
        DmaBuf buf = f.importer.get(fd);
        f.unplug(gpu);

        assertThat(f.importer.heaps()).extracting(h -> h.name()).doesNotContain("vram@0000:03:00.0");
        assertErrno(() -> buf.attach(f.igpu), Errno.ENODEV, "unplugged");
        assertThat(buf.size()).as("the buffer outlives its device for its holder").isEqualTo(4096);
        buf.put();
        f.importer.close(fd);
    }

    @Test
    void an_unplugged_device_gets_no_heap() {
        KernelDevice gpu = f.device("0000:03:00.0", 0x1002, 0x73bf, "AMD", true);
        f.unplug(gpu);
        assertErrno(() -> f.core.addLocalMemory(gpu, vram(gpu)), Errno.ENODEV, "is unplugged");
        assertThat(f.importer.heaps()).extracting(h -> h.name()).doesNotContain("vram@0000:03:00.0");
    }
}
