// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.debugfs;

/**
 * One fence of a buffer's reservation object, as a line of {@code bufinfo}
 * ({@code dma_resv_describe}).
 *
 * @param usage {@code kernel}, {@code write} or {@code read}
 * @param driver the issuing driver's name
 * @param timeline the timeline's name
 * @param seqno the sequence number
 * @param signaled whether it has signalled
 */
public record FenceInfo(String usage, String driver, String timeline, long seqno, boolean signaled) {
}
