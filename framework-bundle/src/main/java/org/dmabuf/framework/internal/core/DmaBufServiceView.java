// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.util.List;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.Heap;

/**
 * The object a bundle gets as its {@link DmaBufService}: its {@link LoadedModule},
 * behind a final class whose public methods are exactly the interface's, so
 * that the service object, cast or reflected upon, can do no more than the
 * interface says (a module's own bookkeeping, {@code close} at rmmod, stays
 * the framework's). One call more per entry point, which the JIT inlines.
 */
public final class DmaBufServiceView extends FdTableView implements DmaBufService {

    /** @param module the bundle's module */
    public DmaBufServiceView(LoadedModule module) {
        super(module);
    }

    @Override
    public <T> DmaBuf export(ExportInfo<T> info) {
        FdCallers.unwoven(module, "export", -1);
        return module.export(info);
    }

    @Override
    public DmaBuf get(int fd) {
        FdCallers.unwoven(module, "get", fd);
        return module.get(fd);
    }

    @Override
    public Heap heap(String name) {
        FdCallers.unwoven(module, "heap", -1);
        return module.heap(name);
    }

    @Override
    public List<Heap> heaps() {
        FdCallers.unwoven(module, "heaps", -1);
        return module.heaps();
    }

    @Override
    public boolean processesWatch(String stream) {
        return module.processesWatch(stream);
    }

    @Override
    public int shareWithProcesses(String stream, DmaBuf buf, java.util.Map<String, String> attributes) {
        FdCallers.unwoven(module, "shareWithProcesses", -1);
        return module.shareWithProcesses(stream, buf, attributes);
    }

    @Override
    public String toString() {
        return module.toString();
    }
}
