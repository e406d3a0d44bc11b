// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.fence;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's lockdep, for what the platform's locks and fences can get
 * wrong: the dma-fence signalling annotations ({@code dma_fence_begin_signalling}
 * and {@code dma_fence_end_signalling}, {@code drivers/dma-buf/dma-fence.c}),
 * the atomic context of callbacks that must not block, and the order in which
 * reservation locks are taken. Only in debug mode ({@link #enable}); off, each
 * hook costs one read of a volatile boolean.
 *
 * <p>The rules, each reported once per place, as lockdep prints it, with the
 * stacks and the bundles on them:
 * <ul>
 * <li>no fence is waited for inside a signalling section: the fence a section
 * must signal may depend on the fence waited for ({@code dma_fence_map},
 * "possible recursive locking detected");</li>
 * <li>no reservation lock is taken inside a signalling section: reservation
 * locks are held while fences are waited for ("possible circular locking
 * dependency detected");</li>
 * <li>nothing that sleeps (a fence wait, a reservation lock that is not a
 * trylock) in a callback that must not block: {@code DmaFence.Callback.onSignaled},
 * {@code move_notify} ("BUG: sleeping function called from invalid context");</li>
 * <li>a second reservation lock is taken, without an acquire context, only
 * by code that holds none ("possible recursive locking detected", as the
 * kernel says of two locks of {@code reservation_ww_class_mutex} nested
 * without {@code ww_acquire_ctx}); and two reservation locks are never taken
 * in both orders ("possible circular locking dependency detected", with the
 * stack that took them in the first order and the one that takes them in the
 * second).</li>
 * </ul>
 *
 * <p>The lock-order graph is between reservation objects (the kernel's
 * lockdep is between lock classes, and every {@code dma_resv} is of one
 * class: the rule above on nesting covers what the class graph would see).
 * It is bounded ({@link #MAX_EDGES}); a reservation object leaves it when it
 * is released.
 */
public final class Lockdep {
    private static final Logger LOG = LoggerFactory.getLogger("org.dmabuf.lockdep");
    /** The lock-order dependencies kept at most; past it, no new one is recorded (MAX_LOCKDEP_ENTRIES). */
    public static final int MAX_EDGES = 1 << 16;
    /** The reports kept at most for {@code dmabuf:lockdep}; every report is logged. */
    public static final int MAX_REPORTS = 64;
    private static final int FRAMES = 12;
    private static final String FENCE_MAP = "(dma_fence_map)";
    private static final String RESV_CLASS = "(reservation_ww_class_mutex)";
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private static volatile boolean on;
    private static volatile int epoch; // each switch off: threads' states from before are forgotten
    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);
    private static final List<Report> REPORTS = new CopyOnWriteArrayList<>();
    private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();
    /** Threads in a callback that must not block, for the watchdog's look at what they do. */
    private static final Map<Thread, State> ATOMIC = new ConcurrentHashMap<>();
    // edges[a][b]: b was taken while a was held, and where; guarded by EDGES
    private static final Map<Object, Map<Object, Edge>> EDGES = new IdentityHashMap<>();
    private static int edgeCount; // guarded by EDGES
    private static boolean edgesFull; // guarded by EDGES
    private static volatile Consumer<Report> listener = r -> { };

    private Lockdep() {
    }

    /**
     * A report: its title (the kernel's first line), the full text, and the bundles on the stacks, innermost first.
     *
     * @param title for instance {@code WARNING: possible circular locking dependency detected}
     * @param text the whole report, as logged
     * @param bundles the symbolic names of the bundles whose code made the calls on the stacks (the innermost
     *        bundle of each stack), not the framework's
     */
    public record Report(String title, String text, List<String> bundles) {
    }

    /** One lock held by a thread. */
    private record Held(Object lock, String name, boolean ctx, List<Frame> stack) {
    }

    /** Where a dependency {@code a -> b} was first seen: the stacks that held a and took b. */
    private record Edge(String thread, List<Frame> held, List<Frame> taken) {
    }

    /**
     * A frame, with the bundle its class belongs to (not the framework's: {@code null}), and whether it is the
     * framework's own code.
     */
    private record Frame(String text, String bundle, boolean ours) {
    }

    private static final class State {
        int signalling;
        List<Frame> signallingAt;
        int atomic;
        String atomicWhat;
        String atomicBundle; // the bundle of the callback's class
        int epoch;
        final ArrayDeque<Held> held = new ArrayDeque<>();
        Thread.State seen; // the watchdog's last look, while in an atomic section
    }

    // what the reports call a lock, in debug mode: a field would cost every buffer its bytes
    private static final Map<Object, String> NAMES = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /**
     * Names a lock for the reports, in debug mode (a buffer's reservation object: its ino and exporter).
     *
     * @param lock the lock
     * @param name what the reports call it
     */
    public static void name(Object lock, String name) {
        if (on) {
            NAMES.put(lock, name);
        }
    }

    /** @return what the reports call {@code lock} */
    public static String nameOf(Object lock) {
        String n = NAMES.get(lock);
        return n != null ? n : "dma_resv@" + Integer.toHexString(System.identityHashCode(lock));
    }

    /** Turns the checks on or off (debug mode); turning them off forgets the lock-order graph and the state. */
    public static void enable(boolean enabled) {
        on = enabled;
        if (!enabled) {
            epoch++;
            synchronized (EDGES) {
                EDGES.clear();
                edgeCount = 0;
                edgesFull = false;
            }
            ATOMIC.clear();
        }
    }

    /** @return whether the checks are on */
    public static boolean enabled() {
        return on;
    }

    /** Who hears of each report as it is made (the core taints the bundles named, as WARN does). */
    public static void listener(Consumer<Report> l) {
        listener = l == null ? r -> { } : l;
    }

    /** @return the reports kept, oldest first */
    public static List<Report> reports() {
        return List.copyOf(REPORTS);
    }

    /** Forgets the reports and the places already reported (tests; {@code dmabuf:lockdep clear}). */
    public static void clear() {
        REPORTS.clear();
        SEEN.clear();
    }

    // --- signalling sections --------------------------------------------------

    /**
     * {@code dma_fence_begin_signalling}.
     *
     * @return the cookie for {@link #endSignalling}: {@code true} when the thread was already in a section (or
     *         the checks are off), and ending it changes nothing
     */
    public static boolean beginSignalling() {
        if (!on) {
            return true;
        }
        State s = state();
        if (s.signalling++ > 0) {
            return true;
        }
        s.signallingAt = stack();
        return false;
    }

    /** {@code dma_fence_end_signalling}. @param cookie what {@link #beginSignalling} returned */
    public static void endSignalling(boolean cookie) {
        if (cookie || !on) {
            if (cookie && on) {
                State s = state();
                if (s.signalling > 0) {
                    s.signalling--;
                }
            }
            return;
        }
        State s = state();
        if (s.signalling > 0) {
            s.signalling--;
        }
        if (s.signalling == 0) {
            s.signallingAt = null;
        }
    }

    /** @return whether the calling thread is inside a signalling section */
    public static boolean inSignalling() {
        return on && state().signalling > 0;
    }

    // --- callbacks that must not block -----------------------------------------

    /**
     * Enters a callback that must not block ({@code onSignaled}, {@code move_notify}): it runs in what the
     * kernel calls atomic context, and in a signalling section (the kernel's {@code dma_fence_signal} is one).
     *
     * @param what the callback, for the report
     * @return the cookie for {@link #exitAtomic}
     */
    public static boolean enterAtomic(String what, Object callback) {
        if (!on) {
            return true;
        }
        State s = state();
        if (s.atomic++ == 0) {
            s.atomicWhat = what;
            s.atomicBundle = bundle(callback.getClass());
            ATOMIC.put(Thread.currentThread(), s);
        }
        if (s.signalling++ == 0) {
            s.signallingAt = stack();
        }
        return false;
    }

    /** Leaves a callback entered with {@link #enterAtomic}. @param cookie what it returned */
    public static void exitAtomic(boolean cookie) {
        if (cookie) {
            return;
        }
        State s = state();
        if (s.signalling > 0 && --s.signalling == 0) {
            s.signallingAt = null;
        }
        if (s.atomic > 0 && --s.atomic == 0) {
            s.atomicWhat = null;
            s.atomicBundle = null;
            s.seen = null;
            ATOMIC.remove(Thread.currentThread());
        }
    }

    // --- waits ----------------------------------------------------------------

    /**
     * {@code might_sleep()} and {@code __dma_fence_might_wait()}: called by every fence wait before it looks
     * whether it has to wait at all, as the kernel's are, so the bug shows on the first run and not on the
     * unlucky one.
     *
     * @param func the wait, for instance {@code dma_fence_wait_timeout}
     */
    public static void mightWait(String func) {
        if (!on) {
            return;
        }
        State s = state();
        if (s.atomic > 0) {
            sleepingInAtomic(s, func);
        } else if (s.signalling > 0) {
            List<Frame> here = stack();
            report("WARNING: possible recursive locking detected", func, here, s.signallingAt, () -> {
                StringBuilder b = acquiring("WARNING: possible recursive locking detected", FENCE_MAP, func, here,
                        FENCE_MAP, "dma_fence_begin_signalling", s.signallingAt);
                b.append("\nother info that might help us debug this:\n Possible unsafe locking scenario:\n\n")
                        .append("       CPU0\n       ----\n  lock(dma_fence_map);\n  lock(dma_fence_map);\n\n")
                        .append(" *** DEADLOCK ***\n\n")
                        .append(" A fence is waited for inside a signalling section: a fence this code must signal"
                                + " may depend on it, and then neither ever signals.\n");
                return b;
            });
        }
    }

    // --- reservation locks ------------------------------------------------------

    /**
     * Before a reservation lock is taken: checks the signalling section, atomic context and lock order. The
     * lock the thread holds already (re-entered) never blocks and is not checked.
     *
     * @param lock the reservation object
     * @param name what it is, for the report
     * @param func the call, for instance {@code dma_resv_lock}
     * @param blocking false for a trylock, which never waits
     * @param ctx whether it is taken with an acquire context (ww_acquire_ctx)
     */
    public static void acquire(Object lock, String name, String func, boolean blocking, boolean ctx) {
        State s = state();
        for (Held h : s.held) {
            if (h.lock == lock) {
                return;
            }
        }
        if (s.atomic > 0 && blocking) {
            sleepingInAtomic(s, func);
        } else if (s.signalling > 0 && blocking) {
            List<Frame> here = stack();
            report("WARNING: possible circular locking dependency detected", func, here, s.signallingAt, () -> {
                StringBuilder b = acquiring("WARNING: possible circular locking dependency detected",
                        RESV_CLASS + ' ' + name, func, here, FENCE_MAP, "dma_fence_begin_signalling", s.signallingAt);
                b.append("\nwhich lock already depends on the new lock:\n the existing dependency chain is"
                        + " dma_resv_lock -> dma_fence_wait (reservation locks are held while fences are"
                        + " waited for).\n\nother info that might help us debug this:\n"
                        + " Possible unsafe locking scenario:\n\n"
                        + "       CPU0                    CPU1\n       ----                    ----\n"
                        + "  lock(dma_fence_map);\n                               lock(reservation_ww_class_mutex);\n"
                        + "                               lock(dma_fence_map);\n"
                        + "  lock(reservation_ww_class_mutex);\n\n *** DEADLOCK ***\n");
                return b;
            });
        }
        if (s.held.isEmpty()) {
            return;
        }
        List<Frame> here = null;
        for (Held h : s.held) {
            if (ctx && h.ctx) {
                continue; // an acquire context orders these: -EDEADLK and back off, never a deadlock
            }
            if (here == null) {
                here = stack();
            }
            if (!blocking) {
                continue; // a trylock never waits: no dependency, as the kernel's lockdep records none
            }
            recursive(h, name, func, here); // a plain lock nested in any other, or one of a context in a plain one
            dependency(h, lock, name, func, here);
        }
    }

    /** After a reservation lock was taken (the first hold of this thread). */
    public static void acquired(Object lock, String name, boolean ctx) {
        State s = state();
        for (Held h : s.held) {
            if (h.lock == lock) {
                return;
            }
        }
        s.held.push(new Held(lock, name, ctx, stack()));
    }

    /** After the last hold of a reservation lock by this thread was released. */
    public static void released(Object lock) {
        State s = state();
        s.held.removeIf(h -> h.lock == lock);
    }

    /** A reservation object is released: it leaves the lock-order graph. */
    public static void forget(Object lock) {
        synchronized (EDGES) {
            Map<Object, Edge> out = EDGES.remove(lock);
            if (out != null) {
                edgeCount -= out.size();
            }
            for (Map<Object, Edge> m : EDGES.values()) {
                if (m.remove(lock) != null) {
                    edgeCount--;
                }
            }
        }
    }

    private static void recursive(Held h, String name, String func, List<Frame> here) {
        report("WARNING: possible recursive locking detected", func, here, h.stack, () -> {
            StringBuilder b = acquiring("WARNING: possible recursive locking detected", RESV_CLASS + ' ' + name,
                    func, here, RESV_CLASS + ' ' + h.name, "dma_resv_lock", h.stack);
            b.append("\nother info that might help us debug this:\n Possible unsafe locking scenario:\n\n")
                    .append("       CPU0\n       ----\n  lock(reservation_ww_class_mutex);\n")
                    .append("  lock(reservation_ww_class_mutex);\n\n *** DEADLOCK ***\n\n")
                    .append(" May be due to missing lock nesting notation: lock several reservation objects"
                            + " with an acquire context (DmaResv.lock(WwAcquireCtx), or the drm helpers'"
                            + " DrmExec).\n");
            return b;
        });
    }

    // records held -> lock, and reports the cycle if lock -> ... -> held is known
    private static void dependency(Held h, Object lock, String name, String func, List<Frame> here) {
        List<Object> path;
        Edge back;
        synchronized (EDGES) {
            Map<Object, Edge> out = EDGES.computeIfAbsent(h.lock, k -> new IdentityHashMap<>());
            if (!out.containsKey(lock)) {
                if (edgeCount >= MAX_EDGES) {
                    if (!edgesFull) {
                        edgesFull = true;
                        LOG.warn("BUG: MAX_LOCKDEP_ENTRIES too low! ({} lock-order dependencies): no new"
                                + " dependency is recorded from now on", MAX_EDGES);
                    }
                } else {
                    out.put(lock, new Edge(Thread.currentThread().getName(), h.stack, here));
                    edgeCount++;
                }
            }
            path = path(lock, h.lock);
            back = path == null ? null : EDGES.get(path.get(0)).get(path.get(1));
        }
        if (path == null) {
            return;
        }
        Edge prior = back;
        report("WARNING: possible circular locking dependency detected", func, here, prior.taken, () -> {
            StringBuilder b = acquiring("WARNING: possible circular locking dependency detected",
                    RESV_CLASS + ' ' + name, func, here, RESV_CLASS + ' ' + h.name, "dma_resv_lock", h.stack);
            b.append("\nwhich lock already depends on the new lock.\n\nthe existing dependency chain (in reverse"
                    + " order) is:\n\n-> #1 ").append(RESV_CLASS).append(' ').append(h.name).append(":\n")
                    .append("       taken by ").append(prior.thread).append(" while it held ").append(name)
                    .append(":\n");
            frames(b, prior.taken);
            b.append("       ").append(name).append(" held from:\n");
            frames(b, prior.held);
            b.append("\n-> #0 ").append(RESV_CLASS).append(' ').append(name).append(":\n");
            frames(b, here);
            b.append("\nother info that might help us debug this:\n\n Possible unsafe locking scenario:\n\n")
                    .append("       CPU0                    CPU1\n       ----                    ----\n")
                    .append("  lock(").append(name).append(");\n")
                    .append("                               lock(").append(h.name).append(");\n")
                    .append("                               lock(").append(name).append(");\n")
                    .append("  lock(").append(h.name).append(");\n\n *** DEADLOCK ***\n");
            return b;
        }, prior.held, prior.taken);
    }

    // a path from -> ... -> to in the graph (breadth first), as the list of its nodes, or null; under EDGES
    private static List<Object> path(Object from, Object to) {
        Map<Object, Object> parent = new IdentityHashMap<>();
        ArrayDeque<Object> queue = new ArrayDeque<>();
        queue.add(from);
        parent.put(from, from);
        while (!queue.isEmpty()) {
            Object n = queue.poll();
            Map<Object, Edge> out = EDGES.get(n);
            if (out == null) {
                continue;
            }
            for (Object m : out.keySet()) {
                if (parent.containsKey(m)) {
                    continue;
                }
                parent.put(m, n);
                if (m == to) {
                    List<Object> p = new ArrayList<>();
                    for (Object x = m; ; x = parent.get(x)) {
                        p.add(0, x);
                        if (x == from) {
                            return p;
                        }
                    }
                }
                queue.add(m);
            }
        }
        return null;
    }

    // --- the watchdog's look -----------------------------------------------------

    /**
     * Looks at the threads inside callbacks that must not block: one found waiting (parked, sleeping, in
     * {@code Object.wait}) at two looks in a row is reported with its stack. What the platform's own calls do
     * is caught as they are made; this catches what the callback does by itself ({@code Thread.sleep}, a
     * {@code java.util.concurrent} lock, I/O that parks).
     */
    public static void sample() {
        if (!on || ATOMIC.isEmpty()) {
            return;
        }
        for (Map.Entry<Thread, State> e : ATOMIC.entrySet()) {
            Thread t = e.getKey();
            State s = e.getValue();
            Thread.State now = t.getState();
            boolean waiting = now == Thread.State.WAITING || now == Thread.State.TIMED_WAITING;
            if (waiting && s.seen == now) {
                StackTraceElement[] trace = t.getStackTrace();
                String what = s.atomicWhat;
                if (s.atomic == 0 || what == null) {
                    continue; // it left meanwhile
                }
                List<Frame> here = frames(trace, s.atomicBundle);
                report("BUG: sleeping function called from invalid context", what, here, List.of(), () -> {
                    StringBuilder b = new StringBuilder("BUG: sleeping function called from invalid context in ")
                            .append(what).append('\n').append("in_atomic(): 1, irqs_disabled(): 0, non_block: 1,"
                                    + " pid: ").append(t.threadId()).append(", name: ").append(t.getName())
                            .append("\n (found ").append(now).append(" in a callback that must not block)\n")
                            .append("Call Trace:\n");
                    frames(b, here);
                    return b;
                });
            }
            s.seen = waiting ? now : null;
        }
    }

    private static void sleepingInAtomic(State s, String func) {
        List<Frame> here = stack();
        String what = s.atomicWhat;
        report("BUG: sleeping function called from invalid context", func, here, List.of(), () -> {
            StringBuilder b = new StringBuilder("BUG: sleeping function called from invalid context at ")
                    .append(func).append('\n').append("in_atomic(): 1, irqs_disabled(): 0, non_block: 1, pid: ")
                    .append(Thread.currentThread().threadId()).append(", name: ")
                    .append(Thread.currentThread().getName()).append("\n (in ").append(what)
                    .append(", a callback that must not block)\nCall Trace:\n");
            frames(b, here);
            return b;
        });
    }

    // --- reports ----------------------------------------------------------------

    /**
     * Keeps a report of another debug-mode check (the leak finder's {@code ref_tracker}), beside lockdep's,
     * for {@code dmabuf:lockdep} and {@code DmaBufDebug.debugReports()}. Logged by the caller.
     *
     * @param title its first line's gist
     * @param text the report
     * @param bundles the bundles it names
     */
    public static void record(String title, String text, List<String> bundles) {
        Report r = new Report(title, text, List.copyOf(bundles));
        if (REPORTS.size() < MAX_REPORTS) {
            REPORTS.add(r);
        }
        try {
            listener.accept(r);
        } catch (RuntimeException e) {
            LOG.error("lockdep: the report's listener failed", e);
        }
    }

    @SafeVarargs
    private static void report(String title, String func, List<Frame> here, List<Frame> other,
            java.util.function.Supplier<StringBuilder> text, List<Frame>... more) {
        // once per place: the rule and the first frames of the bundles' code on both stacks
        String key = title + '|' + site(here) + '|' + site(other); // not func: a resv wait is fence waits
        if (!SEEN.add(key)) {
            return;
        }
        Set<String> bundles = new LinkedHashSet<>();
        bundles(here, bundles);
        bundles(other, bundles);
        for (List<Frame> m : more) {
            bundles(m, bundles);
        }
        StringBuilder b = text.get();
        b.append("\nbundles: ").append(bundles.isEmpty() ? "(the framework's own code)" : String.join(", ", bundles))
                .append('\n');
        String report = b.toString();
        LOG.warn("\n{}", report);
        record(title, report, List.copyOf(bundles));
    }

    // the place: the first two frames of bundles' code, else of code that is not the framework's
    private static String site(List<Frame> frames) {
        StringBuilder b = new StringBuilder();
        int n = 0;
        for (Frame f : frames) {
            if (f.bundle != null) {
                b.append(f.text).append(';');
                if (++n == 2) {
                    return b.toString();
                }
            }
        }
        if (n > 0) {
            return b.toString();
        }
        for (Frame f : frames) {
            if (!f.ours) {
                b.append(f.text).append(';');
                if (++n == 2) {
                    break;
                }
            }
        }
        return b.toString();
    }

    // the bundle whose code called the platform: the innermost bundle on the stack (who started that code, a
    // test or the framework's start of a bundle, is further down the stack, and not named)
    private static void bundles(List<Frame> frames, Set<String> out) {
        for (Frame f : frames) {
            if (f.bundle != null) {
                out.add(f.bundle);
                return;
            }
        }
    }

    // lockdep's head: the lock being taken, where, and the one held, where
    private static StringBuilder acquiring(String title, String lock, String func, List<Frame> here, String held,
            String heldAt, List<Frame> heldStack) {
        StringBuilder b = banner(title, '-');
        b.append(task()).append(" is trying to acquire lock:\n ").append(lock).append(", at: ").append(func)
                .append('\n');
        frames(b, here);
        b.append("\nbut task is already holding lock:\n ").append(held).append(", at: ").append(heldAt).append('\n');
        frames(b, heldStack);
        return b;
    }

    private static StringBuilder banner(String title, char rule) {
        String line = String.valueOf(rule).repeat(title.length());
        return new StringBuilder("=".repeat(title.length())).append('\n').append(title).append('\n').append(line)
                .append('\n');
    }

    private static String task() {
        Thread t = Thread.currentThread();
        return t.getName() + "/" + t.threadId();
    }

    private static void frames(StringBuilder b, List<Frame> frames) {
        for (Frame f : frames) {
            b.append("       ").append(f.text);
            if (f.bundle != null) {
                b.append(" [").append(f.bundle).append(']');
            }
            b.append('\n');
        }
    }

    private static State state() {
        State s = STATE.get();
        if (s.epoch != epoch) {
            STATE.remove();
            s = STATE.get();
            s.epoch = epoch;
        }
        return s;
    }

    private static final java.net.URL OURS = location(Lockdep.class);

    private static java.net.URL location(Class<?> c) {
        java.security.CodeSource s = c.getProtectionDomain().getCodeSource();
        return s == null ? null : s.getLocation();
    }

    // the stack of the calling thread, less lockdep's own frames
    private static List<Frame> stack() {
        return WALKER.walk(s -> s.filter(f -> f.getDeclaringClass() != Lockdep.class)
                .limit(FRAMES)
                .map(f -> new Frame(f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":"
                        + f.getLineNumber() + ")", bundle(f.getDeclaringClass()), ours(f.getDeclaringClass())))
                .toList());
    }

    private static final ClassValue<Boolean> OURS_OR_JDK = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> c) {
            ClassLoader l = c.getClassLoader();
            return l == null || l == ClassLoader.getPlatformClassLoader()
                    || java.util.Objects.equals(location(c), OURS);
        }
    };

    private static boolean ours(Class<?> c) {
        return OURS_OR_JDK.get(c);
    }

    // another thread's stack: no classes, so the bundle is the callback's
    private static List<Frame> frames(StackTraceElement[] trace, String bundle) {
        List<Frame> out = new ArrayList<>();
        for (StackTraceElement e : trace) {
            if (out.size() == FRAMES) {
                break;
            }
            out.add(new Frame(e.getClassName() + "." + e.getMethodName() + "(" + e.getFileName() + ":"
                    + e.getLineNumber() + ")", out.isEmpty() ? bundle : null, false));
        }
        return out;
    }

    private static final ClassValue<String> BUNDLES = new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> c) {
            try {
                Bundle b = FrameworkUtil.getBundle(c);
                if (b == null || b.getBundleId() == 0 || b.equals(FrameworkUtil.getBundle(Lockdep.class))) {
                    return null; // the JDK, the system bundle, the framework bundle (the API's classes are its)
                }
                return b.getSymbolicName();
            } catch (RuntimeException | LinkageError e) {
                return null; // outside OSGi (unit tests)
            }
        }
    };

    private static String bundle(Class<?> c) {
        return BUNDLES.get(c);
    }
}
