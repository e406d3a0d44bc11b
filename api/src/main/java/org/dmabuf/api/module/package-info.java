// SPDX-License-Identifier: GPL-2.0-only
/**
 * The licence gate as tools see it: {@code lsmod}, the kernel's taint line,
 * the gate's explanation of a module ({@code dmabuf:why}), and the export
 * policy. {@link org.dmabuf.api.module.ModuleTable} is read-only and open to
 * every bundle (consoles, status pages, tests);
 * {@link org.dmabuf.api.module.ExportPolicyControl} switches the policy and
 * is for administration tools only (the console, the Web Console). Drivers
 * need neither.
 */
@Export
@Version("1.0.0")
package org.dmabuf.api.module;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
