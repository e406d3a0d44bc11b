// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.woven;

import java.lang.invoke.MethodHandles.Lookup;
import java.util.List;
import java.util.Map;

import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.FileDescriptors;
import org.dmabuf.api.Heap;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.fence.SyncFileInfo;
import org.dmabuf.framework.internal.core.WovenCalls;

/**
 * What the framework's weaving hook makes modules call instead of the guarded
 * methods of their views (docs/security.md): the receiver, the call's
 * arguments, and a full-privilege lookup of the calling class, which proves
 * who calls. Not for code to call by hand: a lookup of another class than
 * the caller's own proves nothing, and the call is then judged by the stack.
 * The framework exports this package for woven classes alone; it is not API.
 */
public final class Woven {
    private Woven() {
    }

    /** @see WovenCalls */
    public static int dup(FileDescriptors v, int fd, Lookup l) {
        return WovenCalls.dup(v, fd, l);
    }

    /** @see WovenCalls */
    public static void close(FileDescriptors v, int fd, Lookup l) {
        WovenCalls.close(v, fd, l);
    }

    /** @see WovenCalls */
    public static FdTransfer send(FileDescriptors v, int fd, Lookup l) {
        return WovenCalls.send(v, fd, l);
    }

    /** @see WovenCalls */
    public static int receive(FileDescriptors v, FdTransfer transfer, Lookup l) {
        return WovenCalls.receive(v, transfer, l);
    }

    /** @see WovenCalls */
    public static int[] fds(FileDescriptors v, Lookup l) {
        return WovenCalls.fds(v, l);
    }

    /** @see WovenCalls */
    public static DmaBuf export(DmaBufService v, ExportInfo<?> info, Lookup l) {
        return WovenCalls.export(v, info, l);
    }

    /** @see WovenCalls */
    public static DmaBuf get(DmaBufService v, int fd, Lookup l) {
        return WovenCalls.get(v, fd, l);
    }

    /** @see WovenCalls */
    public static Heap heap(DmaBufService v, String name, Lookup l) {
        return WovenCalls.heap(v, name, l);
    }

    /** @see WovenCalls */
    public static List<Heap> heaps(DmaBufService v, Lookup l) {
        return WovenCalls.heaps(v, l);
    }

    /** @see WovenCalls */
    public static int shareWithProcesses(DmaBufService v, String stream, DmaBuf buf, Map<String, String> attributes,
            Lookup l) {
        return WovenCalls.shareWithProcesses(v, stream, buf, attributes, l);
    }

    /** @see WovenCalls */
    public static int syncFileCreate(DmaFenceService v, DmaFence fence, Lookup l) {
        return WovenCalls.syncFileCreate(v, fence, l);
    }

    /** @see WovenCalls */
    public static DmaFence syncFileGetFence(DmaFenceService v, int fd, Lookup l) {
        return WovenCalls.syncFileGetFence(v, fd, l);
    }

    /** @see WovenCalls */
    public static int syncFileMerge(DmaFenceService v, String name, int fd1, int fd2, Lookup l) {
        return WovenCalls.syncFileMerge(v, name, fd1, fd2, l);
    }

    /** @see WovenCalls */
    public static SyncFileInfo syncFileInfo(DmaFenceService v, int fd, Lookup l) {
        return WovenCalls.syncFileInfo(v, fd, l);
    }

    /** @see WovenCalls */
    public static void syncFileSetDeadline(DmaFenceService v, int fd, long deadlineNanos, Lookup l) {
        WovenCalls.syncFileSetDeadline(v, fd, deadlineNanos, l);
    }

    /** @see WovenCalls */
    public static int allocate(Heap h, long len, int fdFlags, long heapFlags, Lookup l) {
        return WovenCalls.allocate(h, len, fdFlags, heapFlags, l);
    }

    /** @see WovenCalls */
    public static int allocate(Heap h, long len, Lookup l) {
        return WovenCalls.allocate(h, len, l);
    }

    /** @see WovenCalls */
    public static DeviceMemory allocateMemory(Heap h, long len, Lookup l) {
        return WovenCalls.allocateMemory(h, len, l);
    }
}
