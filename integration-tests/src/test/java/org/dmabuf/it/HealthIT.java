// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.apache.felix.hc.api.execution.HealthCheckExecutionOptions;
import org.apache.felix.hc.api.execution.HealthCheckExecutionResult;
import org.apache.felix.hc.api.execution.HealthCheckExecutor;
import org.apache.felix.hc.api.execution.HealthCheckSelector;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.module.ExportPolicy;
import org.dmabuf.api.module.ExportPolicyControl;
import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.PlatformTest;
import org.junit.Test;

/**
 * The platform's health as Felix Health Checks (tag {@code dmabuf}): healthy
 * after what the demos do (frames through every display, console
 * allocations, the policy switched both ways; refused nvidia and the taint
 * are information, not faults), and unhealthy, naming the buffer and its
 * exporter, once a driver's release has failed and leaked its memory; the
 * same through the console's {@code hc:exec dmabuf}.
 */
public class HealthIT extends PlatformTest {

    private Map<String, Result> health() throws Exception {
        HealthCheckExecutor hc = await(HealthCheckExecutor.class, "");
        Map<String, Result> out = new TreeMap<>();
        HealthCheckExecutionOptions now = new HealthCheckExecutionOptions().setForceInstantExecution(true);
        for (HealthCheckExecutionResult r : hc.execute(HealthCheckSelector.tags("dmabuf"), now)) {
            out.put(r.getHealthCheckMetadata().getName(), r.getHealthCheckResult());
        }
        return out;
    }

    private static String describe(Map<String, Result> health) {
        StringBuilder s = new StringBuilder();
        health.forEach((name, r) -> {
            s.append(name).append(": ").append(r.getStatus()).append('\n');
            for (ResultLog.Entry e : r) {
                s.append("  ").append(e.getStatus()).append(' ').append(e.getMessage()).append('\n');
            }
        });
        return s.toString();
    }

    @Test
    public void healthy_after_the_demos_and_unhealthy_naming_a_planted_leak() throws Exception {
        Console console = new Console(context);
        // what the demo scripts do: frames on every display, console allocations, the 2012 policy switch both ways
        console.run("dmabuf:demo optimus 30");
        String fd = console.run("dmabuf:alloc system 64K demo").trim().split("[ :]")[1];
        console.run("dmabuf:close " + fd);
        ExportPolicyControl policy = context.getService(context.getServiceReference(ExportPolicyControl.class));
        policy.switchTo(ExportPolicy.EXPORT_SYMBOL).toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        console.run("dmabuf:demo optimus 30"); // nvidia renders, i915 shows it
        console.run("dmabuf:demo tegra 30");
        policy.switchTo(ExportPolicy.GPL_ONLY).toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);

        Map<String, Result> health = health();
        assertEquals(describe(health), List.of("DMA-BUF fences and locks", "DMA-BUF heaps", "DMA-BUF memory",
                "DMA-BUF modules"), List.copyOf(health.keySet()));
        assertTrue(describe(health), health.values().stream().allMatch(Result::isOk));
        assertTrue(describe(health), describe(health).contains("nvidia is refused by the licence gate under the"
                + " gpl-only policy"));
        String hcExec = console.run("hc:exec dmabuf");
        assertTrue(hcExec, hcExec.contains("DMA-BUF memory") && !hcExec.contains("CRITICAL"));

        // a driver whose release fails: its memory is leaked, and the health says which buffer and whose
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        Arena arena = Arena.ofShared();
        DmaBufOps<Arena> ops = DmaBufOps.<Arena>builder()
                .map((a, at, dir) -> a.allocate(4096))
                .unmap((a, at, seg, dir) -> { })
                .release(a -> {
                    throw new IllegalStateException("driver bug: double free");
                }).build();
        DmaBuf leak = dmabuf.export(ExportInfo.builder(ops, arena, 4096).expName("leaky").build());
        long ino = leak.inode();
        leak.put();
        health = health();
        Result memory = health.get("DMA-BUF memory");
        assertEquals(describe(health), Result.Status.CRITICAL, memory.getStatus());
        assertTrue(describe(health), describe(health).contains("ino " + ino + ", 4096 bytes, exporter leaky: release"
                + " failed (java.lang.IllegalStateException: driver bug: double free); its memory is not back"));
        hcExec = console.run("hc:exec dmabuf");
        assertTrue(hcExec, hcExec.contains("CRITICAL") && hcExec.contains("ino " + ino));
        arena.close(); // the test's own memory: the platform still lists the buffer, as the kernel would
    }
}
