// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DmaBufCommandsTest {
    @ParameterizedTest
    @CsvSource({"4096,4096", "4K,4096", "4k,4096", "4KiB,4096", "8M,8388608", "1G,1073741824", " 12 ,12", "3B,3"})
    void sizes(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "K", "four", "1T", "99999999999G", "-"})
    void bad_sizes_name_the_text_and_what_was_expected(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'").hasMessageContaining("expected bytes");
    }
}
