// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A board file read as FileInstall reads a device's .cfg: typed where the device configuration needs it. */
class BoardTest {
    @TempDir
    Path dir;

    @Test
    void the_shipped_board_reads_as_four_devices_and_a_known_kind() throws Exception {
        Path board = Path.of("..", "distribution", "src", "main", "dist", "etc", "board");
        int plugged = 0;
        int known = 0;
        try (var files = Files.newDirectoryStream(board, "*.cfg")) {
            for (Path f : files) {
                Hashtable<String, Object> p = Board.read(f);
                assertThat(p).containsKeys("name", "kind", "vendor", "device", "model", "engines");
                SimulatedGpu.parseId((String) p.get("vendor"));
                SimulatedGpu.parseId((String) p.get("device"));
                if (Boolean.FALSE.equals(p.get("plugged"))) {
                    known++;
                } else {
                    plugged++;
                }
            }
        }
        assertThat(plugged).as("Iris Xe, RTX 3060, Tegra K1 display and GPU").isEqualTo(4);
        assertThat(known).as("Mali, for dmabuf:plug mali").isEqualTo(1);
    }

    @Test
    void values_are_typed_and_engines_split() throws Exception {
        Path f = dir.resolve("org.dmabuf.device-x.cfg");
        Files.writeString(f, "name=gpu0\nkind=x\nvendor=0x10de\ndevice=0x2520\nvram=268435456\niommu=false\n"
                + "plugged=false\nengines=render, display\n");
        Hashtable<String, Object> p = Board.read(f);
        assertThat(p.get("vram")).isEqualTo(268435456L);
        assertThat(p.get("iommu")).isEqualTo(false);
        assertThat(p.get("plugged")).isEqualTo(false);
        assertThat((String[]) p.get("engines")).containsExactly("render", "display");
    }

    @Test
    void a_file_without_an_id_or_with_a_bad_vram_names_what_is_wrong() throws Exception {
        Path noDevice = dir.resolve("a.cfg");
        Files.writeString(noDevice, "name=gpu0\nvendor=0x10de\n");
        assertThatThrownBy(() -> Board.read(noDevice)).hasMessage("no device; expected name, vendor and device");
        Path badVram = dir.resolve("b.cfg");
        Files.writeString(badVram, "name=gpu0\nvendor=0x10de\ndevice=1\nvram=lots\n");
        assertThatThrownBy(() -> Board.read(badVram)).hasMessage("vram 'lots' is not a number of bytes");
        assertThatThrownBy(() -> SimulatedGpu.parseId("0xzz")).hasMessageContaining("'0xzz' is not a number");
    }
}
