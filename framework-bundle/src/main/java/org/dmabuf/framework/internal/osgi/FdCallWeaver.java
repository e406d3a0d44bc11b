// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.osgi.framework.Bundle;
import org.osgi.framework.hooks.weaving.WeavingHook;
import org.osgi.framework.hooks.weaving.WovenClass;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites, in every class of every bundle but the framework, each call of a
 * guarded method of a view ({@code dup}, {@code close}, {@code send},
 * {@code receive}, {@code fds}, {@code get}, {@code export}, the heaps, the
 * sync-file calls, a heap's allocations) into a call of
 * {@code org.dmabuf.framework.woven.Woven} that also passes
 * {@code MethodHandles.lookup()}, made in the calling class: the proof of who
 * calls, for the owner check (docs/security.md). Classes that name no
 * {@code org/dmabuf/api/} type are left as they are, unparsed. A class that
 * cannot be woven loads as it is, and its calls are judged by the stack.
 * Uses the JDK's class-file API ({@code java.lang.classfile}): no library.
 */
final class FdCallWeaver implements WeavingHook {
    private static final Logger LOG = LoggerFactory.getLogger("module");
    private static final byte[] API = "org/dmabuf/api/".getBytes(StandardCharsets.US_ASCII);
    private static final ClassDesc LOOKUP = ClassDesc.of("java.lang.invoke.MethodHandles$Lookup");
    private static final ClassDesc HANDLES = ClassDesc.of("java.lang.invoke.MethodHandles");
    private static final MethodTypeDesc LOOKUP_DESC = MethodTypeDesc.of(LOOKUP);
    private static final ClassDesc WOVEN = ClassDesc.of("org.dmabuf.framework.woven.Woven");
    static final String WOVEN_PACKAGE = "org.dmabuf.framework.woven";

    private static final String FDS = "org/dmabuf/api/FileDescriptors";
    private static final String DMABUF = "org/dmabuf/api/DmaBufService";
    private static final String FENCES = "org/dmabuf/api/fence/DmaFenceService";
    private static final String HEAP = "org/dmabuf/api/Heap";

    /** name + descriptor of a guarded method -> the receiver type its bridge takes. */
    private static final Map<String, String> GUARDED = Map.ofEntries(
            Map.entry("dup(I)I", FDS), Map.entry("close(I)V", FDS),
            Map.entry("send(I)Lorg/dmabuf/api/FdTransfer;", FDS),
            Map.entry("receive(Lorg/dmabuf/api/FdTransfer;)I", FDS), Map.entry("fds()[I", FDS),
            Map.entry("export(Lorg/dmabuf/api/ExportInfo;)Lorg/dmabuf/api/DmaBuf;", DMABUF),
            Map.entry("get(I)Lorg/dmabuf/api/DmaBuf;", DMABUF),
            Map.entry("heap(Ljava/lang/String;)Lorg/dmabuf/api/Heap;", DMABUF),
            Map.entry("heaps()Ljava/util/List;", DMABUF),
            Map.entry("shareWithProcesses(Ljava/lang/String;Lorg/dmabuf/api/DmaBuf;Ljava/util/Map;)I", DMABUF),
            Map.entry("syncFileCreate(Lorg/dmabuf/api/fence/DmaFence;)I", FENCES),
            Map.entry("syncFileGetFence(I)Lorg/dmabuf/api/fence/DmaFence;", FENCES),
            Map.entry("syncFileMerge(Ljava/lang/String;II)I", FENCES),
            Map.entry("syncFileInfo(I)Lorg/dmabuf/api/fence/SyncFileInfo;", FENCES),
            Map.entry("syncFileSetDeadline(IJ)V", FENCES),
            Map.entry("allocate(JIJ)I", HEAP), Map.entry("allocate(J)I", HEAP),
            Map.entry("allocateMemory(J)Lorg/dmabuf/api/DeviceMemory;", HEAP));

    /** The interfaces through which a guarded method can be called, by the receiver types their bridges take. */
    private static boolean owner(String owner, String bridge) {
        return switch (bridge) {
            case FDS -> owner.equals(FDS) || owner.equals(DMABUF) || owner.equals(FENCES);
            default -> owner.equals(bridge);
        };
    }

    private final Bundle self;

    FdCallWeaver(Bundle self) {
        this.self = self;
    }

    @Override
    public void weave(WovenClass wc) {
        try {
            Bundle b = wc.getBundleWiring().getBundle();
            if (b.getBundleId() == 0 || b.equals(self) || !contains(wc.getBytes(), API)) {
                return;
            }
            byte[] out = weave(wc.getBytes(), wc.getBundleWiring().getClassLoader());
            if (out == null) {
                return;
            }
            wc.getDynamicImports().add(WOVEN_PACKAGE);
            wc.setBytes(out);
        } catch (RuntimeException | LinkageError e) {
            // never fail a class load: it loads unwoven, and its calls are judged by the stack
            LOG.warn("{}: {} not woven ({}); its calls of DMA-BUF views are judged by the stack",
                    wc.getBundleWiring().getBundle().getSymbolicName(), wc.getClassName(), e.toString());
        }
    }

    /**
     * @param bytes a class file
     * @param loader where the types its stack maps name are read from (as resources, never loaded)
     * @return the class with each guarded call rewritten, or {@code null} when it makes none
     */
    static byte[] weave(byte[] bytes, ClassLoader loader) {
        ClassModel model = ClassFile.of().parse(bytes);
        if (!guardedCalls(model)) {
            return null;
        }
        ClassFile cf = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver
                .defaultResolver().orElse(ClassHierarchyResolver.ofResourceParsing(loader))));
        return cf.transformClass(model, ClassTransform.transformingMethodBodies((code, element) -> {
            String bridge = element instanceof InvokeInstruction i ? bridge(i) : null;
            if (bridge == null) {
                code.with(element);
                return;
            }
            InvokeInstruction i = (InvokeInstruction) element;
            MethodTypeDesc t = i.typeSymbol();
            MethodTypeDesc desc = t.insertParameterTypes(0, ClassDesc.ofInternalName(bridge))
                    .insertParameterTypes(t.parameterCount() + 1, LOOKUP);
            code.invokestatic(HANDLES, "lookup", LOOKUP_DESC);
            code.invokestatic(WOVEN, i.name().stringValue(), desc);
        }));
    }

    // the receiver type of the bridge of a guarded call, or null
    private static String bridge(InvokeInstruction i) {
        if (i.opcode() != Opcode.INVOKEINTERFACE) {
            return null;
        }
        String bridge = GUARDED.get(i.name().stringValue() + i.type().stringValue());
        return bridge != null && owner(i.owner().asInternalName(), bridge) ? bridge : null;
    }

    private static boolean guardedCalls(ClassModel model) {
        for (MethodModel m : model.methods()) {
            CodeModel code = m.code().orElse(null);
            if (code == null) {
                continue;
            }
            for (CodeElement e : code) {
                if (e instanceof InvokeInstruction i && bridge(i) != null) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean contains(byte[] bytes, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= bytes.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (bytes[i + j] != what[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
