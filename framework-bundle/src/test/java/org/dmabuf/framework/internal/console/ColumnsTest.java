// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Console tables as wide as their widest cell: a long name shifts its own column only. */
class ColumnsTest {

    @Test
    void each_column_is_as_wide_as_its_widest_cell_numbers_to_the_right_the_last_unpadded() {
        String t = new Columns("Id>", "Module", "Licence", "Used by")
                .row(3, "i915", "GPL", "0")
                .row(42, "a_very_long_module_name(PO)", "Proprietary", "1 i915")
                .toString();
        assertThat(t).isEqualTo("""
                Id  Module                       Licence      Used by
                 3  i915                         GPL          0
                42  a_very_long_module_name(PO)  Proprietary  1 i915
                """);
    }

    @Test
    void a_row_of_the_wrong_width_is_refused() {
        assertThatThrownBy(() -> new Columns("a", "b").row("x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("1 cells; expected 2");
    }
}
