// SPDX-License-Identifier: GPL-2.0-only
/**
 * Fences and reservation objects: how drivers sharing a buffer agree on when
 * it is safe to read and write it, as the kernel's {@code dma_fence},
 * {@code dma_resv} and {@code sync_file}.
 *
 * <ol>
 * <li>An issuer allocates a timeline ({@link org.dmabuf.api.fence.FenceContext})
 * and makes a fence for each job; it signals the fence when the job is done.</li>
 * <li>Implicit sync: the fence goes into the buffer's reservation object
 * ({@link org.dmabuf.api.fence.DmaResv}) as a WRITE or READ fence. A reader
 * waits for the writers, a writer for everybody: CPU access and static
 * importers' mappings do it for you.</li>
 * <li>Explicit sync: a fence travels as a sync file (an fd), exported from a
 * buffer, merged, passed to another bundle and imported back.</li>
 * </ol>
 *
 * Open to every licence ({@code EXPORT_SYMBOL}), but for the few GPL-only
 * reservation helpers and the merge.
 */
@Export
@Version("1.3.0")
package org.dmabuf.api.fence;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
