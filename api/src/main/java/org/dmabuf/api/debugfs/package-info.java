// SPDX-License-Identifier: GPL-2.0-only
/**
 * The DMA-BUF debugfs: read-only introspection of buffers and of what each
 * bundle holds, as {@code /sys/kernel/debug/dma_buf/bufinfo}. For consoles,
 * status pages and tests; drivers do not need it.
 */
@Export
@Version("1.3.0")
package org.dmabuf.api.debugfs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
