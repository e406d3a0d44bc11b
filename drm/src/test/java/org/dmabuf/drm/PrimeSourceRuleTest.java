// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.drm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.dmabuf.api.Device;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.display.FrameFormat;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.fence.DmaFence;
import org.junit.jupiter.api.Test;

/**
 * The PRIME source rule of {@link ScanoutEngine#offer}: which render node a
 * display shows. Only the choice is exercised here (no frame is scanned out);
 * the pipelines themselves run in the integration tests.
 */
class PrimeSourceRuleTest {
    private record Dev(String name) implements Device {
        public int vendorId() {
            return 0x10de;
        }

        public int deviceId() {
            return 1;
        }

        public String model() {
            return name;
        }

        public boolean iommu() {
            return true;
        }

        public boolean isPresent() {
            return true;
        }
    }

    private record Node(String driver, Device device) implements RenderNode {
        public List<FdTransfer> createSwapchain(String id, FrameFormat format, int count) {
            throw new UnsupportedOperationException("the rule only chooses");
        }

        public DmaFence render(String id, int index, long frame) {
            throw new UnsupportedOperationException("the rule only chooses");
        }

        public void destroySwapchain(String id) {
        }
    }

    private static Map<String, Object> props(long id, int ranking) {
        return Map.of("service.id", id, "service.ranking", ranking);
    }

    private final Dev igpu = new Dev("0000:00:02.0");
    private final ScanoutEngine intel = new ScanoutEngine("i915", igpu, null, FrameFormat.VGA,
            new Node("i915", igpu));

    @Test
    void a_node_on_the_displays_own_bus_beats_an_older_one_on_another() {
        intel.offer(new Node("nvidia", new Dev("57000000.gpu")), props(5, 0));
        intel.offer(new Node("nvidia", new Dev("0000:01:00.0")), props(9, 0));
        assertThat(intel.source()).isEqualTo("nvidia 0000:01:00.0 (PRIME)");
    }

    @Test
    void ranking_comes_first_then_the_bus_then_age() {
        Node soc = new Node("lima", new Dev("1c40000.gpu"));
        intel.offer(new Node("nvidia", new Dev("0000:01:00.0")), props(9, 0));
        intel.offer(new Node("amdgpu", new Dev("0000:03:00.0")), props(12, 0));
        assertThat(intel.source()).as("the oldest on the bus").isEqualTo("nvidia 0000:01:00.0 (PRIME)");
        intel.offer(soc, props(20, 10));
        assertThat(intel.source()).as("ranked higher").isEqualTo("lima 1c40000.gpu (PRIME)");
        intel.withdraw(soc);
        assertThat(intel.source()).isEqualTo("nvidia 0000:01:00.0 (PRIME)");
    }

    @Test
    void its_own_devices_node_is_no_prime_source_and_without_others_it_shows_its_own() {
        intel.offer(new Node("i915", igpu), props(3, 100));
        assertThat(intel.source()).isEqualTo("i915 0000:00:02.0 (own)");
        Node dgpu = new Node("nvidia", new Dev("0000:01:00.0"));
        intel.offer(dgpu, props(9, 0));
        intel.withdraw(dgpu);
        assertThat(intel.source()).isEqualTo("i915 0000:00:02.0 (own)");
    }
}
