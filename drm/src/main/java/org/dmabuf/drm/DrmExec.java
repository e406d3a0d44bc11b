// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.drm;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.fence.DmaFenceService;
import org.dmabuf.api.fence.DmaResv;
import org.dmabuf.api.fence.WwAcquireCtx;

/**
 * {@code drm_exec} ({@code drivers/gpu/drm/drm_exec.c}): locks the
 * reservation objects of several buffers without deadlock, by the
 * wound/wait loop of {@link WwAcquireCtx} written once. For a blit from one
 * shared buffer into another, or a job that reads several and writes one:
 *
 * <pre>
 * try (DrmExec exec = new DrmExec(fences, DrmExec.IGNORE_DUPLICATES)) {
 *     exec.untilAllLocked(e -&gt; {
 *         if (!e.prepareObj(src.resv(), 1)) {
 *             return; // drm_exec_retry_on_contention: the loop unlocks and runs this again
 *         }
 *         if (!e.prepareObj(dst.resv(), 1)) {
 *             return;
 *         }
 *     });
 *     ... read src, write dst, add the job's fence to both ...
 * } // drm_exec_fini: every lock released
 * </pre>
 *
 * The body of {@link #untilAllLocked} runs until it runs through without
 * contention, so it must only lock (and may be run several times); a lock
 * that meets an older context's claim returns {@code false}, and the body
 * returns at once. Used by the thread that made it; acts through the calling
 * driver's own views, so its grants apply ({@code ww_mutex_lock}).
 */
public final class DrmExec implements AutoCloseable {
    /** {@code DRM_EXEC_IGNORE_DUPLICATES}: locking an object twice is not an error. */
    public static final int IGNORE_DUPLICATES = 1 << 1;

    private final WwAcquireCtx ctx;
    private final boolean ignoreDuplicates;
    private final List<DmaResv> locked = new ArrayList<>();
    private DmaResv contended; // the lock that said EDEADLK: taken with lock_slow before the next run
    private DmaResv prelocked; // taken with lock_slow, not yet met again by the body
    private int retries;
    private boolean closed;

    /**
     * {@code drm_exec_init}.
     *
     * @param fences the calling driver's fence service (its acquire context)
     * @param flags 0 or {@link #IGNORE_DUPLICATES}
     */
    public DrmExec(DmaFenceService fences, int flags) {
        if ((flags & ~IGNORE_DUPLICATES) != 0) {
            throw new DmaBufException(Errno.EINVAL, "drm_exec_init: flags 0x" + Integer.toHexString(flags)
                    + "; expected 0 or DRM_EXEC_IGNORE_DUPLICATES");
        }
        this.ctx = fences.wwAcquireInit();
        this.ignoreDuplicates = (flags & IGNORE_DUPLICATES) != 0;
    }

    /**
     * {@code drm_exec_until_all_locked}: runs {@code body} until it ran
     * through with every lock it asked for taken. Between runs, everything is
     * unlocked and the contended lock is taken first, waiting for it.
     *
     * @param body locks the objects with {@link #lockObj} or {@link #prepareObj}, and returns at their first
     *        {@code false}
     * @throws DmaBufException what a lock throws besides contention; every lock is released then
     */
    public void untilAllLocked(Consumer<DrmExec> body) {
        checkOpen("drm_exec_until_all_locked");
        while (true) {
            if (contended != null) {
                DmaResv c = contended;
                contended = null;
                c.lockSlow(ctx);
                locked.add(c);
                prelocked = c;
            }
            try {
                body.accept(this);
            } catch (RuntimeException | Error e) {
                unlockAll();
                throw e;
            }
            if (contended == null) {
                prelocked = null;
                return;
            }
            unlockAll();
            retries++;
        }
    }

    /**
     * {@code drm_exec_lock_obj}: locks one object in this run.
     *
     * @param resv the object's reservation (its {@code DmaBuf.resv()})
     * @return false on contention ({@code drm_exec_retry_on_contention}): the body returns at once
     * @throws DmaBufException EALREADY when it is locked already and duplicates are not ignored; what
     *         {@link DmaResv#lock(WwAcquireCtx)} throws besides EDEADLK
     */
    public boolean lockObj(DmaResv resv) {
        checkOpen("drm_exec_lock_obj");
        if (contended != null) {
            return false; // the body went on after a false: nothing more is locked in this run
        }
        if (resv == prelocked) {
            prelocked = null;
            return true; // taken with lock_slow before this run
        }
        try {
            resv.lock(ctx);
        } catch (DmaBufException e) {
            if (e.errno() == Errno.EDEADLK) {
                contended = resv;
                return false;
            }
            if (e.errno() == Errno.EALREADY && ignoreDuplicates) {
                return true; // held already (through this or another handle of the same buffer): not twice
            }
            throw e;
        }
        locked.add(resv);
        return true;
    }

    /**
     * {@code drm_exec_prepare_obj}: locks one object and reserves fence slots in it.
     *
     * @param resv the object's reservation
     * @param numFences the fences the job will add to it
     * @return false on contention, as {@link #lockObj}
     */
    public boolean prepareObj(DmaResv resv, int numFences) {
        if (!lockObj(resv)) {
            return false;
        }
        resv.reserveFences(numFences);
        return true;
    }

    /**
     * {@code drm_exec_unlock_obj}: unlocks one object before the end.
     *
     * @param resv an object this locked
     * @throws DmaBufException EINVAL when this did not lock it
     */
    public void unlockObj(DmaResv resv) {
        if (!locked.remove(resv)) {
            throw new DmaBufException(Errno.EINVAL, "drm_exec_unlock_obj: the object is not locked by this"
                    + " drm_exec; expected one it locked");
        }
        resv.unlock();
    }

    /** @return the objects locked now, in the order they were locked ({@code drm_exec_for_each_locked_object}) */
    public List<DmaResv> objects() {
        return List.copyOf(locked);
    }

    /** @return how many times the body ran again after contention */
    public int retries() {
        return retries;
    }

    /** {@code drm_exec_fini}: unlocks everything and ends the acquire context. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        unlockAll();
        ctx.close();
    }

    private void unlockAll() {
        for (int i = locked.size() - 1; i >= 0; i--) {
            locked.get(i).unlock();
        }
        locked.clear();
        prelocked = null;
    }

    private void checkOpen(String func) {
        if (closed) {
            throw new DmaBufException(Errno.EINVAL, func + ": this drm_exec was closed (drm_exec_fini);"
                    + " expected a new one");
        }
    }
}
