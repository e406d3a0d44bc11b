// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class ScriptRunnerTest {
    @Test
    void one_command_per_line_without_blanks_and_comments() throws Exception {
        assertThat(ScriptRunner.commands("""
                # a comment
                lb

                  dmabuf:bufinfo  \r
                """)).containsExactly("lb", "dmabuf:bufinfo");
    }

    @Test
    void open_braces_continue_on_the_next_line() throws Exception {
        assertThat(ScriptRunner.commands("""
                each [1 2] {
                  echo $it
                }
                echo "a { in quotes"
                """)).containsExactly("each [1 2] {\n  echo $it\n}", "echo \"a { in quotes\"");
    }

    @Test
    void variables_of_the_configuration_are_substituted() {
        Path home = Path.of("/opt/dmabuf");
        assertThat(Launcher.substitute("file:${dmabuf.home}/bundle/x.jar", home)).isEqualTo("file:/opt/dmabuf/bundle/x.jar");
        assertThatThrownBy(() -> Launcher.substitute("${no.such.property.here}", home))
                .hasMessageContaining("${no.such.property.here} is not set");
    }
}
