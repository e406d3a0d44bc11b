// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBuf;
import org.junit.jupiter.api.Test;

/** Each module's heap memory, as the dmem cgroup's current: charged at allocation, uncharged when freed. */
class HeapAccountingTest {
    private final Fixture f = new Fixture();

    @Test
    void a_module_is_charged_whole_pages_until_the_memory_is_back() {
        int fd = f.importer.heap("system").allocate(5000);
        DeviceMemory m = f.importer.heap("default_cma_region").allocateMemory(4096);
        assertThat(f.importer.heapBytes()).as("two pages and one page").isEqualTo(3 * 4096);
        assertThat(f.exporter.heapBytes()).isZero();
        assertThat(f.core.heapBytes()).containsEntry(11L, 3L * 4096);

        m.free();
        assertThat(f.importer.heapBytes()).isEqualTo(2 * 4096);
        DmaBuf b = f.importer.get(fd);
        int sent = f.importer.dup(fd);
        f.importer.close(fd);
        b.put();
        assertThat(f.importer.heapBytes()).as("still held through another fd").isEqualTo(2 * 4096);
        f.importer.close(sent);
        assertThat(f.importer.heapBytes()).as("released").isZero();
    }

    @Test
    void a_module_past_its_max_gets_ENOMEM_and_nothing_changes() {
        f.core.heapMax(java.util.Map.of("importer", 8192L));
        int fd = f.importer.heap("system").allocate(8192);
        int fds = f.importer.fds().length;
        long used = f.systemPages.usedBytes();
        HandleTest.assertErrno(() -> f.importer.heap("system").allocate(1), org.dmabuf.api.Errno.ENOMEM,
                "module importer holds 8192 bytes of heap memory, and 4096 more would pass its max of 8192",
                "expected at most 0 bytes");
        HandleTest.assertErrno(() -> f.importer.heap("system").allocateMemory(4096), org.dmabuf.api.Errno.ENOMEM,
                "its max of 8192");
        assertThat(f.importer.fds()).hasSize(fds);
        assertThat(f.systemPages.usedBytes()).isEqualTo(used);
        assertThat(f.importer.heapBytes()).isEqualTo(8192);
        assertThat(f.exporter.heap("system").allocate(4096)).as("another module has no max").isPositive();
        f.importer.close(fd);
        f.importer.close(f.importer.heap("system").allocate(8192)); // room again
    }

    @Test
    void the_allocator_stays_charged_while_another_module_holds_its_memory() {
        int fd = f.exporter.heap("system").allocate(4096);
        int theirs = f.importer.receive(f.exporter.send(fd));
        f.exporter.close(fd);
        assertThat(f.exporter.heapBytes()).as("allocated by the exporter, held by the importer").isEqualTo(4096);
        assertThat(f.importer.heapBytes()).isZero();
        f.importer.close(theirs);
        assertThat(f.exporter.heapBytes()).isZero();
    }
}
