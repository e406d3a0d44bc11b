// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.debugfs;

/**
 * One heap, as {@code dmabuf:heaps} lists it.
 *
 * @param name its name, as under {@code /dev/dma_heap/}
 * @param contiguous whether its memory is physically contiguous
 * @param device the device whose local memory it is, or {@code null} for system memory
 * @param usedBytes bytes allocated now
 * @param capacity the most bytes it hands out
 */
public record HeapInfo(String name, boolean contiguous, String device, long usedBytes, long capacity) {
}
