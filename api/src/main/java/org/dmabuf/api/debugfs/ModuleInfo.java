// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.debugfs;

/**
 * What one bundle holds through its DMA-BUF view.
 *
 * @param name the bundle's symbolic name
 * @param bundleId the bundle id, or -1 for the console and for a process connected to the peer socket ({@code pid <pid> (<comm>)})
 * @param fds open fds that hold dma-bufs
 * @param references references not put
 * @param attachments attachments not detached
 * @param vmaps virtual mappings not undone
 * @param transfers transfers sent and not received
 */
public record ModuleInfo(String name, long bundleId, int fds, int references, int attachments, int vmaps,
        int transfers) {
}
