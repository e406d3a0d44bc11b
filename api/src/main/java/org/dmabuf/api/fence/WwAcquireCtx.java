// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.fence;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An acquire context: {@code struct ww_acquire_ctx}, for taking the
 * reservation locks of several buffers without deadlock (a blit from one
 * shared buffer to another, a job that reads three and writes one). Made by
 * {@link DmaFenceService#wwAcquireInit()} ({@code ww_acquire_init} with
 * {@code reservation_ww_class}); used by one thread, the one that made it.
 *
 * <p>The locks are wound/wait mutexes, as in Linux: each context has a stamp
 * (its age); when an older context needs a lock that a younger one holds, the
 * younger is <em>wounded</em>, and its next lock that has to wait fails with
 * {@link org.dmabuf.api.Errno#EDEADLK}. The younger then backs off: it
 * unlocks everything it holds in this context, takes the contended lock with
 * {@link DmaResv#lockSlow} (which waits, and never fails with
 * {@code EDEADLK}), and takes the others again. The loop, from
 * {@code Documentation/locking/ww-mutex-design.rst}:
 *
 * <pre>
 * try (WwAcquireCtx ctx = fences.wwAcquireInit()) {
 *     DmaResv contended = null;
 *     while (true) {
 *         if (contended != null) {
 *             contended.lockSlow(ctx);
 *         }
 *         try {
 *             for (DmaResv r : resvs) {
 *                 if (r != contended) {
 *                     r.lock(ctx);
 *                 }
 *             }
 *             break;
 *         } catch (DmaBufException e) {
 *             if (e.errno() != Errno.EDEADLK) { unlock what is held; throw e; }
 *             unlock every lock held in ctx;
 *             contended = the one that failed;
 *         }
 *     }
 *     ctx.done();
 *     ... work, add fences ...
 *     unlock each;
 * }
 * </pre>
 *
 * The drm helpers' {@code org.dmabuf.drm.DrmExec} ({@code drm_exec}) is this
 * loop, written once. {@code ww_acquire_init}, {@code _done} and {@code _fini}
 * are inlines in Linux: no symbol, open to every licence.
 *
 * @since 1.3
 */
@ProviderType
public interface WwAcquireCtx extends AutoCloseable {
    /**
     * {@code ww_acquire_done}: every lock of the context is taken; a lock
     * with it after this fails with {@link org.dmabuf.api.Errno#EINVAL}.
     * Optional, as in Linux; a marker for the reader and the checks.
     *
     * @throws org.dmabuf.api.DmaBufException {@link org.dmabuf.api.Errno#EINVAL} from another thread than the context's
     */
    void done();

    /** @return the reservation locks held in this context now ({@code ctx->acquired}) */
    int acquired();

    /** @return whether an older context wounded this one: its next lock that has to wait fails with EDEADLK */
    boolean wounded();

    /**
     * {@code ww_acquire_fini}: the context ends; every lock taken with it
     * must have been unlocked.
     *
     * @throws org.dmabuf.api.DmaBufException {@link org.dmabuf.api.Errno#EINVAL} when locks are still held in it
     *         (they stay held: unlock them), or from another thread than the context's
     */
    @Override
    void close();
}
