// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.display;

import org.dmabuf.api.Device;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A display engine scanning frames out: a KMS CRTC with its plane. It checks
 * every frame it shows by CRC. It shows frames rendered by a PRIME source when
 * one is bound, else its own GPU's rendering when it has one. Registered as a
 * service by display drivers, with the device's properties.
 */
@ConsumerType
public interface DisplayEngine {
    /** @return the driver's name, for instance {@code i915} */
    String driver();

    /** @return the display's device */
    Device device();

    /**
     * Scans out {@code frames} frames as fast as they come.
     *
     * @param frames how many
     * @param timeoutNanos at most how long
     * @return what this run showed
     */
    DisplayStats run(int frames, long timeoutNanos);

    /** @return everything shown since the engine started */
    DisplayStats stats();

    /** @return who renders the frames now, or {@code none} */
    String source();

    /**
     * The live picture, for people: what the Web Console's DMA-BUF page shows
     * for every display engine registered, whoever wrote it. Called from any
     * thread, often (a page polls it); must not block nor copy a whole frame.
     * Optional: an engine that keeps no picture returns {@code null}.
     *
     * @return the last frame shown whole, scaled down, or {@code null} before the first (or never)
     * @since 1.1
     */
    default Frame lastFrame() {
        return null;
    }
}
