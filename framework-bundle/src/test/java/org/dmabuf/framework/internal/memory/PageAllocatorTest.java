// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PageAllocatorTest {
    final PageAllocator pages = new PageAllocator("test", 1L << 24, false);

    @Test
    void rounds_up_to_pages_and_accounts() {
        Pages p = pages.allocate(1);
        assertThat(p.size()).isEqualTo(4096);
        assertThat(p.requested()).isEqualTo(1);
        assertThat(p.segment().address() % PageAllocator.PAGE_SIZE).as("page aligned").isZero();
        assertThat(pages.usedBytes()).isEqualTo(4096);
        assertThat(pages.liveAllocations()).isEqualTo(1);
        p.free();
        assertThat(pages.usedBytes()).isZero();
        assertThat(pages.liveAllocations()).isZero();
        assertThat(p.isFreed()).isTrue();
    }

    @Test
    void a_second_free_is_refused_and_changes_nothing() {
        Pages p = pages.allocate(4096);
        Pages q = pages.allocate(4096);
        p.free();
        assertThatThrownBy(p::free).isInstanceOf(IllegalStateException.class).hasMessageContaining("freed twice");
        assertThat(pages.usedBytes()).isEqualTo(4096);
        q.free();
    }

    @Test
    void capacity_is_enforced_without_side_effects() {
        Pages p = pages.allocate(1L << 23);
        assertThatThrownBy(() -> pages.allocate(1L << 24)).isInstanceOf(OutOfMemoryError.class)
                .hasMessageContaining("do not fit");
        assertThat(pages.usedBytes()).isEqualTo(1L << 23);
        p.free();
    }

    @Test
    void ranges_of_a_slab_never_overlap() {
        Pages a = pages.allocate(4096);
        Pages b = pages.allocate(8192);
        assertThat(b.segment().address()).isGreaterThanOrEqualTo(a.segment().address() + 4096);
        a.free();
        Pages c = pages.allocate(4096);
        assertThat(c.segment().address()).as("a freed range is not reused while its slab is open")
                .isNotEqualTo(a.segment().address());
        b.free();
        c.free();
        pages.trim();
        assertThat(pages.reservedBytes()).isZero();
    }

    @Test
    void sizes_below_one_are_refused() {
        assertThatThrownBy(() -> pages.allocate(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
