// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.module;

import java.util.List;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Switches the export policy at run time, as writing a module parameter
 * would: for administration tools (the console's {@code dmabuf:policy}, the
 * Web Console), never for drivers. A service of the framework, hidden from
 * bundles whose licence is not GPL-compatible.
 */
@ProviderType
public interface ExportPolicyControl {
    /**
     * The Config Admin PID whose {@code policy} property sets the export
     * policy at start and on change ({@code etc/org.dmabuf.policy.cfg},
     * {@code deploy/org.dmabuf.policy.cfg}); {@code dmabuf:policy} writes it
     * so that a switch survives a restart.
     */
    String PID = "org.dmabuf.policy";

    /**
     * Switches the policy and re-evaluates only the modules it affects:
     * refused modules that may now link are started (if they were meant to
     * run); running modules that lose a symbol are refreshed, which stops
     * them and cleans up what they held. Every other bundle and its buffers
     * stay as they are. Asynchronous: the switch runs on the gate's own
     * thread; the caller may wait on the result with a timeout.
     *
     * @param to the policy wanted
     * @return completes when the switch has taken effect
     */
    CompletionStage<Switch> switchTo(ExportPolicy to);

    /**
     * What a switch did.
     *
     * @param from the policy before
     * @param to the policy after
     * @param refreshed modules refreshed because they lost a symbol
     * @param started modules that were refused and now started
     * @param failed modules that could not be started, with why
     * @param lines the switch told in words, one fact a line, as the console prints it
     */
    record Switch(ExportPolicy from, ExportPolicy to, List<String> refreshed, List<String> started,
            List<String> failed, List<String> lines) {
        /** Copies the lists. */
        public Switch {
            refreshed = List.copyOf(refreshed);
            started = List.copyOf(started);
            failed = List.copyOf(failed);
            lines = List.copyOf(lines);
        }
    }
}
