// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.debugfs;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The DMA-BUF debugfs: what {@code /sys/kernel/debug/dma_buf/} shows, for
 * consoles, status pages and tests. Read-only; every method returns a
 * snapshot and may be called from any thread.
 */
@ProviderType
public interface DmaBufDebug {
    /** @return the text of {@code /sys/kernel/debug/dma_buf/bufinfo}, ending with {@code Total N objects, M bytes} */
    String bufinfo();

    /**
     * Writes the text of {@link #bufinfo()} to {@code out} as it goes,
     * buffer by buffer, without building it whole first: what a console, a
     * web page or a status printer use, so that a million buffers cost their
     * output and not a 100 MB string beside it.
     *
     * @param out where the text goes
     * @throws java.io.IOException what {@code out} throws
     * @since 1.2
     */
    default void bufinfo(Appendable out) throws java.io.IOException {
        out.append(bufinfo());
    }

    /** @return every live buffer, by inode number */
    List<BufferInfo> buffers();

    /** @return the number of live buffers */
    int bufferCount();

    /** @return the bytes of all live buffers */
    long bufferBytes();

    /**
     * @return bytes of off-heap memory the heaps still hold, freed or not;
     *         0 when every buffer is released
     */
    long offHeapBytes();

    /** @return every bundle that holds a DMA-BUF view, by bundle id */
    List<ModuleInfo> modules();

    /** @return the heaps, in the order they were added, with what each holds */
    List<HeapInfo> heaps();

    /**
     * What debug mode found: lockdep's reports, each as the kernel's lockdep
     * prints it ({@code WARNING: possible circular locking dependency
     * detected}, {@code BUG: sleeping function called from invalid
     * context}...), with the stacks and a last line naming the bundles whose
     * code is on them; and {@code ref_tracker}'s, a reference whose handle
     * became unreachable without {@code dma_buf_put}, with where it was
     * taken. Each place is reported once. {@code dmabuf:lockdep} prints them.
     *
     * @return the reports kept (the first 64), oldest first; empty outside debug mode
     * @since 1.3
     */
    default List<String> debugReports() {
        return List.of();
    }

    /**
     * {@code dmabuf:holders}: who holds a buffer, one line per holding,
     * each starting with the module's name and a colon: {@code nvidia: fd 3},
     * {@code pid 4242 (python3): fd 4} for a process at the peer socket
     * (docs/cross-process.md), with where it was taken in debug mode.
     *
     * @param ino the buffer's inode number
     * @return the holdings; empty when nobody holds it or there is no such buffer
     * @since 1.3
     */
    default List<String> holders(long ino) {
        return List.of();
    }
}
