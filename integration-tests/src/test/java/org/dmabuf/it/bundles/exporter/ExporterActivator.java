// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.exporter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Hashtable;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufOps;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.FdTransfer;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * A test exporter: wraps memory of its own into a buffer with its own
 * callbacks, fills it with a pattern, keeps an fd and offers the buffer to
 * whoever wants it as an {@link FdTransfer} service. It cleans nothing up
 * on stop: the framework must.
 */
public class ExporterActivator implements BundleActivator {
    /** The buffer's size. */
    public static final int SIZE = 64 * 1024;
    /** The buffer's name. */
    public static final String NAME = "shared-frame";

    /** @return the byte at {@code i} of the pattern */
    public static byte pattern(long i) {
        return (byte) (i * 31 + 7);
    }

    @Override
    public void start(BundleContext context) {
        DmaBufService dmabuf = context.getService(context.getServiceReference(DmaBufService.class));
        Arena arena = Arena.ofShared();
        MemorySegment memory = arena.allocate(SIZE, 4096);
        for (long i = 0; i < SIZE; i++) {
            memory.set(ValueLayout.JAVA_BYTE, i, pattern(i));
        }
        DmaBufOps<Arena> ops = DmaBufOps.<Arena>builder()
                .map((a, attachment, dir) -> memory)
                .unmap((a, attachment, seg, dir) -> { })
                .release(Arena::close)
                .build();
        DmaBuf buf = dmabuf.export(ExportInfo.builder(ops, arena, SIZE).expName("test-exporter").build());
        buf.setName(NAME);
        int fd = buf.fd(0);
        FdTransfer transfer = dmabuf.send(fd);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("test.ino", buf.inode());
        context.registerService(FdTransfer.class, transfer, props);
    }

    @Override
    public void stop(BundleContext context) {
        // nothing: the framework drops this bundle's fd
    }
}
