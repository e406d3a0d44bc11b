// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.FileDescriptors;
import org.dmabuf.api.Heap;

/** Guarded calls in the shapes a driver writes them: loops, handlers, branches that merge types, a lambda. */
public class WeaveSample {
    private final DmaBufService view;

    public WeaveSample(DmaBufService view) {
        this.view = view;
    }

    public int cycle(int size) {
        Heap heap = view.heap("system");
        int fd = heap.allocate(size);
        int sum = 0;
        for (int i = 0; i < 3; i++) {
            try {
                int d = view.dup(fd);
                sum += d;
                ((FileDescriptors) view).close(d);
            } catch (DmaBufException e) {
                sum -= 1000;
            }
        }
        Object either = sum > 0 ? view.get(fd) : "none";
        if (either instanceof DmaBuf b) {
            b.put();
        }
        int received = view.receive(view.send(fd));
        view.close(received);
        view.close(fd);
        return sum + view.fds().length;
    }

    public Runnable closer(int fd) {
        return () -> view.close(fd);
    }
}
