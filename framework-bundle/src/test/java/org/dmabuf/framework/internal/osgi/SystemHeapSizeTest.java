// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The system heap's cap: what the machine can hold, unless configured. */
class SystemHeapSizeTest {
    @Test
    void half_the_machines_memory_unless_configured() {
        assertThat(FrameworkComponent.systemHeapSize(0, 24L << 30)).isEqualTo(12L << 30);
        assertThat(FrameworkComponent.systemHeapSize(1L << 30, 24L << 30)).as("configured").isEqualTo(1L << 30);
        assertThat(FrameworkComponent.systemHeapSize(0, 0)).as("unknown machine")
                .isEqualTo(FrameworkComponent.FALLBACK_SYSTEM_HEAP);
    }

    @Test
    void heap_max_entries_are_bsn_equals_bytes() {
        assertThat(FrameworkComponent.heapMax(new String[] {"acme_gpu=256M", "lima=4K, nvidia = 1G"}))
                .containsExactlyInAnyOrderEntriesOf(java.util.Map.of("acme_gpu", 256L << 20, "lima", 4096L,
                        "nvidia", 1L << 30));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FrameworkComponent.heapMax(new String[] {"256M"}))
                .hasMessage("heap.max entry '256M'; expected bsn=bytes, such as acme_gpu=256M");
    }

    @Test
    void this_jvm_knows_the_machines_memory() {
        assertThat(FrameworkComponent.physicalMemory()).isGreaterThan(0);
    }
}
