// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.device.DeviceInfo;
import org.junit.jupiter.api.Test;

/** The driver core's list of devices: device_add, device_del, and what is tied to a device. */
class DeviceTableTest {
    private final DeviceTable table = new DeviceTable();

    private static DeviceInfo gpu(String name) {
        return DeviceInfo.builder(name).ids(0x1002, 0x73bf).model("test GPU").build();
    }

    private static void assertErrno(Runnable call, Errno errno, String... parts) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(DmaBufException.class, e -> {
            assertThat(e.errno()).isEqualTo(errno);
            assertThat(e.getMessage()).contains(parts);
        });
    }

    @Test
    void a_second_device_of_a_name_is_EEXIST_and_the_table_keeps_the_first() {
        KernelDevice first = table.add(gpu("0000:03:00.0"));
        assertErrno(() -> table.add(gpu("0000:03:00.0")), Errno.EEXIST, "0000:03:00.0 is present already");
        assertThat(table.list()).containsExactly(first);
        assertThat(first.isPresent()).isTrue();
    }

    @Test
    void no_info_is_EINVAL() {
        assertErrno(() -> table.add(null), Errno.EINVAL, "info is null");
        assertThat(table.list()).isEmpty();
    }

    @Test
    void unplug_runs_each_handler_once_even_when_one_throws_and_a_late_handler_at_once() {
        KernelDevice d = table.add(gpu("gpu0"));
        List<String> ran = new ArrayList<>();
        DeviceTable.whenUnplugged(d, () -> ran.add("fences"));
        DeviceTable.whenUnplugged(d, () -> {
            throw new IllegalStateException("a careless handler");
        });
        DeviceTable.whenUnplugged(d, () -> ran.add("heap"));
        table.remove(d);
        table.remove(d); // twice: nothing more
        assertThat(ran).containsExactly("fences", "heap");
        assertThat(d.isPresent()).isFalse();
        assertThat(table.list()).isEmpty();
        DeviceTable.whenUnplugged(d, () -> ran.add("late"));
        assertThat(ran).containsExactly("fences", "heap", "late");
    }

    @Test
    void the_name_is_free_again_after_unplug() {
        KernelDevice old = table.add(gpu("gpu0"));
        table.remove(old);
        KernelDevice again = table.add(gpu("gpu0"));
        assertThat(again).isNotSameAs(old);
        assertThat(again.isPresent()).isTrue();
        assertThat(old.isPresent()).isFalse();
    }

    @Test
    void await_waits_for_the_announcement_and_for_the_unplug() throws Exception {
        KernelDevice d = table.add(gpu("gpu0"));
        assertThat(table.await("gpu0", true, 10)).as("added, drivers not yet probed").isFalse();
        CompletableFuture<Boolean> in = CompletableFuture.supplyAsync(() -> awaitQuietly("gpu0", true));
        table.announced(d);
        assertThat(in.get(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Boolean> out = CompletableFuture.supplyAsync(() -> awaitQuietly("gpu0", false));
        table.remove(d);
        assertThat(out.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(table.await("gpu0", true, 10)).isFalse();
    }

    private boolean awaitQuietly(String name, boolean in) {
        try {
            return table.await(name, in, 10_000);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void a_device_the_framework_did_not_make_is_EINVAL() {
        Device foreign = new Device() {
            public String name() {
                return "fake";
            }

            public int vendorId() {
                return 0x8086;
            }

            public int deviceId() {
                return 1;
            }

            public String model() {
                return "fake";
            }

            public boolean iommu() {
                return true;
            }

            public boolean isPresent() {
                return true;
            }
        };
        assertErrno(() -> DeviceTable.ours(foreign, "dma_buf_attach"), Errno.EINVAL, "fake is not a device of this"
                + " framework");
        assertErrno(() -> DeviceTable.ours(null, "dma_buf_attach"), Errno.EINVAL, "is null");
    }

    @Test
    void device_info_names_what_is_wrong() {
        assertErrno(() -> DeviceInfo.builder("bad name"), Errno.EINVAL, "name 'bad name'", "letters, digits");
        assertErrno(() -> DeviceInfo.builder("x".repeat(65)), Errno.EINVAL, "expected 1 to 64");
        assertErrno(() -> DeviceInfo.builder("gpu").ids(0x10000, 1), Errno.EINVAL, "16-bit PCI ids");
        assertErrno(() -> DeviceInfo.builder("gpu").model("m".repeat(129)), Errno.EINVAL, "at most 128");
        for (String reserved : new String[] {"dmabuf.vendor", "dmabuf.provider", "service.ranking", "objectClass"}) {
            assertErrno(() -> DeviceInfo.builder("gpu").property(reserved, "x"), Errno.EINVAL, "is reserved");
        }
        assertErrno(() -> DeviceInfo.builder("gpu").property("dmabuf.engines", List.of("render")), Errno.EINVAL,
                "expected a String, Number, Boolean or String[]");
        String[] engines = {"render"};
        DeviceInfo info = DeviceInfo.builder("gpu").property("dmabuf.engines", engines).build();
        engines[0] = "changed";
        assertThat((String[]) info.properties().get("dmabuf.engines")).containsExactly("render");
    }
}
