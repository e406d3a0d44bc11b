// SPDX-License-Identifier: GPL-2.0-only
/**
 * The entry points woven into modules' classes (docs/security.md): exported
 * for them alone, not API, no version promise beyond the framework's own.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.dmabuf.framework.woven;
