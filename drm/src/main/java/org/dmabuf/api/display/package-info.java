// SPDX-License-Identifier: GPL-2.0-only
/**
 * Displays and render engines sharing frames through DMA-BUF: PRIME. A render
 * driver registers a {@link org.dmabuf.api.display.RenderNode}; a display
 * driver registers a {@link org.dmabuf.api.display.DisplayEngine} that imports
 * a render node's buffers (zero copies) and checks every frame it scans out by
 * CRC against the {@link org.dmabuf.api.display.TestPattern}. Optimus is i915
 * showing nvidia's frames; Tegra is tegra-drm showing the GeForce-class GPU's.
 * The {@code org.dmabuf.drm} helpers implement both roles for drivers.
 */
@Export
@Version("1.2.0")
package org.dmabuf.api.display;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
