// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The kernel symbols this API exports, one per entry point, with the class
 * of export the kernel gives it today. This enum is the one table: the
 * framework bundle's {@code Provide-Capability} header is generated from it
 * at build time, the licence gate decides with it, and every API call checks
 * the caller's grant of its symbol.
 *
 * <h2>For driver bundles</h2>
 * A bundle may call an entry point only if it requires its symbol, as a
 * kernel module links against it, and, for a symbol in a namespace, imports
 * the namespace ({@code MODULE_IMPORT_NS}):
 *
 * <pre>
 * Require-Capability: dmabuf.namespace;filter:="(dmabuf.namespace=DMA_BUF)",
 *  dmabuf.symbol;filter:="(dmabuf.symbol=dma_buf_get)",
 *  dmabuf.symbol;filter:="(dmabuf.symbol=dma_buf_attach)", ...
 * </pre>
 *
 * A bundle whose licence is not GPL-compatible is not wired to GPL-only
 * symbols ({@link Export#EXPORT_SYMBOL_GPL}) (the DMA-BUF core's, unless the
 * export policy is {@code export-symbol}); it then stays Installed with the kernel's message
 * {@code <bsn>: Unknown symbol <sym> (err -2)}. A call whose symbol the
 * calling bundle was not granted fails with {@link Errno#ENOENT} and the same
 * message. Operations that are system calls in Linux (closing, duplicating
 * and passing fds, the buffer's name) and inline helpers ({@code get_dma_buf})
 * have no symbol and are open to every bundle, as are the methods of a fence
 * object itself (signal, wait, callbacks, status: {@code EXPORT_SYMBOL} or
 * inline in Linux), which any holder of a shared fence may call.
 */
public enum Symbol {
    // drivers/dma-buf/dma-buf.c: EXPORT_SYMBOL_NS_GPL(..., "DMA_BUF")
    /** {@link DmaBufService#export}. */
    DMA_BUF_EXPORT("dma_buf_export", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBufService.export"),
    /** {@link DmaBuf#fd}. */
    DMA_BUF_FD("dma_buf_fd", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBuf.fd"),
    /** {@link DmaBufService#get}. */
    DMA_BUF_GET("dma_buf_get", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBufService.get"),
    /** {@link DmaBuf#put}. */
    DMA_BUF_PUT("dma_buf_put", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBuf.put"),
    /** {@link DmaBuf#attach}. */
    DMA_BUF_ATTACH("dma_buf_attach", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBuf.attach"),
    /** {@link DmaBuf#dynamicAttach}. */
    DMA_BUF_DYNAMIC_ATTACH("dma_buf_dynamic_attach", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBuf.dynamicAttach"),
    /** {@link DmaBuf#detach}. */
    DMA_BUF_DETACH("dma_buf_detach", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBuf.detach"),
    /** {@link Attachment#pin}. */
    DMA_BUF_PIN("dma_buf_pin", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "Attachment.pin"),
    /** {@link Attachment#unpin}. */
    DMA_BUF_UNPIN("dma_buf_unpin", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "Attachment.unpin"),
    /** {@link Attachment#mapAttachment}. */
    DMA_BUF_MAP_ATTACHMENT("dma_buf_map_attachment", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF,
            "Attachment.mapAttachment"),
    /** {@link Attachment#unmapAttachment} and {@link Mapping#close}. */
    DMA_BUF_UNMAP_ATTACHMENT("dma_buf_unmap_attachment", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF,
            "Attachment.unmapAttachment, Mapping.close"),
    /** {@link DmaBuf#moveNotify}: the old name of {@code dma_buf_invalidate_mappings}, kept for bundles built before. */
    DMA_BUF_MOVE_NOTIFY("dma_buf_move_notify", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBuf.moveNotify"),
    /** {@link DmaBuf#invalidateMappings} (Linux renamed {@code dma_buf_move_notify} in 2026). */
    DMA_BUF_INVALIDATE_MAPPINGS("dma_buf_invalidate_mappings", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF,
            "DmaBuf.invalidateMappings"),
    /** {@link Attachment#revocable}. */
    DMA_BUF_ATTACH_REVOCABLE("dma_buf_attach_revocable", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF,
            "Attachment.revocable"),
    /** {@link DmaBuf#beginCpuAccess}. */
    DMA_BUF_BEGIN_CPU_ACCESS("dma_buf_begin_cpu_access", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF,
            "DmaBuf.beginCpuAccess"),
    /** {@link DmaBuf#endCpuAccess}. */
    DMA_BUF_END_CPU_ACCESS("dma_buf_end_cpu_access", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBuf.endCpuAccess"),
    /** {@link DmaBuf#mmap}. */
    DMA_BUF_MMAP("dma_buf_mmap", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBuf.mmap"),
    /** {@link DmaBufService#shareWithProcesses} and {@code processesWatch}: the platform's, no kernel counterpart. */
    DMA_BUF_SHARE_PROCESSES("dma_buf_share_processes", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF,
            "DmaBufService.shareWithProcesses, DmaBufService.processesWatch"),
    /** {@link DmaBuf#vmap}. */
    DMA_BUF_VMAP("dma_buf_vmap", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBuf.vmap"),
    /** {@link DmaBuf#vunmap}. */
    DMA_BUF_VUNMAP("dma_buf_vunmap", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF, "DmaBuf.vunmap"),

    // drivers/dma-buf/dma-heap.c: in-kernel allocation, GPL-only in namespace DMA_BUF_HEAP
    // (the namespace of dma_heap_add upstream; Android exports these two for drivers)
    /** {@link DmaBufService#heap} and {@link DmaBufService#heaps}. */
    DMA_HEAP_FIND("dma_heap_find", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF_HEAP, "DmaBufService.heap, DmaBufService.heaps"),
    /** {@link Heap#allocate} and {@link Heap#allocateMemory}. */
    DMA_HEAP_BUFFER_ALLOC("dma_heap_buffer_alloc", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF_HEAP,
            "Heap.allocate, Heap.allocateMemory"),

    // drivers/base/core.c and dma-heap.c: the device providers' side (org.dmabuf.api.device)
    /** {@link org.dmabuf.api.device.DeviceBus#add} and {@link org.dmabuf.api.device.DeviceRegistration#unplug}. */
    DEVICE_ADD("device_add", Export.EXPORT_SYMBOL_GPL, null, "DeviceBus.add, DeviceRegistration.unplug"),
    /** {@link org.dmabuf.api.device.DeviceRegistration#addLocalMemory}. */
    DMA_HEAP_ADD("dma_heap_add", Export.EXPORT_SYMBOL_GPL, Symbol.DMA_BUF_HEAP, "DeviceRegistration.addLocalMemory"),

    // drivers/dma-buf/dma-fence*.c, sync_file.c: EXPORT_SYMBOL, open to every licence, but unwrap
    /** {@link org.dmabuf.api.fence.DmaFenceService#contextAlloc} and {@code contextNumbers}. */
    DMA_FENCE_CONTEXT_ALLOC("dma_fence_context_alloc", Export.EXPORT_SYMBOL, null,
            "DmaFenceService.contextAlloc, DmaFenceService.contextNumbers"),
    /** {@link org.dmabuf.api.fence.FenceContext#create} and {@code next}. */
    DMA_FENCE_INIT("dma_fence_init", Export.EXPORT_SYMBOL, null, "FenceContext.create, FenceContext.next"),
    /** {@link org.dmabuf.api.fence.DmaFenceService#stub}. */
    DMA_FENCE_GET_STUB("dma_fence_get_stub", Export.EXPORT_SYMBOL, null, "DmaFenceService.stub"),
    /** {@link org.dmabuf.api.fence.DmaFenceService#chain}. */
    DMA_FENCE_CHAIN_INIT("dma_fence_chain_init", Export.EXPORT_SYMBOL, null, "DmaFenceService.chain"),
    /** {@link org.dmabuf.api.fence.DmaFenceService#array}. */
    DMA_FENCE_ARRAY_CREATE("dma_fence_array_create", Export.EXPORT_SYMBOL, null, "DmaFenceService.array"),
    /** {@link org.dmabuf.api.fence.DmaFenceService#unwrap}: GPL-only in Linux. */
    DMA_FENCE_UNWRAP_FIRST("dma_fence_unwrap_first", Export.EXPORT_SYMBOL_GPL, null, "DmaFenceService.unwrap"),
    /** {@link org.dmabuf.api.fence.DmaFenceService#merge}: GPL-only in Linux. */
    DMA_FENCE_UNWRAP_MERGE("__dma_fence_unwrap_merge", Export.EXPORT_SYMBOL_GPL, null, "DmaFenceService.merge"),
    /** {@link org.dmabuf.api.fence.DmaFenceService#waitAnyTimeout}. */
    DMA_FENCE_WAIT_ANY_TIMEOUT("dma_fence_wait_any_timeout", Export.EXPORT_SYMBOL, null,
            "DmaFenceService.waitAnyTimeout"),
    /** {@link org.dmabuf.api.fence.DmaFenceService#traceEmit}: {@code EXPORT_TRACEPOINT_SYMBOL(dma_fence_emit)}. */
    TRACEPOINT_DMA_FENCE_EMIT("__tracepoint_dma_fence_emit", Export.EXPORT_SYMBOL, null, "DmaFenceService.traceEmit"),
    /** {@link org.dmabuf.api.fence.DmaFenceService#beginSignalling}. */
    DMA_FENCE_BEGIN_SIGNALLING("dma_fence_begin_signalling", Export.EXPORT_SYMBOL, null,
            "DmaFenceService.beginSignalling"),
    /** {@link org.dmabuf.api.fence.DmaFenceService#endSignalling}. */
    DMA_FENCE_END_SIGNALLING("dma_fence_end_signalling", Export.EXPORT_SYMBOL, null,
            "DmaFenceService.endSignalling"),
    /** {@link org.dmabuf.api.fence.DmaFenceService#syncFileCreate}. */
    SYNC_FILE_CREATE("sync_file_create", Export.EXPORT_SYMBOL, null, "DmaFenceService.syncFileCreate"),
    /** {@link org.dmabuf.api.fence.DmaFenceService#syncFileGetFence}. */
    SYNC_FILE_GET_FENCE("sync_file_get_fence", Export.EXPORT_SYMBOL, null, "DmaFenceService.syncFileGetFence"),

    // drivers/dma-buf/dma-resv.c: EXPORT_SYMBOL, but the few GPL-only helpers
    /** {@link org.dmabuf.api.fence.DmaFenceService#resvInit}. */
    DMA_RESV_INIT("dma_resv_init", Export.EXPORT_SYMBOL, null, "DmaFenceService.resvInit"),
    /** {@link org.dmabuf.api.fence.DmaResv#lock} and {@code tryLock}: {@code dma_resv_lock} is an inline over it. */
    WW_MUTEX_LOCK("ww_mutex_lock", Export.EXPORT_SYMBOL, null, "DmaResv.lock, DmaResv.tryLock, DmaResv.lockSlow"),
    /** {@link org.dmabuf.api.fence.DmaResv#unlock}. */
    WW_MUTEX_UNLOCK("ww_mutex_unlock", Export.EXPORT_SYMBOL, null, "DmaResv.unlock"),
    /** {@link org.dmabuf.api.fence.DmaResv#reserveFences}. */
    DMA_RESV_RESERVE_FENCES("dma_resv_reserve_fences", Export.EXPORT_SYMBOL, null, "DmaResv.reserveFences"),
    /** {@link org.dmabuf.api.fence.DmaResv#addFence}. */
    DMA_RESV_ADD_FENCE("dma_resv_add_fence", Export.EXPORT_SYMBOL, null, "DmaResv.addFence"),
    /** {@link org.dmabuf.api.fence.DmaResv#replaceFences}. */
    DMA_RESV_REPLACE_FENCES("dma_resv_replace_fences", Export.EXPORT_SYMBOL, null, "DmaResv.replaceFences"),
    /** {@link org.dmabuf.api.fence.DmaResv#iterUnlocked}. */
    DMA_RESV_ITER_FIRST_UNLOCKED("dma_resv_iter_first_unlocked", Export.EXPORT_SYMBOL, null, "DmaResv.iterUnlocked"),
    /** {@link org.dmabuf.api.fence.DmaResv#iter}: GPL-only. */
    DMA_RESV_ITER_FIRST("dma_resv_iter_first", Export.EXPORT_SYMBOL_GPL, null, "DmaResv.iter"),
    /** {@link org.dmabuf.api.fence.DmaResv#getFences}: GPL-only. */
    DMA_RESV_GET_FENCES("dma_resv_get_fences", Export.EXPORT_SYMBOL_GPL, null, "DmaResv.getFences"),
    /** {@link org.dmabuf.api.fence.DmaResv#testSignaled}: GPL-only. */
    DMA_RESV_TEST_SIGNALED("dma_resv_test_signaled", Export.EXPORT_SYMBOL_GPL, null, "DmaResv.testSignaled"),
    /** {@link org.dmabuf.api.fence.DmaResv#waitTimeout}: GPL-only. */
    DMA_RESV_WAIT_TIMEOUT("dma_resv_wait_timeout", Export.EXPORT_SYMBOL_GPL, null, "DmaResv.waitTimeout"),
    /** {@link org.dmabuf.api.fence.DmaResv#setDeadline}: GPL-only. */
    DMA_RESV_SET_DEADLINE("dma_resv_set_deadline", Export.EXPORT_SYMBOL_GPL, null, "DmaResv.setDeadline");

    /** The namespace of the DMA-BUF core: {@code EXPORT_SYMBOL_NS_GPL(sym, "DMA_BUF")}. */
    public static final String DMA_BUF = "DMA_BUF";
    /** The namespace of the heaps. */
    public static final String DMA_BUF_HEAP = "DMA_BUF_HEAP";
    /** The capability namespace of symbols; its attribute of the same name is the symbol's name. */
    public static final String CAPABILITY = "dmabuf.symbol";
    /** The capability namespace of symbol namespaces; its attribute of the same name is the namespace. */
    public static final String NAMESPACE_CAPABILITY = "dmabuf.namespace";
    /** The attribute of a symbol capability that holds its {@link Export}. */
    public static final String EXPORT_ATTRIBUTE = "export";
    /**
     * The attribute of a symbol capability that lists the API methods that
     * are the symbol ({@code org.dmabuf.api.DmaBufService.export}): what the
     * build-time check (modpost) looks for in a driver's bytecode.
     */
    public static final String API_ATTRIBUTE = "api";
    /** The attribute of a symbol capability that holds its namespace. */
    public static final String NAMESPACE_ATTRIBUTE = "namespace";

    /** How a symbol is exported, as the kernel's macros. */
    public enum Export {
        /** Usable by every module. */
        EXPORT_SYMBOL,
        /** Usable by modules whose licence is GPL-compatible. */
        EXPORT_SYMBOL_GPL
    }

    private static final Map<String, Symbol> BY_NAME =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(Symbol::symbolName, Function.identity()));

    private final String symbolName;
    private final Export export;
    private final String namespace;
    private final String api;

    Symbol(String symbolName, Export export, String namespace, String api) {
        this.symbolName = symbolName;
        this.export = export;
        this.namespace = namespace;
        this.api = api;
    }

    /** @return the kernel's name of the symbol, for instance {@code dma_buf_attach} */
    public String symbolName() {
        return symbolName;
    }

    /** @return how the kernel exports it today */
    public Export export() {
        return export;
    }

    /** @return the symbol namespace, or {@code null} */
    public String namespace() {
        return namespace;
    }

    /** @return the Java entry points that stand for it */
    public String api() {
        return api;
    }

    /** @return whether the kernel exports it GPL-only */
    public boolean gplOnly() {
        return export == Export.EXPORT_SYMBOL_GPL;
    }

    /**
     * @param name a kernel symbol name
     * @return the symbol, or {@code null} when this API exports no such symbol
     */
    public static Symbol byName(String name) {
        return BY_NAME.get(name);
    }

    @Override
    public String toString() {
        return symbolName;
    }
}
