// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.display;

/**
 * What a display engine scanned out.
 *
 * @param shown frames scanned out and checked
 * @param good frames whose CRC was the expected CRC of their frame number
 * @param bad frames that were torn, stale or garbage (never expected: a bug)
 * @param skipped frames not shown: their render failed (its GPU or driver went), or no renderer was there
 * @param fps frames shown per second
 * @param renderer who rendered the last frame shown, for instance {@code nvidia 0000:01:00.0 (PRIME)}
 */
public record DisplayStats(long shown, long good, long bad, long skipped, double fps, String renderer) {
    @Override
    public String toString() {
        return String.format("%d frames shown, %d CRC matches, %d bad, %d skipped, %.1f fps, rendered by %s", shown,
                good, bad, skipped, fps, renderer);
    }
}
