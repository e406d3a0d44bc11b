// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Several fences as one: {@code struct dma_fence_array}. Signals when all of
 * them have (or any one, when made so), with the first error among them.
 */
@ProviderType
public interface DmaFenceArray extends DmaFence {
    /** @return the fences, in the order given */
    List<DmaFence> fences();

    /** @return whether it signals on the first fence rather than the last */
    boolean signalOnAny();
}
