// SPDX-License-Identifier: GPL-2.0-only
/**
 * Helpers for drivers, as the kernel's DRM helper library: a
 * {@link org.dmabuf.drm.RenderEngine} (a PRIME source on a GPU) and a
 * {@link org.dmabuf.drm.ScanoutEngine} (a CRC-checking display with PRIME
 * import and fallback). They act only through the driver's own views of the
 * DMA-BUF core and fences, so the driver's grants apply.
 */
@Export
@Version("2.1.0")
package org.dmabuf.drm;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
