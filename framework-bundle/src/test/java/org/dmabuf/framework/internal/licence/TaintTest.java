// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.licence;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TaintTest {
    final Taint taint = new Taint();

    @Test
    void starts_clean() {
        assertThat(taint.line()).isEqualTo("Not tainted");
        assertThat(taint.value()).isZero();
        assertThat(taint.moduleLabel("i915")).isEqualTo("i915");
    }

    @Test
    void letters_bits_and_module_labels_as_the_kernel_prints_them() {
        taint.add("nvidia", Taint.Flag.OOT_MODULE);
        taint.add("nvidia", Taint.Flag.PROPRIETARY_MODULE);
        assertThat(taint.line()).isEqualTo("Tainted: P O");
        assertThat(taint.value()).isEqualTo(1L | 1L << 12);
        assertThat(taint.moduleLabel("nvidia")).isEqualTo("nvidia(PO)");
        assertThat(taint.decoded()).containsExactly("Tainted: P O  (/proc/sys/kernel/tainted = 4097)",
                " * P: proprietary module was loaded (#0)",
                " * O: externally-built (\"out-of-tree\") module was loaded (#12)");
    }

    @Test
    void is_sticky() {
        assertThat(taint.add("x", Taint.Flag.OOT_MODULE)).isTrue();
        assertThat(taint.add("x", Taint.Flag.OOT_MODULE)).isFalse();
        assertThat(taint.flags()).containsExactly(Taint.Flag.OOT_MODULE);
    }
}
