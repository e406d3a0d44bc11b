// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.debugfs;

import java.util.List;

/**
 * One live buffer, as a line of {@code bufinfo}.
 *
 * @param ino the inode number
 * @param size bytes
 * @param flags the file flags
 * @param count references of every kind: fds, references, attachments, vmaps, transfers in flight
 * @param expName the exporter's name
 * @param name the buffer's name, or {@code null}
 * @param exporter the symbolic name of the exporting bundle ({@code kernel} for heaps)
 * @param attachedDevices the names of the attached devices, in attach order
 * @param fences the fences of its reservation object, usage READ and below, as bufinfo shows them
 */
public record BufferInfo(long ino, long size, int flags, long count, String expName, String name, String exporter,
        List<String> attachedDevices, List<FenceInfo> fences) {
}
