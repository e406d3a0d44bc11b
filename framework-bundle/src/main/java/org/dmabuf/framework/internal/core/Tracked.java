// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import java.util.ArrayList;
import java.util.List;

/**
 * An object a module holds and must give back when it stops: a reference,
 * an attachment, a virtual mapping, a transfer in flight. Linked into its
 * module's list (intrusive, so tracking costs no allocation and removal is
 * O(1)); the links are guarded by the module's lock.
 */
abstract class Tracked {
    Tracked prev;
    Tracked next;
    boolean linked;
    /** Where it was taken ({@link Origins}), in debug mode; else {@code null}. Guarded by the module's lock. */
    String origin;

    /** An intrusive doubly linked list of {@link Tracked}; not thread-safe. */
    static final class List0 {
        private Tracked head;
        private int size;

        void add(Tracked t) {
            t.prev = null;
            t.next = head;
            if (head != null) {
                head.prev = t;
            }
            head = t;
            t.linked = true;
            size++;
        }

        boolean remove(Tracked t) {
            if (!t.linked) {
                return false;
            }
            if (t.prev != null) {
                t.prev.next = t.next;
            } else {
                head = t.next;
            }
            if (t.next != null) {
                t.next.prev = t.prev;
            }
            t.prev = t.next = null;
            t.linked = false;
            size--;
            return true;
        }

        int size() {
            return size;
        }

        /** @return the size of a list, 0 for one not made yet ({@code null}) */
        static int size(List0 l) {
            return l == null ? 0 : l.size;
        }

        /** @return {@link #snapshot()} of a list, empty for one not made yet ({@code null}) */
        static List<Tracked> snapshot(List0 l) {
            return l == null ? List.of() : l.snapshot();
        }

        /** @return {@link #drain()} of a list, empty for one not made yet ({@code null}) */
        static List<Tracked> drain(List0 l) {
            return l == null ? List.of() : l.drain();
        }

        /** Unlinks everything and returns it, oldest first. */
        List<Tracked> drain() {
            if (size == 0) {
                return List.of();
            }
            List<Tracked> out = new ArrayList<>(size);
            for (Tracked t = head; t != null; ) {
                Tracked n = t.next;
                t.prev = t.next = null;
                t.linked = false;
                out.add(t);
                t = n;
            }
            head = null;
            size = 0;
            return out.reversed();
        }

        /** @return a snapshot, oldest first */
        List<Tracked> snapshot() {
            List<Tracked> out = new ArrayList<>(size);
            for (Tracked t = head; t != null; t = t.next) {
                out.add(t);
            }
            return out.reversed();
        }
    }
}
