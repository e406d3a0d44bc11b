// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it.bundles.blobapi;

/** A package a proprietary bundle exports: what a GPL shim would wrap. */
public interface BlobApi {
    /** @return something proprietary */
    int secretSauce();
}
