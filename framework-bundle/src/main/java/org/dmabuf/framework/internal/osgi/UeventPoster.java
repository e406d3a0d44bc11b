// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import java.util.HashMap;
import java.util.Map;

import org.dmabuf.api.debugfs.Uevents;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;

/**
 * The kernel's uevents as Event Admin events ({@link Uevents}): posted
 * asynchronously through whichever Event Admin runs, and for buffers only
 * while some handler subscribes to their topics (the handlers' registrations
 * are watched, not called), so that an export pays a volatile read when
 * nobody listens. The Event Admin package is an optional import: without
 * it, {@link #open} gives a poster that posts nothing.
 */
final class UeventPoster implements DmaBufCore.BufferEvents {
    /** Posts nothing: no Event Admin package in the framework. */
    static final UeventPoster NONE = new UeventPoster();

    private final ServiceTracker<EventAdmin, EventAdmin> admins;
    private final ServiceTracker<EventHandler, ServiceReference<EventHandler>> handlers;
    private volatile boolean buffersWanted;

    private UeventPoster() {
        admins = null;
        handlers = null;
    }

    private UeventPoster(BundleContext context) {
        admins = new ServiceTracker<>(context, EventAdmin.class, null);
        handlers = new ServiceTracker<>(context, EventHandler.class,
                new ServiceTrackerCustomizer<EventHandler, ServiceReference<EventHandler>>() {
                    @Override
                    public ServiceReference<EventHandler> addingService(ServiceReference<EventHandler> r) {
                        subscribed.add(r);
                        recount();
                        return r;
                    }

                    @Override
                    public void modifiedService(ServiceReference<EventHandler> r, ServiceReference<EventHandler> s) {
                        recount();
                    }

                    @Override
                    public void removedService(ServiceReference<EventHandler> r, ServiceReference<EventHandler> s) {
                        subscribed.remove(r);
                        recount();
                    }
                });
    }

    /** @return a poster for that context, its trackers open; {@link #NONE} without the Event Admin package */
    static UeventPoster open(BundleContext context) {
        try {
            UeventPoster p = new UeventPoster(context);
            p.admins.open();
            p.handlers.open(true);
            return p;
        } catch (NoClassDefFoundError noEventAdmin) {
            return NONE;
        }
    }

    void close() {
        if (admins != null) {
            handlers.close();
            admins.close();
        }
    }

    // the handlers' registrations, kept here: a tracker counts the one being added only after its callback
    private final java.util.Set<ServiceReference<EventHandler>> subscribed =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    // whether any handler wants buffer events now
    private synchronized void recount() {
        boolean wanted = false;
        for (ServiceReference<EventHandler> r : subscribed) {
            Object topics = r.getProperty(EventConstants.EVENT_TOPIC);
            wanted |= covers(topics, Uevents.BUFFER_EXPORTED) || covers(topics, Uevents.BUFFER_RELEASED);
        }
        buffersWanted = wanted;
    }

    /**
     * @param topics an {@code event.topics} property: a String, a String[] or a collection of them
     * @param topic a topic
     * @return whether one of them matches it, as Event Admin matches ({@code *} and {@code a/b/*})
     */
    static boolean covers(Object topics, String topic) {
        if (topics instanceof String t) {
            return t.equals("*") || t.equals(topic) || (t.endsWith("/*") && topic.startsWith(t.substring(0, t.length() - 1)));
        }
        if (topics instanceof String[] ts) {
            for (String t : ts) {
                if (covers(t, topic)) {
                    return true;
                }
            }
        }
        if (topics instanceof java.util.Collection<?> c) {
            for (Object t : c) {
                if (covers(t, topic)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Posts an event on that topic, with {@link Uevents#ACTION} and the properties given (pairs). */
    void post(String topic, String action, Object... pairs) {
        if (admins == null) {
            return;
        }
        EventAdmin admin = admins.getService();
        if (admin == null) {
            return;
        }
        Map<String, Object> props = new HashMap<>();
        props.put(Uevents.ACTION, action);
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            if (pairs[i + 1] != null) {
                props.put((String) pairs[i], pairs[i + 1]);
            }
        }
        admin.postEvent(new Event(topic, props));
    }

    @Override
    public boolean wanted() {
        return buffersWanted;
    }

    @Override
    public void exported(long ino, long size, String exporter, String expName) {
        post(Uevents.BUFFER_EXPORTED, "add", Uevents.INO, ino, Uevents.SIZE, size, Uevents.EXPORTER, exporter,
                Uevents.EXP_NAME, expName);
    }

    @Override
    public void released(long ino, long size, String exporter, String expName) {
        post(Uevents.BUFFER_RELEASED, "remove", Uevents.INO, ino, Uevents.SIZE, size, Uevents.EXPORTER, exporter,
                Uevents.EXP_NAME, expName);
    }
}
