// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's half of protocol 1 without a platform (PeerServerTest runs it against the real server). */
class ProtocolTest {
    @Test
    void values_are_percent_encoded_both_ways() {
        byte[] m = PeerClient.encode("GET", "name", "frame 1/é=");
        assertThat(new String(m, StandardCharsets.UTF_8)).isEqualTo("GET name=frame%201%2F%C3%A9%3D");
        PeerClient.Reply r = PeerClient.decode("BUFFER fd=3 name=frame%201%2F%C3%A9%3D".getBytes(StandardCharsets.UTF_8),
                new int[0]);
        assertThat(r.verb()).isEqualTo("BUFFER");
        assertThat(r.args()).containsEntry("fd", "3").containsEntry("name", "frame 1/é=");
    }

    @Test
    void connecting_where_no_platform_listens_fails_clearly(@TempDir Path dir) {
        assertThatThrownBy(() -> PeerClient.connect(dir.resolve("nothing.sock"), "test"))
                .isInstanceOf(PeerException.class).hasMessageContaining("connect " + dir.resolve("nothing.sock"));
    }
}
