// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import org.dmabuf.framework.internal.fence.SyncFile;

/**
 * What an fd table holds: dma-bufs ({@link DmaBufObject}), sync files
 * ({@link SyncFile}) and the standard streams. One reference per fd.
 */
final class Files {
    private Files() {
    }

    /** Takes another reference to the file (dup, send). */
    static void acquire(Object f) {
        if (f instanceof DmaBufObject b) {
            b.getRef();
        } else if (f instanceof SyncFile s) {
            s.fence().get();
        }
    }

    /** Drops a reference to the file (close, a transfer cancelled). */
    static void release(Object f) {
        if (f instanceof DmaBufObject b) {
            b.put();
        } else if (f instanceof SyncFile s) {
            s.fence().put();
        }
    }

    /** @return the file's inode number, or -1 for a standard stream */
    static long ino(Object f) {
        if (f instanceof DmaBufObject b) {
            return b.ino;
        }
        return f instanceof SyncFile s ? s.ino() : -1;
    }

    /** @return what the file is, for messages: "stdin", "a sync file", "a dma-buf" */
    static String describe(Object f) {
        if (f instanceof FdTable.StdStream s) {
            return s.name().toLowerCase(java.util.Locale.ROOT);
        }
        return f instanceof SyncFile ? "a sync file" : "a dma-buf";
    }
}
