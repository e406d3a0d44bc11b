// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.util.Hashtable;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArraySet;

import org.dmabuf.api.debugfs.Uevents;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * What the open DMA-BUF pages hear: the platform's uevents
 * ({@code org/dmabuf/*}: buffers, devices, refusals, the policy) and the
 * bundles' lifecycle ({@code org/osgi/framework/BundleEvent/*}, as Event
 * Admin relays it), one line per event to each page's stream. The handler
 * is registered only while a page listens, so buffer events cost nothing
 * when nobody watches (the platform posts them only to a listening handler).
 * Event Admin is an optional import: {@link #available} says whether it is
 * there, and nothing here is loaded when it is not.
 */
final class PageEvents {
    /** A stream's queue holds at most this many lines; beyond, it gets {@link #RESYNC} and reloads whole. */
    static final int QUEUE = 256;
    /** The line a stream gets when its page fell behind, or when the plugin stops ({@link #CLOSED}). */
    static final String RESYNC = "resync";
    static final String CLOSED = "closed";
    /** The most pages listening at once: each holds a Web Console thread while its stream is open. */
    static final int MAX_STREAMS = 16;

    private final BundleContext context;
    private final Set<BlockingQueue<String>> streams = new CopyOnWriteArraySet<>();
    private ServiceRegistration<EventHandler> registration; // guarded by this
    private volatile boolean closed;

    PageEvents(BundleContext context) {
        this.context = context;
    }

    /** @return whether Event Admin's API is wired to this bundle (an optional import) */
    static boolean available() {
        try {
            Class.forName("org.osgi.service.event.EventHandler", false, PageEvents.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * @return a new page's queue of event lines, or {@code null} when
     *         {@link #MAX_STREAMS} pages listen already or the plugin stopped
     */
    synchronized BlockingQueue<String> open() {
        if (closed || streams.size() >= MAX_STREAMS) {
            return null;
        }
        BlockingQueue<String> q = new ArrayBlockingQueue<>(QUEUE);
        streams.add(q);
        if (registration == null) {
            Hashtable<String, Object> p = new Hashtable<>();
            p.put(EventConstants.EVENT_TOPIC, new String[] {Uevents.PREFIX + "*", "org/osgi/framework/BundleEvent/*"});
            registration = context.registerService(EventHandler.class, this::heard, p);
        }
        return q;
    }

    /** @param q a queue {@link #open} returned: the page went away */
    synchronized void close(BlockingQueue<String> q) {
        streams.remove(q);
        if (streams.isEmpty() && registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping: the framework unregistered it
            }
            registration = null;
        }
    }

    /** @return whether the plugin stopped: every stream ends, and no new one opens */
    boolean closed() {
        return closed;
    }

    /** Ends every open stream: the plugin stops. */
    synchronized void closeAll() {
        closed = true;
        for (BlockingQueue<String> q : streams) {
            q.clear();
            q.offer(CLOSED);
        }
        streams.clear();
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping: the framework unregistered it
            }
            registration = null;
        }
    }

    // Event Admin's thread: never blocks, never throws
    private void heard(Event e) {
        String line = line(e);
        for (BlockingQueue<String> q : streams) {
            if (!q.offer(line)) {
                q.clear(); // the page fell behind: it reloads whole
                q.offer(RESYNC);
            }
        }
    }

    /** @return the event as one line: its topic and what it names ({@code DEVNAME}, {@code ino}, the module) */
    static String line(Event e) {
        StringBuilder b = new StringBuilder(e.getTopic());
        for (String k : new String[] {Uevents.DEVNAME, Uevents.INO, Uevents.MODULE, Uevents.TO,
                EventConstants.BUNDLE_SYMBOLICNAME}) {
            Object v = e.getProperty(k);
            if (v != null) {
                b.append(' ').append(k).append('=').append(String.valueOf(v).replaceAll("[\\r\\n]", " "));
            }
        }
        return b.toString();
    }
}
