// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dmabuf.framework.internal.core.HandleTest.assertErrno;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.Mapping;
import org.dmabuf.framework.internal.memory.Pages;
import org.junit.jupiter.api.Test;

/**
 * A buffer whose exporter stopped while another bundle holds it: served by
 * the framework from its DeviceMemory, at the buffer's exact size, whatever
 * the page rounding of the memory; a buffer of memory the framework does not
 * know fails with ENODEV, naming why.
 */
class OrphanTest {
    /** A 640x480 NV12 frame: not a whole number of pages. */
    static final long NV12_VGA = 640 * 480 * 3 / 2;

    private final Fixture f = new Fixture();

    private static DmaBufOps<DeviceMemory> exactOps(long size) {
        return DmaBufOps.<DeviceMemory>builder()
                .map((m, a, d) -> m.segment().asSlice(0, size))
                .unmap((m, a, s, d) -> { })
                .release(DeviceMemory::free)
                .vmap(m -> m.segment().asSlice(0, size))
                .mmap((m, off, len) -> m.segment().asSlice(off, len))
                .build();
    }

    /** @return the importer's fd of a buffer the exporter exported and then stopped */
    private int orphaned(Object priv, DmaBufOps<?> ops, long size) {
        @SuppressWarnings("unchecked")
        DmaBuf buf = f.exporter.export(ExportInfo.builder((DmaBufOps<Object>) ops, priv, size).build());
        int fd = buf.fd(0);
        int ifd = f.importer.receive(f.exporter.send(fd));
        f.exporter.close(); // the exporter stops; the importer still holds the buffer
        return ifd;
    }

    @Test
    void device_memory_is_served_at_the_buffers_exact_size() {
        DeviceMemory m = f.exporter.heap("system").allocateMemory(NV12_VGA);
        assertThat(m.size()).as("whole pages").isGreaterThan(NV12_VGA);
        m.segment().asSlice(0, NV12_VGA).fill((byte) 7);
        int ifd = orphaned(m, exactOps(NV12_VGA), NV12_VGA);
        DmaBuf b = f.importer.get(ifd);

        Attachment a = b.attach(f.igpu);
        Mapping map = a.mapAttachment(DmaDirection.FROM_DEVICE);
        assertThat(map.segment().byteSize()).isEqualTo(NV12_VGA);
        assertThat(map.segment().get(ValueLayout.JAVA_BYTE, NV12_VGA - 1)).isEqualTo((byte) 7);
        a.unmapAttachment(map);
        b.detach(a);
        MemorySegment v = b.vmap();
        assertThat(v.byteSize()).isEqualTo(NV12_VGA);
        b.vunmap(v);
        assertThat(b.mmap(4096, NV12_VGA - 4096).byteSize()).isEqualTo(NV12_VGA - 4096);

        b.put();
        f.importer.close(ifd);
        assertThat(f.core.bufferCount()).as("released, once").isZero();
        assertThat(f.systemPages.usedBytes()).as("the pages are back").isZero();
    }

    @Test
    void memory_the_framework_does_not_know_fails_with_ENODEV_naming_why() {
        Pages own = f.systemPages.allocate(4096);
        DmaBufOps<Pages> ops = DmaBufOps.<Pages>builder().map((p, a, d) -> p.segment()).unmap((p, a, s, d) -> { })
                .release(Pages::free).build();
        int ifd = orphaned(own, ops, 4096);
        DmaBuf b = f.importer.get(ifd);
        assertErrno(() -> b.attach(f.igpu), Errno.ENODEV, "exporter exporter has stopped",
                "private data is a Pages", "the DeviceMemory it was allocated as its private data");
        b.put();
        f.importer.close(ifd);
        assertThat(f.systemPages.usedBytes()).as("release still asked the stopped exporter to free it").isZero();
    }
}
