// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.modpost;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import aQute.bnd.osgi.Builder;
import aQute.bnd.osgi.EmbeddedResource;
import aQute.bnd.osgi.Jar;

/**
 * modpost run by bnd on driver classes made for the occasion, against the
 * real symbol table (the API jar's DmaBuf-Symvers).
 */
class ModpostTest {

    /** A driver class whose one method calls the given API methods ({@code owner.method}, internal owner). */
    static byte[] driverClass(String name, String... calls) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC, name, null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "probe", "()V", null, null);
        mv.visitCode();
        for (String c : calls) {
            String owner = c.substring(0, c.indexOf('.'));
            String method = c.substring(c.indexOf('.') + 1);
            if (method.startsWith("::")) { // a method reference: invokedynamic with a handle
                mv.visitInvokeDynamicInsn("get", "()Ljava/util/function/Supplier;",
                        new Handle(Opcodes.H_INVOKESTATIC, "java/lang/invoke/LambdaMetafactory", "metafactory",
                                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
                                        + "Ljava/lang/invoke/MethodType;Ljava/lang/invoke/MethodHandle;"
                                        + "Ljava/lang/invoke/MethodType;)Ljava/lang/invoke/CallSite;", false),
                        Type.getType("()Ljava/lang/Object;"),
                        new Handle(Opcodes.H_INVOKEINTERFACE, owner, method.substring(2), "()Ljava/lang/Object;", true),
                        Type.getType("()Ljava/lang/Object;"));
                mv.visitInsn(Opcodes.POP);
            } else if (method.equals("<init>")) {
                mv.visitTypeInsn(Opcodes.NEW, owner); // allocated, never constructed: enough to link
                mv.visitInsn(Opcodes.POP);
            } else {
                mv.visitInsn(Opcodes.ACONST_NULL);
                mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, owner, method, "()V", true);
            }
        }
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    static File apiJar() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(p -> p.contains("dmabuf-api")).map(File::new).filter(File::isFile).findFirst()
                .orElseThrow(() -> new IllegalStateException("no dmabuf-api jar on the test class path"));
    }

    /** A library of helpers on the build path, as the DRM bundle is: its exported class attaches and maps. */
    static Jar helperLibrary() throws Exception {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC, "acme/drm/Helper", null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        mv.visitCode();
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        for (String m : new String[] {"org/dmabuf/api/DmaBuf.attach", "org/dmabuf/api/Attachment.mapAttachment"}) {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, m.substring(0, m.indexOf('.')), m.substring(m.indexOf('.') + 1),
                    "()V", true);
        }
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        Jar lib = new Jar("drm");
        lib.putResource("acme/drm/Helper.class", new EmbeddedResource(cw.toByteArray(), 0L));
        Manifest mf = new Manifest();
        mf.getMainAttributes().putValue("Manifest-Version", "1.0");
        mf.getMainAttributes().putValue("Export-Package", "acme.drm;version=\"1.0.0\"");
        lib.setManifest(mf);
        return lib;
    }

    record Built(List<String> errors, List<String> warnings, Manifest manifest) {
        String header(String name) {
            return manifest == null ? null : manifest.getMainAttributes().getValue(name);
        }
    }

    static Built build(String bsn, String licence, String policy, byte[]... classes) throws Exception {
        try (Builder b = new Builder(); Jar content = new Jar("driver")) {
            for (int i = 0; i < classes.length; i++) {
                content.putResource("acme/Driver" + i + ".class", new EmbeddedResource(classes[i], 0L));
            }
            b.setJar(content);
            b.addClasspath(apiJar());
            b.addClasspath(helperLibrary());
            b.setProperty("Bundle-SymbolicName", bsn);
            if (licence != null) {
                b.setProperty("Bundle-License", licence);
            }
            if (policy != null) {
                b.setProperty(Modpost.POLICY_INSTRUCTION, policy);
            }
            b.setProperty("Import-Package", "*;resolution:=optional");
            b.getPlugins().add(new Modpost());
            Jar out = b.build();
            return new Built(b.getErrors(), b.getWarnings(), out == null ? null : out.getManifest());
        }
    }

    @Test
    void a_proprietary_driver_calling_a_gpl_only_symbol_fails_with_the_kernels_message() throws Exception {
        Built b = build("acme_gpu", "Proprietary", null,
                driverClass("acme/Driver0", "org/dmabuf/api/DmaBufService.export", "org/dmabuf/api/DmaBuf.attach"));
        assertThat(b.errors()).contains(
                "GPL-incompatible module acme_gpu uses GPL-only symbol 'dma_buf_export' (Driver0.probe calls"
                        + " DmaBufService.export)");
        assertThat(b.errors()).anySatisfy(e -> assertThat(e)
                .startsWith("GPL-incompatible module acme_gpu uses GPL-only symbol 'dma_buf_attach'"));
        assertThat(b.errors()).as("the licence's verdict, once").filteredOn(e -> e.startsWith("modpost: acme_gpu:"))
                .containsExactly("modpost: acme_gpu: Bundle-License 'Proprietary' is not GPL-compatible (the kernel's"
                        + " string for a proprietary licence); expected a GPL-compatible licence, or -dmabuf-policy:"
                        + " export-symbol for a driver written for that policy");
    }

    @Test
    void a_gpl_driver_links_exactly_what_it_calls_with_its_namespaces() throws Exception {
        Built b = build("lima", "MIT OR GPL-2.0-only", null, driverClass("acme/Driver0",
                "org/dmabuf/api/DmaBufService.get", "org/dmabuf/api/Heap.allocate",
                "org/dmabuf/api/fence/DmaResv.addFence", "org/dmabuf/api/DmaBuf.size"));
        assertThat(b.errors()).isEmpty();
        String req = b.header("Require-Capability");
        assertThat(req).contains("(dmabuf.symbol=dma_buf_get)", "(dmabuf.symbol=dma_heap_buffer_alloc)",
                "(dmabuf.symbol=dma_resv_add_fence)", "(dmabuf.namespace=DMA_BUF)", "(dmabuf.namespace=DMA_BUF_HEAP)");
        assertThat(req).doesNotContain("dma_buf_export", "dma_buf_attach");
        assertThat(b.header("DmaBuf-Symbols")).isEqualTo("dma_buf_get,dma_heap_buffer_alloc,dma_resv_add_fence");
    }

    @Test
    void method_references_link_too() throws Exception {
        Built b = build("lima", "GPL", null, driverClass("acme/Driver0", "org/dmabuf/api/DmaBuf.::vmap"));
        assertThat(b.header("Require-Capability")).contains("(dmabuf.symbol=dma_buf_vmap)");
    }

    @Test
    void a_driver_written_for_export_symbol_may_use_the_core_but_not_the_gpl_only_fence_helpers() throws Exception {
        Built b = build("nvidia", "NVIDIA", "export-symbol", driverClass("acme/Driver0",
                "org/dmabuf/api/DmaBufService.export", "org/dmabuf/api/fence/DmaResv.iter"));
        assertThat(b.errors()).noneMatch(e -> e.contains("'dma_buf_export'"));
        assertThat(b.errors()).anySatisfy(e -> assertThat(e)
                .startsWith("GPL-incompatible module nvidia uses GPL-only symbol 'dma_resv_iter_first'"));
    }

    @Test
    void helpers_of_the_framework_link_what_they_call_for_the_driver() throws Exception {
        Built b = build("tegra_drm", "GPL-2.0-only", null,
                driverClass("acme/Driver0", "acme/drm/Helper.<init>"));
        assertThat(b.errors()).isEmpty();
        assertThat(b.header("Require-Capability")).contains("(dmabuf.symbol=dma_buf_attach)",
                "(dmabuf.symbol=dma_buf_map_attachment)");
    }

    @Test
    void a_policy_it_does_not_know_is_an_error_naming_the_two_it_does() throws Exception {
        Built b = build("lima", "GPL", "export-symbol-gpl", driverClass("acme/Driver0"));
        assertThat(b.errors()).anySatisfy(e -> assertThat(e)
                .contains("-dmabuf-policy is 'export-symbol-gpl'; expected gpl-only or export-symbol"));
    }
}
