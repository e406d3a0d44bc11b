// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.FileDescriptors;

/**
 * The fd calls every published view offers ({@link FileDescriptors}: the
 * bundle's one fd table, whichever service it came through), delegated to
 * the bundle's {@link LoadedModule}. Each is the owner's alone, and the
 * libraries' it links ({@link FdCallers}): called here, not woven, the stack
 * says who calls; woven calls come through {@link WovenCalls}.
 */
abstract class FdTableView implements FileDescriptors {
    /** The bundle's module. */
    final LoadedModule module;

    FdTableView(LoadedModule module) {
        this.module = module;
    }

    @Override
    public final int dup(int fd) {
        FdCallers.unwoven(module, "dup", fd);
        return module.dup(fd);
    }

    @Override
    public final void close(int fd) {
        FdCallers.unwoven(module, "close", fd);
        module.close(fd);
    }

    @Override
    public final FdTransfer send(int fd) {
        FdCallers.unwoven(module, "send", fd);
        return module.send(fd);
    }

    @Override
    public final int receive(FdTransfer transfer) {
        FdCallers.unwoven(module, "receive", -1);
        return module.receive(transfer);
    }

    @Override
    public final void checkLibraryCaller() {
        FdCallers.library(module);
    }

    @Override
    public final int[] fds() {
        FdCallers.unwoven(module, "fds", -1);
        return module.fds();
    }
}
