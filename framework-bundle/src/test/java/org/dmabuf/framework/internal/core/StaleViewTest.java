// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import org.dmabuf.api.device.DeviceInfo;
import org.dmabuf.framework.internal.device.DeviceTable;
import org.dmabuf.framework.internal.device.KernelDevice;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Heap;
import org.dmabuf.framework.internal.heap.PageHeap;
import org.dmabuf.framework.internal.memory.PageAllocator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * After release, a view kept by a careless driver must never read another
 * buffer's data nor crash the JVM; once the memory is freed it fails with
 * an exception.
 */
class StaleViewTest {

    private static final KernelDevice GPU =
            new DeviceTable().add(DeviceInfo.builder("gpu").ids(1, 1).model("gpu").iommu(true).build());

    /** Allocates, keeps a device view, and releases everything but the view. */
    static MemorySegment staleView(LoadedModule m, Heap heap, long size, byte fill, List<Integer> keepFds) {
        int fd = heap.allocate(size);
        DmaBuf b = m.get(fd);
        var a = b.attach(GPU);
        var map = a.mapAttachment(DmaDirection.BIDIRECTIONAL);
        MemorySegment view = map.segment();
        view.fill(fill);
        b.detach(a);
        b.put();
        if (keepFds == null) {
            m.close(fd);
        } else {
            keepFds.add(fd);
        }
        return view;
    }

    @Test
    @DisplayName("a large buffer has its own arena: its stale view fails at once")
    void large_buffer_view_fails_after_release() {
        Fixture f = new Fixture();
        MemorySegment view = staleView(f.importer, f.importer.heap("system"), 2L << 20, (byte) 1, null);
        assertThat(f.core.bufferCount()).isZero();
        assertThatThrownBy(() -> view.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(f.systemPages.reservedBytes()).isZero();
    }

    @Test
    @DisplayName("in debug mode every buffer has its own arena: a small stale view fails at once")
    void debug_mode_small_view_fails_after_release() {
        PageAllocator debug = new PageAllocator("system", 1L << 30, true);
        DmaBufCore core = new DmaBufCore(List.of(new PageHeap("system", false, debug)));
        LoadedModule m = core.openModule("m", 1);
        MemorySegment view = staleView(m, m.heap("system"), 4096, (byte) 1, null);
        assertThatThrownBy(() -> view.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThat(debug.reservedBytes()).isZero();
    }

    @Test
    @DisplayName("a small stale view reads only its own old bytes, then fails once its slab is freed")
    void small_buffer_view_is_never_someone_elses() {
        Fixture f = new Fixture();
        Heap system = f.importer.heap("system");
        MemorySegment stale = staleView(f.importer, system, 4096, (byte) 0x11, null);
        List<Integer> others = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            staleView(f.importer, system, 4096, (byte) 0x22, others); // still referenced by their fds
        }
        for (long off = 0; off < 4096; off++) {
            assertThat(stale.get(ValueLayout.JAVA_BYTE, off)).as("byte %d of the stale view", off)
                    .isEqualTo((byte) 0x11);
        }
        others.forEach(f.importer::close);
        f.systemPages.trim(); // nothing live: the slab is closed, one handshake for all
        assertThat(f.systemPages.reservedBytes()).isZero();
        assertThatThrownBy(() -> stale.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("a full slab closes as soon as its last buffer is released")
    void full_slab_closes_with_its_last_buffer() {
        Fixture f = new Fixture();
        Heap system = f.importer.heap("system");
        int perSlab = (int) (PageAllocator.SLAB / 4096);
        List<Integer> fds = new ArrayList<>();
        MemorySegment first = null;
        for (int i = 0; i < perSlab + 1; i++) { // the last one opens the next slab and retires the first
            int fd = system.allocate(4096);
            fds.add(fd);
            if (first == null) {
                first = f.importer.get(fd).vmap();
            }
        }
        assertThat(f.systemPages.reservedBytes()).isEqualTo(2 * PageAllocator.SLAB);
        f.importer.close(); // drops every fd, the vmap and its reference
        assertThat(f.systemPages.reservedBytes()).as("the retired slab is freed").isEqualTo(PageAllocator.SLAB);
        MemorySegment view = first;
        assertThatThrownBy(() -> view.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }
}
