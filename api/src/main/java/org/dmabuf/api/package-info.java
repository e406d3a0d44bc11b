// SPDX-License-Identifier: GPL-2.0-only
/**
 * DMA-BUF: sharing buffers between drivers, as the Linux kernel's
 * {@code drivers/dma-buf}. This is the whole of what a driver bundle sees.
 *
 * <h2>The lifecycle, in order</h2>
 * <ol>
 * <li><b>export</b>: the exporter wraps memory and its callbacks
 * ({@link org.dmabuf.api.DmaBufOps}) into a buffer with
 * {@link org.dmabuf.api.DmaBufService#export} and gets the first
 * {@link org.dmabuf.api.DmaBuf reference}. Or a heap
 * ({@link org.dmabuf.api.Heap}) does it and returns an fd.</li>
 * <li><b>fd</b>: {@link org.dmabuf.api.DmaBuf#fd} moves the reference into
 * the exporter's fd table. An fd is a number valid in one bundle only.</li>
 * <li><b>share</b>: {@link org.dmabuf.api.DmaBufService#send} puts the buffer
 * in flight ({@link org.dmabuf.api.FdTransfer}); the importer's
 * {@link org.dmabuf.api.DmaBufService#receive} installs it in its own table.</li>
 * <li><b>get</b>: the importer takes a reference from its fd with
 * {@link org.dmabuf.api.DmaBufService#get}.</li>
 * <li><b>attach</b>: the importer's device joins the buffer with
 * {@link org.dmabuf.api.DmaBuf#attach} (or
 * {@link org.dmabuf.api.DmaBuf#dynamicAttach}, following moves); the exporter
 * may refuse.</li>
 * <li><b>map</b>: {@link org.dmabuf.api.Attachment#mapAttachment} gives the
 * device the memory itself for a direction; no byte is copied.</li>
 * <li><b>use</b>, synchronised with fences; CPU access is bracketed by
 * {@link org.dmabuf.api.DmaBuf#beginCpuAccess} and
 * {@link org.dmabuf.api.DmaBuf#endCpuAccess}.</li>
 * <li><b>unmap</b>, <b>detach</b>, <b>put</b>, <b>close</b>: each undoes
 * its counterpart. When the last reference of any kind drops, the exporter's
 * {@link org.dmabuf.api.DmaBufOps.Release release} runs, exactly once.</li>
 * </ol>
 *
 * <h2>Errors</h2>
 * Every failure is a {@link org.dmabuf.api.DmaBufException} carrying the
 * kernel's {@link org.dmabuf.api.Errno}, and a failed call changes nothing.
 *
 * <h2>Hot-plug</h2>
 * When a bundle stops, the framework unmaps, detaches and drops whatever it
 * still held, and logs each cleanup. A buffer outlives its exporter: its
 * importers keep using it until they let go.
 */
@Export
@Version("1.3.0")
package org.dmabuf.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
