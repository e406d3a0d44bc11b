// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import org.dmabuf.api.module.ExportPolicy;
import java.util.List;

import org.dmabuf.framework.internal.licence.LicenceGate;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.hooks.service.EventListenerHook;
import org.osgi.framework.hooks.service.FindHook;

/**
 * Puts the licence gate in place the moment the framework bundle starts,
 * before any driver can resolve (drivers start at a later start level). An
 * activator rather than a DS component because the hooks must not wait for
 * DS: the order is the point. The initial policy is the framework property
 * {@code dmabuf.policy} (default {@code gpl-only}); Config Admin takes over
 * as soon as it delivers {@code org.dmabuf.policy}.
 */
public final class GateActivator implements BundleActivator {
    /** Framework property: the export policy at start. */
    public static final String POLICY_PROPERTY = "dmabuf.policy";

    // the gate of the running framework bundle, for its own components (FrameworkComponent): never published
    private static volatile GateService running;
    // the uevents of the running framework bundle (Event Admin), for its own parts: never published
    private static volatile UeventPoster uevents = UeventPoster.NONE;

    private List<ServiceRegistration<?>> regs = List.of();
    private Gatekeeper keeper;
    private GateService service;

    @Override
    public void start(BundleContext context) {
        String p = context.getProperty(POLICY_PROPERTY);
        LicenceGate gate = new LicenceGate(p == null ? ExportPolicy.GPL_ONLY : ExportPolicy.of(p));
        UeventPoster poster = UeventPoster.open(context);
        uevents = poster;
        keeper = new Gatekeeper(gate, context);
        keeper.uevents(poster);
        context.addBundleListener(keeper);
        keeper.scan(context);
        service = new GateService(context, keeper, poster);
        // each hook published as a lambda of its one method: whoever gets the hook service from the registry
        // gets that method only, never the keeper (its bundle listener, its caller guard)
        Gatekeeper k = keeper;
        // fd calls and views are their owner's (docs/security.md): judged by the class that calls, woven in
        org.dmabuf.framework.internal.core.FdCallers.rule(k);
        FdCallWeaver weaver = new FdCallWeaver(context.getBundle());
        regs = List.of(
                context.registerService(ResolverHookFactory.class, k::begin, null),
                context.registerService(FindHook.class, k::find, null),
                context.registerService(EventListenerHook.class, k::event, null),
                context.registerService(org.osgi.framework.hooks.weaving.WeavingHook.class, weaver::weave, null));
        running = service;
    }

    /**
     * @return the gate of the running framework bundle: how its own components
     *         reach it, since internal objects are never published as services
     * @throws IllegalStateException when the bundle is not started
     */
    static GateService gate() {
        GateService g = running;
        if (g == null) {
            throw new IllegalStateException("the licence gate is not up; expected the framework bundle started");
        }
        return g;
    }

    /** @return the uevents of the running framework bundle ({@link UeventPoster#NONE} when it is not started) */
    static UeventPoster uevents() {
        return uevents;
    }

    @Override
    public void stop(BundleContext context) {
        org.dmabuf.framework.internal.core.FdCallers.rule(null);
        running = null;
        uevents.close();
        uevents = UeventPoster.NONE;
        regs.forEach(ServiceRegistration::unregister);
        context.removeBundleListener(keeper);
        service.close();
    }
}
