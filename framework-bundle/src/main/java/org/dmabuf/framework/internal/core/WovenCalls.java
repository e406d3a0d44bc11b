// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.lang.invoke.MethodHandles.Lookup;
import java.util.List;
import java.util.Map;

import org.dmabuf.api.DeviceMemory;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.ExportInfo;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.Fcntl;
import org.dmabuf.api.FileDescriptors;
import org.dmabuf.api.Heap;
import org.dmabuf.api.fence.DmaFence;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.fence.SyncFileInfo;

/**
 * The guarded calls as the weaving hook rewrites them in modules' classes:
 * the receiver first, the call's own arguments, and the caller's full-privilege
 * lookup last ({@code MethodHandles.lookup()}, made in the calling class). On a
 * view of ours the caller is judged by its class ({@link FdCallers}) and the
 * call goes to the module; on any other implementation of the interface the
 * call is made as written.
 */
public final class WovenCalls {
    private WovenCalls() {
    }

    public static int dup(FileDescriptors v, int fd, Lookup l) {
        if (v instanceof FdTableView t) {
            FdCallers.woven(t.module, l, "dup", fd);
            return t.module.dup(fd);
        }
        return v.dup(fd);
    }

    public static void close(FileDescriptors v, int fd, Lookup l) {
        if (v instanceof FdTableView t) {
            FdCallers.woven(t.module, l, "close", fd);
            t.module.close(fd);
        } else {
            v.close(fd);
        }
    }

    public static FdTransfer send(FileDescriptors v, int fd, Lookup l) {
        if (v instanceof FdTableView t) {
            FdCallers.woven(t.module, l, "send", fd);
            return t.module.send(fd);
        }
        return v.send(fd);
    }

    public static int receive(FileDescriptors v, FdTransfer transfer, Lookup l) {
        if (v instanceof FdTableView t) {
            FdCallers.woven(t.module, l, "receive", -1);
            return t.module.receive(transfer);
        }
        return v.receive(transfer);
    }

    public static int[] fds(FileDescriptors v, Lookup l) {
        if (v instanceof FdTableView t) {
            FdCallers.woven(t.module, l, "fds", -1);
            return t.module.fds();
        }
        return v.fds();
    }

    public static DmaBuf export(DmaBufService v, ExportInfo<?> info, Lookup l) {
        if (v instanceof FdTableView t) {
            FdCallers.woven(t.module, l, "export", -1);
            return t.module.export(info);
        }
        return v.export(info);
    }

    public static DmaBuf get(DmaBufService v, int fd, Lookup l) {
        if (v instanceof FdTableView t) {
            FdCallers.woven(t.module, l, "get", fd);
            return t.module.get(fd);
        }
        return v.get(fd);
    }

    public static Heap heap(DmaBufService v, String name, Lookup l) {
        if (v instanceof FdTableView t) {
            FdCallers.woven(t.module, l, "heap", -1);
            return t.module.heap(name);
        }
        return v.heap(name);
    }

    public static List<Heap> heaps(DmaBufService v, Lookup l) {
        if (v instanceof FdTableView t) {
            FdCallers.woven(t.module, l, "heaps", -1);
            return t.module.heaps();
        }
        return v.heaps();
    }

    public static int shareWithProcesses(DmaBufService v, String stream, DmaBuf buf, Map<String, String> attributes,
            Lookup l) {
        if (v instanceof FdTableView t) {
            FdCallers.woven(t.module, l, "shareWithProcesses", -1);
            return t.module.shareWithProcesses(stream, buf, attributes);
        }
        return v.shareWithProcesses(stream, buf, attributes);
    }

    public static int syncFileCreate(DmaFenceService v, DmaFence fence, Lookup l) {
        if (v instanceof FenceView t) {
            FdCallers.woven(t.module, l, "syncFileCreate", -1);
            return t.syncFileCreateChecked(fence);
        }
        return v.syncFileCreate(fence);
    }

    public static DmaFence syncFileGetFence(DmaFenceService v, int fd, Lookup l) {
        if (v instanceof FenceView t) {
            FdCallers.woven(t.module, l, "syncFileGetFence", fd);
            return t.syncFileGetFenceChecked(fd);
        }
        return v.syncFileGetFence(fd);
    }

    public static int syncFileMerge(DmaFenceService v, String name, int fd1, int fd2, Lookup l) {
        if (v instanceof FenceView t) {
            FdCallers.woven(t.module, l, "syncFileMerge", fd1);
            return t.syncFileMergeChecked(name, fd1, fd2);
        }
        return v.syncFileMerge(name, fd1, fd2);
    }

    public static SyncFileInfo syncFileInfo(DmaFenceService v, int fd, Lookup l) {
        if (v instanceof FenceView t) {
            FdCallers.woven(t.module, l, "syncFileInfo", fd);
            return t.syncFileInfoChecked(fd);
        }
        return v.syncFileInfo(fd);
    }

    public static void syncFileSetDeadline(DmaFenceService v, int fd, long deadlineNanos, Lookup l) {
        if (v instanceof FenceView t) {
            FdCallers.woven(t.module, l, "syncFileSetDeadline", fd);
            t.syncFileSetDeadlineChecked(fd, deadlineNanos);
        } else {
            v.syncFileSetDeadline(fd, deadlineNanos);
        }
    }

    public static int allocate(Heap h, long len, int fdFlags, long heapFlags, Lookup l) {
        if (h instanceof HeapView t) {
            FdCallers.woven(t.module, l, "DMA_HEAP_IOCTL_ALLOC", -1);
            return t.allocateChecked(len, fdFlags, heapFlags);
        }
        return h.allocate(len, fdFlags, heapFlags);
    }

    public static int allocate(Heap h, long len, Lookup l) {
        if (h instanceof HeapView t) {
            FdCallers.woven(t.module, l, "DMA_HEAP_IOCTL_ALLOC", -1);
            return t.allocateChecked(len, Fcntl.O_RDWR | Fcntl.O_CLOEXEC, Heap.VALID_HEAP_FLAGS);
        }
        return h.allocate(len);
    }

    public static DeviceMemory allocateMemory(Heap h, long len, Lookup l) {
        if (h instanceof HeapView t) {
            FdCallers.woven(t.module, l, "dma_heap_buffer_alloc", -1);
            return t.allocateMemoryChecked(len);
        }
        return h.allocateMemory(len);
    }
}
