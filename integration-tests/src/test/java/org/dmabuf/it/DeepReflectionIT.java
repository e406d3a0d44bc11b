// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;

import org.dmabuf.testsupport.Console;
import org.dmabuf.testsupport.PlatformTest;
import org.dmabuf.testsupport.TestBundles;
import org.junit.Test;
import org.osgi.framework.Bundle;

/**
 * What no in-process check can stop, made visible (docs/security.md): a module
 * whose classes use deep reflection is tainted F at load, as the kernel taints
 * a force-loaded module, and {@code dmabuf:why} names what it uses where. The
 * classes are generated here ({@code java.lang.classfile}), so that the test's
 * own probe does not contain them.
 */
public class DeepReflectionIT extends PlatformTest {
    /**
     * The method's name, made at run time: as a constant it would sit in this class's constant pool, and the
     * Pax Exam probe, which holds every test class, would be found using deep reflection itself.
     */
    static final String CALL = String.join("", "set", "Accessible");

    /** A class whose {@code poke(Field)} calls {@code field.setAccessible(true)}. */
    static byte[] poker(String name) {
        ClassDesc field = ClassDesc.of("java.lang.reflect.Field");
        return ClassFile.of().build(ClassDesc.of(name), cb -> cb.withMethodBody("poke",
                MethodTypeDesc.of(ConstantDescs.CD_void, field), ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
                code -> code.aload(0).iconst_1().invokevirtual(ClassDesc.of("java.lang.reflect.AccessibleObject"),
                        CALL, MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_boolean))
                        .return_()));
    }

    @Test
    public void a_module_using_deep_reflection_is_tainted_f_and_why_names_the_call_and_the_class() throws Exception {
        Console console = new Console(context);
        Bundle deep = TestBundles.bundle("test.deep").licence("GPL-2.0-only")
                .entry("org/acme/deep/Poker.class", poker("org.acme.deep.Poker")).install(context);
        Bundle plain = TestBundles.bundle("test.plain").licence("GPL-2.0-only").install(context);
        try {
            deep.start();
            plain.start();
            String taint = console.run("dmabuf:taint");
            assertTrue(taint, taint.contains("F: module was force loaded (#1)"));
            String modules = console.run("dmabuf:modules");
            assertTrue(modules, modules.contains("test.deep(F)"));
            String why = console.run("dmabuf:why test.deep");
            assertTrue(why, why.contains("deep reflection (taint F, as a force-loaded module): "
                    + "AccessibleObject." + CALL + " in org/acme/deep/Poker.class"));
            assertFalse("a module without it is not: " + console.run("dmabuf:why test.plain"),
                    console.run("dmabuf:why test.plain").contains("deep reflection"));
        } finally {
            deep.uninstall();
            plain.uninstall();
        }
    }
}
