// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.dmabuf.api.module.ExportPolicy;
import org.dmabuf.api.module.ExportPolicyControl;
import org.dmabuf.testsupport.PlatformTest;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleWiring;

/**
 * What the project's bundles publish, every registration of every one of
 * them (nvidia's too: the policy is relaxed for the test): each names only
 * types of exported packages (never an internal class), and each service
 * object can do no more than those types say: every public method declared
 * in project code is one of the registered types', of a third-party base
 * class it extends (a servlet's), of {@code Object}, or, for a console
 * command object published under {@code Object}, one of its Gogo functions.
 */
public class PublishedServicesIT extends PlatformTest {
    private static final Set<String> PROJECT = Set.of("org.dmabuf.framework", "drm", "i915", "nvidia", "tegra_drm",
            "simgpu", "org.dmabuf.webconsole");

    @Test
    public void no_registration_names_an_internal_class_and_no_service_object_does_more_than_its_types()
            throws Exception {
        ExportPolicyControl policy = context.getService(context.getServiceReference(ExportPolicyControl.class));
        policy.switchTo(ExportPolicy.EXPORT_SYMBOL).toCompletableFuture().get(60, TimeUnit.SECONDS);
        try {
            List<String> wrong = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            Set<String> exported = new HashSet<>();
            for (Bundle b : context.getBundles()) {
                exported.addAll(exportedPackages(b));
            }
            int checked = 0;
            for (Bundle b : context.getBundles()) {
                if (!PROJECT.contains(b.getSymbolicName())) {
                    continue;
                }
                assertEquals(b.getSymbolicName(), Bundle.ACTIVE, b.getState());
                seen.add(b.getSymbolicName());
                for (ServiceReference<?> r : b.getRegisteredServices()) {
                    checked++;
                    String[] types = (String[]) r.getProperty("objectClass");
                    for (String t : types) {
                        if (t.startsWith("org.dmabuf.") && (t.contains(".internal.")
                                || !exported.contains(t.substring(0, t.lastIndexOf('.'))))) {
                            wrong.add(b.getSymbolicName() + " registers " + t + ": not a type of an exported API package");
                        }
                    }
                    Object o = context.getService(r);
                    if (o != null) {
                        try {
                            wrong.addAll(moreThan(b.getSymbolicName(), r, types, o));
                        } finally {
                            context.ungetService(r);
                        }
                    }
                }
            }
            assertEquals("every project bundle looked at", PROJECT, seen);
            assertTrue("registrations looked at: " + checked, checked >= 20);
            assertTrue(String.join("\n", wrong), wrong.isEmpty());
        } finally {
            policy.switchTo(ExportPolicy.GPL_ONLY).toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    private static Set<String> exportedPackages(Bundle b) {
        Set<String> out = new HashSet<>();
        for (BundleCapability c : b.adapt(BundleWiring.class).getCapabilities(PackageNamespace.PACKAGE_NAMESPACE)) {
            out.add(String.valueOf(c.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE)));
        }
        return out;
    }

    /** @return the public methods, declared in project code, that no registered type declares */
    private static List<String> moreThan(String bsn, ServiceReference<?> r, String[] types, Object o) {
        Map<String, Class<?>> supertypes = new HashMap<>();
        Deque<Class<?>> todo = new ArrayDeque<>(List.of(o.getClass()));
        while (!todo.isEmpty()) {
            Class<?> c = todo.pop();
            if (c != null && supertypes.putIfAbsent(c.getName(), c) == null) {
                todo.push(c.getSuperclass() == null ? Object.class : c.getSuperclass());
                todo.addAll(Arrays.asList(c.getInterfaces()));
            }
        }
        Set<String> allowed = new HashSet<>();
        Set<String> functions = new HashSet<>();
        for (Class<?> c : supertypes.values()) { // Object, and third-party base classes: their contracts
            if (!c.getName().startsWith("org.dmabuf.")) {
                for (Method m : c.isInterface() ? new Method[0] : c.getMethods()) {
                    allowed.add(signature(m));
                }
            }
        }
        for (String t : types) {
            Class<?> type = supertypes.get(t);
            if (type == null) {
                return List.of(bsn + ": " + o.getClass().getName() + " is not a " + t);
            }
            if (type == Object.class) {
                Object f = r.getProperty("osgi.command.function");
                functions.addAll(f instanceof String[] a ? Arrays.asList(a) : f == null ? List.of() : List.of(f.toString()));
            }
            for (Method m : type.getMethods()) {
                allowed.add(signature(m));
            }
        }
        List<String> out = new ArrayList<>();
        for (Method m : o.getClass().getMethods()) {
            if (m.getDeclaringClass().getName().startsWith("org.dmabuf.") && !allowed.contains(signature(m))
                    && !functions.contains(m.getName())) {
                out.add(bsn + " registers " + String.join(",", types) + " as " + o.getClass().getName()
                        + ", which also offers " + signature(m));
            }
        }
        return out;
    }

    private static String signature(Method m) {
        return m.getName() + Arrays.toString(m.getParameterTypes());
    }
}
