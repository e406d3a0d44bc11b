// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

import org.dmabuf.api.DmaBufException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A node of a timeline-semaphore chain: {@code struct dma_fence_chain}. It
 * wraps one fence and points to the previous node; it signals when its fence
 * and every earlier one have. Walking the chain drops nodes that have signalled.
 */
@ProviderType
public interface DmaFenceChain extends DmaFence {
    /** @return the fence this node wraps ({@code dma_fence_chain_contained}) */
    DmaFence contained();

    /** @return the previous node (or plain fence), or {@code null} */
    DmaFence prev();

    /** @return the previous node's sequence number when it shares this context, else 0 */
    long prevSeqno();

    /**
     * {@code dma_fence_chain_walk}: the previous node that has not signalled,
     * unlinking the signalled ones on the way.
     *
     * @return that node, or {@code null} when everything before has signalled
     */
    DmaFence walk();

    /**
     * {@code dma_fence_chain_find_seqno}: the node a waiter for {@code seqno}
     * must wait on.
     *
     * @param seqno the point on the timeline; 0 finds this node
     * @return the node, or {@code null} when that point has signalled already
     * @throws DmaBufException EINVAL when {@code seqno} lies beyond this node
     */
    DmaFence findSeqno(long seqno);
}
