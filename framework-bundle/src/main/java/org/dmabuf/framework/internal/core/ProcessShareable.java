// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

/**
 * Memory a real file descriptor stands for, which another process can map:
 * the memfd heap's ({@code MemfdHeap.MemfdMemory}). A buffer exported with
 * such memory as its private data can be handed to a process
 * ({@link DmaBufCore#handToProcess}).
 */
public interface ProcessShareable {
    /** @return the fd, open in this process while the memory lives */
    int osFd();

    /** @return the inode of the file, as the receiving process sees it ({@code fstat}) */
    long osInode() throws java.io.IOException;
}
