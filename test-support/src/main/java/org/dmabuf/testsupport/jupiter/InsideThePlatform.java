// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport.jupiter;

import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.api.debugfs.ModuleInfo;
import org.dmabuf.testsupport.Console;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleReference;
import org.osgi.framework.ServiceReference;

/**
 * The Jupiter side of {@link DmaBufPlatform}: runs a test only in the probe's
 * copy of its class, resolves {@link Console} parameters, and checks that each
 * test leaves the probe holding what it held before it.
 */
public final class InsideThePlatform implements ExecutionCondition, ParameterResolver, BeforeEachCallback,
        AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(InsideThePlatform.class);

    /** Used by JUnit Jupiter, through {@link DmaBufPlatform}'s {@code @ExtendWith}. */
    public InsideThePlatform() {
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Class<?> c = context.getRequiredTestClass();
        if (c.getClassLoader() instanceof BundleReference) {
            return ConditionEvaluationResult.enabled("inside the DMA-BUF platform");
        }
        return ConditionEvaluationResult.disabled(c.getName() + " runs inside the DMA-BUF platform, under the "
                + "dmabuf-platform engine; this copy, loaded from the class path, is not run (exclude the "
                + "junit-jupiter engine from this run)");
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Console.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        BundleContext bc = probe(context).getBundleContext();
        if (bc == null) {
            throw new ParameterResolutionException("the probe bundle of " + context.getRequiredTestClass().getName()
                    + " is not active; expected it started by the dmabuf-platform engine");
        }
        return new Console(bc);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (leakCheck(context)) {
            context.getStore(NS).put("held", held(context));
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!leakCheck(context)) {
            return;
        }
        Holding before = context.getStore(NS).get("held", Holding.class);
        Holding after = held(context);
        if (before != null && after != null && !after.equals(before)) {
            throw new AssertionError(context.getDisplayName() + " left the probe " + after.module() + " holding "
                    + after.describe() + ", it held " + before.describe() + " before the test; expected a test to "
                    + "close the fds, put the references and detach the attachments it takes (or "
                    + "@DmaBufPlatform(leakCheck = false))");
        }
    }

    private static boolean leakCheck(ExtensionContext context) {
        // on the class, a composed annotation, a superclass, or an enclosing class (@Nested), as the engine finds it
        for (Class<?> c = context.getRequiredTestClass(); c != null; c = c.getEnclosingClass()) {
            java.util.Optional<DmaBufPlatform> p = org.junit.platform.commons.support.AnnotationSupport
                    .findAnnotation(c, DmaBufPlatform.class);
            if (p.isPresent()) {
                return p.get().leakCheck();
            }
        }
        return true;
    }

    private static Bundle probe(ExtensionContext context) {
        return ((BundleReference) context.getRequiredTestClass().getClassLoader()).getBundle();
    }

    /** What the probe holds through its view: fds, references, attachments. */
    private record Holding(String module, int fds, int references, int attachments) {
        String describe() {
            return fds + " fds, " + references + " references and " + attachments + " attachments";
        }
    }

    private static Holding held(ExtensionContext context) {
        Bundle probe = probe(context);
        BundleContext bc = probe.getBundleContext();
        if (bc == null) {
            return null;
        }
        ServiceReference<DmaBufDebug> ref = bc.getServiceReference(DmaBufDebug.class);
        if (ref == null) {
            return null;
        }
        DmaBufDebug debug = bc.getService(ref);
        try {
            for (ModuleInfo m : debug.modules()) {
                if (m.name().equals(probe.getSymbolicName())) {
                    return new Holding(m.name(), m.fds(), m.references(), m.attachments());
                }
            }
            return new Holding(probe.getSymbolicName(), 0, 0, 0); // no view taken yet: it holds nothing
        } finally {
            bc.ungetService(ref);
        }
    }
}
