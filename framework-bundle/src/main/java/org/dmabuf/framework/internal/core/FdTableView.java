// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.FileDescriptors;

/**
 * The fd calls every published view offers ({@link FileDescriptors}: the
 * bundle's one fd table, whichever service it came through), delegated to
 * the bundle's {@link LoadedModule}.
 */
abstract class FdTableView implements FileDescriptors {
    /** The bundle's module. */
    final LoadedModule module;

    FdTableView(LoadedModule module) {
        this.module = module;
    }

    @Override
    public final int dup(int fd) {
        return module.dup(fd);
    }

    @Override
    public final void close(int fd) {
        module.close(fd);
    }

    @Override
    public final FdTransfer send(int fd) {
        return module.send(fd);
    }

    @Override
    public final int receive(FdTransfer transfer) {
        return module.receive(transfer);
    }

    @Override
    public final int[] fds() {
        return module.fds();
    }
}
