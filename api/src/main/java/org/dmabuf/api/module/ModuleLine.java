// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.module;

import java.util.List;

/**
 * A DMA-BUF module (a bundle that uses the API) as {@code lsmod} lists it.
 *
 * @param id the bundle id
 * @param name its symbolic name
 * @param licence its {@code Bundle-License} as read
 * @param gpl whether that licence is GPL-compatible
 * @param label its name with taint letters, as the kernel's oops prints it: {@code nvidia(PO)}
 * @param state the bundle state: Installed, Resolved, Starting, Active, Stopping
 * @param refused whether the gate refuses it under the policy in force
 * @param usedBy the modules that hold buffers it exported (lsmod's "Used by"), by name
 * @param heapBytes heap memory it allocated that is not back in its heap yet (whole pages), as the dmem
 *        cgroup's {@code current}
 */
public record ModuleLine(long id, String name, String licence, boolean gpl, String label, String state,
        boolean refused, List<String> usedBy, long heapBytes) {
    /** Copies the list. */
    public ModuleLine {
        usedBy = List.copyOf(usedBy);
    }
}
