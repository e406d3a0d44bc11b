// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.modpost;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Finds the symbols a driver's bytecode really calls, as the kernel's
 * modpost finds a module's undefined symbols: every method invocation and
 * method reference whose target is an API method of the {@link SymbolTable}.
 * Calls into exported classes of the libraries on the build path (for
 * instance the DRM helpers' {@code org.dmabuf.drm.ScanoutEngine}, which calls
 * the API through the driver's own view) link whatever those classes call, as
 * linking a static library does.
 */
final class Linker {
    /** Where a symbol is used first: {@code DriverClass.method}, and through which helper, if any. */
    record Use(String where, String call) {
    }

    private final SymbolTable table;
    private final Function<String, byte[]> frameworkClass; // internal name -> bytes, for exported classes of libraries
    private final Map<SymbolTable.Symbol, Use> uses = new LinkedHashMap<>();
    private final Set<String> followed = new HashSet<>();
    private final Deque<String> helpers = new ArrayDeque<>();

    /**
     * @param table the symbols
     * @param frameworkClass the bytes of a class of an exported package on the build path, or {@code null}
     *        for any other class
     */
    Linker(SymbolTable table, Function<String, byte[]> frameworkClass) {
        this.table = table;
        this.frameworkClass = frameworkClass;
    }

    /** Reads one class of the driver. */
    void scan(byte[] classFile) {
        read(classFile, null);
        while (!helpers.isEmpty()) {
            String h = helpers.pop();
            byte[] b = frameworkClass.apply(h);
            if (b != null) {
                read(b, h.replace('/', '.'));
            }
        }
    }

    /** @return each symbol used, with its first use, in the order found */
    Map<SymbolTable.Symbol, Use> uses() {
        return uses;
    }

    private void read(byte[] classFile, String viaHelper) {
        ClassReader r = new ClassReader(classFile);
        String self = r.getClassName();
        r.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                String where = self.substring(self.lastIndexOf('/') + 1).replace('$', '.') + "." + name;
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitTypeInsn(int opcode, String type) {
                        if (opcode == Opcodes.NEW) {
                            link(type, "<init>", where, viaHelper);
                        }
                    }

                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                        link(owner, method, where, viaHelper);
                    }

                    @Override
                    public void visitInvokeDynamicInsn(String method, String desc, Handle bsm, Object... args) {
                        for (Object a : args) {
                            if (a instanceof Handle h) {
                                link(h.getOwner(), h.getName(), where, viaHelper);
                            }
                        }
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    }

    private void link(String owner, String method, String where, String viaHelper) {
        SymbolTable.Symbol s = resolve(owner, method, new HashSet<>());
        if (s != null) {
            String call = owner.substring(owner.lastIndexOf('/') + 1) + "." + method;
            uses.putIfAbsent(s, new Use(viaHelper == null ? where : where + " (in " + viaHelper + ")", call));
            return;
        }
        // a framework class that is not itself API: a helper; what it calls, the driver links
        if (!table.declares(owner) && followed.add(owner) && frameworkClass.apply(owner) != null) {
            helpers.push(owner);
        }
    }

    // the symbol a call is, looking up the owner's supertypes in the framework (a sub-interface's inherited method)
    private SymbolTable.Symbol resolve(String owner, String method, Set<String> seen) {
        SymbolTable.Symbol s = table.of(owner, method);
        if (s != null || !seen.add(owner)) {
            return s;
        }
        byte[] b = frameworkClass.apply(owner);
        if (b == null) {
            return null;
        }
        ClassReader r = new ClassReader(b);
        if (r.getSuperName() != null) {
            s = resolve(r.getSuperName(), method, seen);
        }
        for (String i : r.getInterfaces()) {
            if (s == null) {
                s = resolve(i, method, seen);
            }
        }
        return s;
    }
}
