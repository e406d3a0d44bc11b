// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** The live-buffer list: in inode order, each node at most once, weakly consistent while it changes. */
class LiveListTest {
    static final class N extends LiveList.Node {
        N(long ino) {
            super(ino);
        }
    }

    private static List<Long> inos(LiveList<N> l) {
        List<Long> out = new ArrayList<>();
        for (N n : l) {
            out.add(n.ino);
        }
        return out;
    }

    @Test
    void keeps_inode_order_whatever_the_order_of_adding_and_a_second_remove_does_nothing() {
        LiveList<N> l = new LiveList<>();
        N[] ns = new N[8];
        for (long ino : new long[] {3, 1, 7, 5, 2, 8, 4, 6}) { // exporters that raced: out of order
            ns[(int) ino - 1] = new N(ino);
            l.add(ns[(int) ino - 1]);
        }
        assertThat(inos(l)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        assertThat(l.size()).isEqualTo(8);
        assertThat(l.remove(ns[0])).isTrue();
        assertThat(l.remove(ns[7])).isTrue();
        assertThat(l.remove(ns[4])).isTrue();
        assertThat(l.remove(ns[4])).as("a second remove").isFalse();
        assertThat(inos(l)).containsExactly(2L, 3L, 4L, 6L, 7L);
        assertThat(l.size()).isEqualTo(5);
        l.add(new N(9));
        assertThat(inos(l)).containsExactly(2L, 3L, 4L, 6L, 7L, 9L);
    }

    @Test
    void a_removed_node_links_to_the_head_so_a_stale_holder_keeps_no_other_buffer() {
        LiveList<N> l = new LiveList<>();
        N a = new N(1);
        N b = new N(2);
        N c = new N(3);
        l.add(a);
        l.add(b);
        l.add(c);
        l.remove(b);
        l.remove(c);
        assertThat(b.next.ino).as("b's link, once removed: the head").isEqualTo(Long.MIN_VALUE);
        assertThat(c.next).as("c's link: the same head").isSameAs(b.next);
        assertThat(l.isEmpty()).isFalse();
        l.remove(a);
        assertThat(l.isEmpty()).isTrue();
        assertThat(a.next).isSameAs(b.next);
    }

    @Test
    void a_reader_standing_on_a_removed_node_goes_on_without_repeating_or_missing_a_node_live_throughout() {
        LiveList<N> l = new LiveList<>();
        List<N> ns = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            N n = new N(i);
            ns.add(n);
            l.add(n);
        }
        var it = l.iterator();
        assertThat(it.next().ino).isEqualTo(1);
        assertThat(it.next().ino).isEqualTo(2);
        assertThat(it.next().ino).isEqualTo(3); // the reader stands on 3
        l.remove(ns.get(2)); // 3 goes, then 2 and 4: the reader's way back leads through removed nodes
        l.remove(ns.get(1));
        l.remove(ns.get(3));
        List<Long> rest = new ArrayList<>();
        it.forEachRemaining(n -> rest.add(n.ino));
        assertThat(rest).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
    }

    @Test
    void concurrent_readers_see_every_stable_node_once_in_order_while_others_come_and_go() throws Exception {
        LiveList<N> l = new LiveList<>();
        List<N> stable = new ArrayList<>();
        long ino = 1;
        for (int i = 0; i < 2_000; i++) {
            N n = new N(ino++);
            l.add(n);
            if (i % 2 == 0) {
                stable.add(n);
            }
        }
        List<Long> stableInos = stable.stream().map(n -> n.ino).toList();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CountDownLatch churned = new CountDownLatch(1);
        final long first = ino;
        Thread churn = new Thread(() -> {
            List<N> mine = new ArrayList<>();
            for (N n : l) {
                if (n.ino % 2 == 0) {
                    mine.add(n); // the odd-numbered are the stable ones (the 1st, 3rd, ...)
                }
            }
            long next = first;
            int rounds = 0;
            while (!stop.get() || rounds < 20_000) {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                if (!mine.isEmpty() && r.nextBoolean()) {
                    l.remove(mine.remove(r.nextInt(mine.size())));
                } else {
                    N n = new N(next++);
                    l.add(n);
                    mine.add(n);
                }
                rounds++;
                if (rounds == 20_000) {
                    churned.countDown();
                }
            }
        });
        churn.start();
        try {
            int walks = 0;
            while ((churned.getCount() > 0 && churn.isAlive()) || walks < 50) {
                List<Long> seen = inos(l);
                for (int i = 1; i < seen.size(); i++) {
                    assertThat(seen.get(i)).as("in increasing order, never twice").isGreaterThan(seen.get(i - 1));
                }
                assertThat(seen).as("every node live for the whole walk").containsAll(stableInos);
                walks++;
            }
        } catch (Throwable t) {
            failed.set(t);
        } finally {
            stop.set(true);
            churn.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertThat(churn.isAlive()).isFalse();
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
        assertThat(inos(l)).containsAll(stableInos);
        assertThat(inos(l).size()).isEqualTo(l.size());
    }
}
