// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.util.List;
import java.util.concurrent.CompletionStage;

import org.dmabuf.api.debugfs.BufferInfo;
import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.api.debugfs.HeapInfo;
import org.dmabuf.api.debugfs.ModuleInfo;
import org.dmabuf.api.module.ExportPolicy;
import org.dmabuf.api.module.ExportPolicyControl;
import org.dmabuf.api.module.ModuleLine;
import org.dmabuf.api.module.ModuleTable;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * The objects the framework publishes for tools, each a final class whose
 * public methods are exactly its interface's: cast to its class, a service
 * object can do no more than the interface says. Internal objects (the core,
 * the gate) are never published; these hold them privately.
 */
final class PublicServices {
    private PublicServices() {
    }

    /** {@code /sys/kernel/debug/dma_buf}: read-only. */
    static final class DebugFs implements DmaBufDebug {
        private final DmaBufCore core;

        DebugFs(DmaBufCore core) {
            this.core = core;
        }

        @Override
        public String bufinfo() {
            return core.bufinfo();
        }

        @Override
        public void bufinfo(Appendable out) throws java.io.IOException {
            core.bufinfo(out);
        }

        @Override
        public List<BufferInfo> buffers() {
            return core.buffers();
        }

        @Override
        public int bufferCount() {
            return core.bufferCount();
        }

        @Override
        public long bufferBytes() {
            return core.bufferBytes();
        }

        @Override
        public long offHeapBytes() {
            return core.offHeapBytes();
        }

        @Override
        public List<ModuleInfo> modules() {
            return core.modules();
        }

        @Override
        public List<HeapInfo> heaps() {
            return core.heaps();
        }

        @Override
        public List<String> debugReports() {
            return org.dmabuf.framework.internal.fence.Lockdep.reports().stream()
                    .map(org.dmabuf.framework.internal.fence.Lockdep.Report::text).toList();
        }

        @Override
        public List<String> holders(long ino) {
            return core.holders(ino);
        }

        @Override
        public String toString() {
            return "dma-buf debugfs";
        }
    }

    /** lsmod, taint, why: read-only. */
    static final class Lsmod implements ModuleTable {
        private final GateService gate;
        private final DmaBufCore core;
        private final BundleContext context;

        Lsmod(GateService gate, DmaBufCore core, BundleContext context) {
            this.gate = gate;
            this.core = core;
            this.context = context;
        }

        @Override
        public ExportPolicy policy() {
            return gate.gate().policy();
        }

        @Override
        public List<String> taint() {
            return gate.gate().taint().decoded();
        }

        @Override
        public List<ModuleLine> modules() {
            return gate.modules(core.users(), core.heapBytes());
        }

        @Override
        public List<String> why(long bundleId) {
            Bundle b = context.getBundle(bundleId);
            return b == null ? List.of() : gate.why(b);
        }

        @Override
        public String toString() {
            return "dma-buf modules";
        }
    }

    /** The policy switch. */
    static final class PolicySwitch implements ExportPolicyControl {
        private final GateService gate;

        PolicySwitch(GateService gate) {
            this.gate = gate;
        }

        @Override
        public CompletionStage<Switch> switchTo(ExportPolicy to) {
            if (to == null) {
                throw new IllegalArgumentException("export policy null; expected gpl-only or export-symbol");
            }
            return gate.switchTo(to).minimalCompletionStage();
        }

        @Override
        public String toString() {
            return "dma-buf export policy";
        }
    }
}
