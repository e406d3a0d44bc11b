// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The live buffers, as the kernel's {@code db_list} (the list
 * {@code dma_buf_export} adds a buffer to under {@code dmabuf_list_mutex}):
 * an intrusive doubly linked list, the links in the buffers themselves, in
 * inode order. Eight bytes a buffer, where a concurrent set's node and table
 * cost about forty; and bufinfo walks it in order with nothing to sort and
 * nothing to copy.
 *
 * <p>Adding and removing take the list's lock (the kernel's mutex): an
 * export and a release, never a handoff. Readers take no lock: an iteration
 * is weakly consistent, as a {@code ConcurrentHashMap}'s, and returns each
 * buffer at most once, in increasing inode order: every buffer live for the
 * whole walk, perhaps some added or removed during it. How: a removed node
 * links to the list's head, never to another buffer, so a reader standing on
 * it starts again from the head and skips what it has seen by inode number
 * (a rare walk: only when the buffer it stands on goes while it stands
 * there); and a driver that keeps a stale handle keeps its own buffer and
 * nothing else (a link to the node before it would keep a chain of older
 * buffers removed after it).
 *
 * <p>The core's open modules are such a list too, as the kernel's
 * {@code modules} list, keyed by the order they were opened in: a view's get
 * and unget add and remove one.
 */
final class LiveList<T extends LiveList.Node> implements Iterable<T> {
    /** What a listed buffer carries: its inode number (a module: its opening's number) and its links. */
    abstract static class Node {
        final long ino;
        // written under the list's lock with release stores (readers read it volatile); once removed, the head
        volatile Node next;
        Node prev;          // under the list's lock; null once removed

        Node(long ino) {
            this.ino = ino;
        }
    }

    private static final class Head extends Node {
        Head() {
            super(Long.MIN_VALUE);
        }
    }

    // the list's stores are release stores, not volatile ones: under its lock there is one writer, and a reader
    // that reads a link sees what was written before it; a volatile store would add a full fence to each
    // (three an add, three a remove: on x86 a locked instruction each, as dear as the lock itself)
    private static final VarHandle NEXT;
    private static final VarHandle SIZE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            NEXT = l.findVarHandle(Node.class, "next", Node.class);
            SIZE = l.findVarHandle(LiveList.class, "size", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Node head = new Head();
    private Node tail = head; // guarded by this
    private volatile int size; // written under the lock (release stores)

    /**
     * Adds a buffer in its inode order (exporters that race add a few out of
     * order: it walks back over them).
     *
     * @param n a buffer never listed
     */
    synchronized void add(T n) {
        Node p = tail;
        while (p.ino > n.ino) {
            p = p.prev;
        }
        Node after = p.next;
        n.prev = p;
        NEXT.setRelease(n, after);
        if (after == null) {
            tail = n;
        } else {
            after.prev = n;
        }
        NEXT.setRelease(p, n); // last: a reader that reaches n sees its links
        SIZE.setRelease(this, size + 1);
    }

    /** @return whether it was listed (a second remove does nothing) */
    synchronized boolean remove(T n) {
        Node p = n.prev;
        if (p == null) {
            return false;
        }
        Node after = n.next;
        NEXT.setRelease(p, after);
        if (after == null) {
            tail = p;
        } else {
            after.prev = p;
        }
        n.prev = null;
        NEXT.setRelease(n, head); // back to the start, never forward: see the class comment
        SIZE.setRelease(this, size - 1);
        return true;
    }

    /** @return the number of live buffers */
    int size() {
        return size;
    }

    /** @return whether no buffer is live */
    boolean isEmpty() {
        return size == 0;
    }

    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private Node at = head;
            private long seen = Long.MIN_VALUE;
            private T ahead;

            @Override
            public boolean hasNext() {
                if (ahead == null) {
                    Node n = at.next;
                    while (n != null && n.ino <= seen) {
                        n = n.next; // a removed node's link goes back: skip what was returned already
                    }
                    if (n == null) {
                        return false;
                    }
                    at = n;
                    seen = n.ino;
                    @SuppressWarnings("unchecked")
                    T t = (T) n;
                    ahead = t;
                }
                return true;
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                T b = ahead;
                ahead = null;
                return b;
            }
        };
    }
}
