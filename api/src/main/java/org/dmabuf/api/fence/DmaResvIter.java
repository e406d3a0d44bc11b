// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A cursor over a reservation object's fences: {@code struct dma_resv_iter}.
 * Locked cursors ({@link DmaResv#iter}) see every fence and need the lock held
 * throughout; unlocked ones ({@link DmaResv#iterUnlocked}) see only fences
 * not yet signalled and start over when the fences change under them, which
 * {@link #isRestarted()} tells.
 */
@ProviderType
public interface DmaResvIter {
    /** @return the first fence, or {@code null} */
    DmaFence first();

    /** @return the next fence, or {@code null} at the end */
    DmaFence next();

    /** @return the usage of the fence last returned */
    DmaResvUsage usage();

    /** @return whether the fence last returned is the first after a (re)start */
    boolean isRestarted();
}
