// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.trace;

import java.util.List;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The kernel's tracepoints ({@code include/trace/events/dma_buf.h},
 * {@code dma_fence.h}) as JDK Flight Recorder events: disabled by default
 * (a default {@code JFR.start} does not record them; {@code dmabuf:trace on}
 * does), and close to free while disabled: each site allocates an event
 * that escape analysis removes and asks {@code shouldCommit()}, false
 * unless a recording enabled it. Every buffer event names the module, the
 * buffer's ino, exp_name and name; fence events the context, seqno, driver
 * and timeline. A recording opens in JDK Mission Control (category DMA-BUF).
 */
public final class Trace {
    private Trace() {
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("dma-buf");
    /** Set when the JVM cannot run the events here (an OSGi framework without the boot delegation below). */
    private static volatile boolean broken;

    /**
     * Whether a running recording enables any of these events: the one test
     * at every tracepoint while tracing is off (one read, no allocation, no
     * call into the recorder), kept by a recorder listener as recordings
     * start and stop, {@code dmabuf:trace}'s or anybody's ({@code jcmd
     * JFR.start settings=...} naming {@code org.dmabuf.*}).
     */
    private static volatile boolean on;

    /** Told of every recording's start and stop; held by the recorder until {@link #close}. */
    private static final jdk.jfr.FlightRecorderListener LISTENER = new jdk.jfr.FlightRecorderListener() {
        @Override
        public void recordingStateChanged(jdk.jfr.Recording recording) {
            refresh();
        }
    };

    /**
     * The framework bundle starts: the recorder tells us of recordings from now on, and a recording already
     * running (started with the JVM, or by {@code jcmd}) is looked at now. Undone by {@link #close}.
     */
    public static void open() {
        try {
            jdk.jfr.FlightRecorder.addListener(LISTENER);
            refresh();
        } catch (RuntimeException | LinkageError e) {
            broke(e instanceof LinkageError l ? l : new LinkageError(e.toString()));
        }
    }

    /**
     * The framework bundle stops: the recorder lets go of the listener (and with it of this bundle's class
     * loader, which a refresh or an update would otherwise leave behind); the tracepoints stay off.
     */
    public static void close() {
        on = false;
        try {
            jdk.jfr.FlightRecorder.removeListener(LISTENER);
        } catch (RuntimeException | LinkageError e) {
            // never registered
        }
    }

    /** Looks at the running recordings again: whether one enables an event of ours. */
    static void refresh() {
        boolean any = false;
        if (!broken && jdk.jfr.FlightRecorder.isInitialized()) {
            java.util.Set<String> ours = new java.util.HashSet<>();
            for (Class<? extends Event> c : EVENTS) {
                jdk.jfr.EventType t = jdk.jfr.EventType.getEventType(c);
                ours.add(Long.toString(t.getId())); // Recording.enable(Class) keys its settings by the type's id
                ours.add(t.getName()); // a settings file, by name
            }
            for (jdk.jfr.Recording r : jdk.jfr.FlightRecorder.getFlightRecorder().getRecordings()) {
                if (r.getState() != jdk.jfr.RecordingState.RUNNING) {
                    continue;
                }
                for (java.util.Map.Entry<String, String> e : r.getSettings().entrySet()) {
                    int hash = e.getKey().indexOf('#');
                    if (hash > 0 && e.getKey().endsWith("#enabled") && "true".equals(e.getValue())
                            && ours.contains(e.getKey().substring(0, hash))) {
                        any = true;
                    }
                }
            }
        }
        on = any;
    }

    /**
     * A tracepoint never fails its caller: when the recorder's instrumented
     * events cannot link from this bundle (their writer,
     * {@code jdk.jfr.internal.event}, must come by boot delegation:
     * {@code org.osgi.framework.bootdelegation=jdk.jfr.internal.event}, as
     * the distribution sets it), tracing turns itself off and says why, once.
     */
    private static void broke(LinkageError e) {
        on = false;
        if (!broken) {
            broken = true;
            LOG.error("dma-buf: tracing off: the JFR events cannot link ({}); expected "
                    + "org.osgi.framework.bootdelegation to include jdk.jfr.internal.event", e.toString());
        }
    }

    /** @return whether tracing broke (and is off for good): what {@code dmabuf:trace on} reports */
    public static boolean broken() {
        return broken;
    }

    /** Every event class, for a recording to enable them all. */
    public static final List<Class<? extends Event>> EVENTS = List.of(Export.class, Fd.class, Get.class, Put.class,
            Mmap.class, Attach.class, Detach.class, Map.class, Unmap.class, FenceInit.class, FenceEmit.class, FenceSignaled.class,
            FenceWait.class, FenceDestroy.class);

    /** A buffer, as a buffer event names it: implemented by the core's buffer object. */
    public interface Buffer {
        /** @return its inode number */
        long ino();

        /** @return its exporter's name */
        String expName();

        /** @return its name, or {@code null} */
        String name();

        /** @return its size in bytes */
        long size();
    }

    /** What every buffer event carries. */
    @Category({"DMA-BUF", "Buffers"})
    @Enabled(false)
    @StackTrace(false)
    abstract static class BufferEvent extends Event {
        @Label("Module")
        @Description("the bundle whose view made the call")
        String module;
        @Label("ino")
        long ino;
        @Label("exp_name")
        String expName;
        @Label("Name")
        String bufName;
        @Label("Size")
        @DataAmount
        long size;
    }

    @Name("org.dmabuf.dma_buf_export")
    @Label("dma_buf_export")
    static final class Export extends BufferEvent {
    }

    @Name("org.dmabuf.dma_buf_fd")
    @Label("dma_buf_fd")
    static final class Fd extends BufferEvent {
        @Label("fd")
        int fd;
    }

    @Name("org.dmabuf.dma_buf_get")
    @Label("dma_buf_get")
    static final class Get extends BufferEvent {
        @Label("fd")
        @Description("-1 for get_dma_buf on a reference")
        int fd;
    }

    @Name("org.dmabuf.dma_buf_put")
    @Label("dma_buf_put")
    static final class Put extends BufferEvent {
    }

    @Name("org.dmabuf.dma_buf_mmap")
    @Label("dma_buf_mmap")
    static final class Mmap extends BufferEvent {
        @Label("Offset")
        long offset;
        @Label("Length")
        @DataAmount
        long length;
    }

    @Name("org.dmabuf.dma_buf_attach")
    @Label("dma_buf_attach")
    static final class Attach extends BufferEvent {
        @Label("Device")
        String device;
        @Label("Dynamic")
        boolean dynamic;
    }

    @Name("org.dmabuf.dma_buf_detach")
    @Label("dma_buf_detach")
    static final class Detach extends BufferEvent {
        @Label("Device")
        String device;
    }

    /** A duration: the exporter's map_dma_buf, and the waits for kernel fences before it. */
    @Name("org.dmabuf.dma_buf_map_attachment")
    @Label("dma_buf_map_attachment")
    static final class Map extends BufferEvent {
        @Label("Device")
        String device;
        @Label("Direction")
        String direction;
    }

    @Name("org.dmabuf.dma_buf_unmap_attachment")
    @Label("dma_buf_unmap_attachment")
    static final class Unmap extends BufferEvent {
        @Label("Device")
        String device;
    }

    /** What every fence event carries. */
    @Category({"DMA-BUF", "Fences"})
    @Enabled(false)
    @StackTrace(false)
    abstract static class FenceEvent extends Event {
        @Label("Context")
        long context;
        @Label("Seqno")
        long seqno;
        @Label("Driver")
        String driver;
        @Label("Timeline")
        String timeline;
    }

    @Name("org.dmabuf.dma_fence_init")
    @Label("dma_fence_init")
    static final class FenceInit extends FenceEvent {
    }

    @Name("org.dmabuf.dma_fence_emit")
    @Label("dma_fence_emit")
    static final class FenceEmit extends FenceEvent {
    }

    @Name("org.dmabuf.dma_fence_signaled")
    @Label("dma_fence_signaled")
    static final class FenceSignaled extends FenceEvent {
        @Label("Error")
        int error;
    }

    /** A duration: {@code dma_fence_wait_start} to {@code dma_fence_wait_end}. */
    @Name("org.dmabuf.dma_fence_wait")
    @Label("dma_fence_wait")
    static final class FenceWait extends FenceEvent {
        @Label("Signaled")
        boolean signaled;
    }

    @Name("org.dmabuf.dma_fence_destroy")
    @Label("dma_fence_destroy")
    static final class FenceDestroy extends FenceEvent {
    }

    // --- the sites ---------------------------------------------------------------------------------

    private static void fill(BufferEvent e, String module, Buffer b) {
        e.module = module;
        e.ino = b.ino();
        e.expName = b.expName();
        e.bufName = b.name();
        e.size = b.size();
    }

    /** dma_buf_export */
    public static void export(String module, Buffer b) {
        if (!on) {
            return;
        }
        try {
            Export e = new Export();
            if (e.shouldCommit()) {
                fill(e, module, b);
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    /** dma_buf_fd */
    public static void fd(String module, Buffer b, int fd) {
        if (!on) {
            return;
        }
        try {
            Fd e = new Fd();
            if (e.shouldCommit()) {
                fill(e, module, b);
                e.fd = fd;
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    /** dma_buf_get, get_dma_buf ({@code fd} -1) */
    public static void get(String module, Buffer b, int fd) {
        if (!on) {
            return;
        }
        try {
            Get e = new Get();
            if (e.shouldCommit()) {
                fill(e, module, b);
                e.fd = fd;
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    /** dma_buf_put */
    public static void put(String module, Buffer b) {
        if (!on) {
            return;
        }
        try {
            Put e = new Put();
            if (e.shouldCommit()) {
                fill(e, module, b);
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    /** dma_buf_mmap */
    public static void mmap(String module, Buffer b, long offset,
            long length) {
        if (!on) {
            return;
        }
        try {
            Mmap e = new Mmap();
            if (e.shouldCommit()) {
                fill(e, module, b);
                e.offset = offset;
                e.length = length;
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    /** dma_buf_attach, dma_buf_dynamic_attach */
    public static void attach(String module, Buffer b, String device,
            boolean dynamic) {
        if (!on) {
            return;
        }
        try {
            Attach e = new Attach();
            if (e.shouldCommit()) {
                fill(e, module, b);
                e.device = device;
                e.dynamic = dynamic;
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    /** dma_buf_detach */
    public static void detach(String module, Buffer b, String device) {
        if (!on) {
            return;
        }
        try {
            Detach e = new Detach();
            if (e.shouldCommit()) {
                fill(e, module, b);
                e.device = device;
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    /** @return a started dma_buf_map_attachment event for {@link #mapped}, or {@code null} when disabled */
    public static Event mapBegin() {
        if (!on) {
            return null;
        }
        try {
            Map e = new Map();
            if (!e.isEnabled()) {
                return null;
            }
            e.begin();
            return e;
        } catch (LinkageError e) {
            broke(e);
            return null;
        }
    }

    /** dma_buf_map_attachment, since {@link #mapBegin} */
    public static void mapped(Event started, String module, Buffer b,
            String device, String direction) {
        if (!on) {
            return;
        }
        try {
            if (started instanceof Map e) {
                e.end();
                if (e.shouldCommit()) {
                    fill(e, module, b);
                    e.device = device;
                    e.direction = direction;
                    e.commit();
                }
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    /** dma_buf_unmap_attachment */
    public static void unmap(String module, Buffer b, String device) {
        if (!on) {
            return;
        }
        try {
            Unmap e = new Unmap();
            if (e.shouldCommit()) {
                fill(e, module, b);
                e.device = device;
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    private static void fill(FenceEvent e, long context, long seqno, String driver, String timeline) {
        e.context = context;
        e.seqno = seqno;
        e.driver = driver;
        e.timeline = timeline;
    }

    /** dma_fence_init */
    public static void fenceInit(long context, long seqno, String driver, String timeline) {
        if (!on) {
            return;
        }
        try {
            FenceInit e = new FenceInit();
            if (e.shouldCommit()) {
                fill(e, context, seqno, driver, timeline);
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    /** dma_fence_signaled */
    /** {@code trace_dma_fence_emit}: a driver hands the fence's job to its hardware. */
    public static void fenceEmit(long context, long seqno, String driver, String timeline) {
        if (!on) {
            return;
        }
        try {
            FenceEmit e = new FenceEmit();
            if (e.shouldCommit()) {
                fill(e, context, seqno, driver, timeline);
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    public static void fenceSignaled(long context, long seqno, String driver, String timeline, int error) {
        if (!on) {
            return;
        }
        try {
            FenceSignaled e = new FenceSignaled();
            if (e.shouldCommit()) {
                fill(e, context, seqno, driver, timeline);
                e.error = error;
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    /** @return a started dma_fence_wait event (dma_fence_wait_start) for {@link #fenceWaited}, or {@code null} */
    public static Event waitBegin() {
        if (!on) {
            return null;
        }
        try {
            FenceWait e = new FenceWait();
            if (!e.isEnabled()) {
                return null;
            }
            e.begin();
            return e;
        } catch (LinkageError e) {
            broke(e);
            return null;
        }
    }

    /** dma_fence_wait_end, since {@link #waitBegin} */
    public static void fenceWaited(Event started, long context, long seqno, String driver, String timeline,
            boolean signaled) {
        if (!on) {
            return;
        }
        try {
            if (started instanceof FenceWait e) {
                e.end();
                if (e.shouldCommit()) {
                    fill(e, context, seqno, driver, timeline);
                    e.signaled = signaled;
                    e.commit();
                }
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }

    /** dma_fence_destroy */
    public static void fenceDestroy(long context, long seqno, String driver, String timeline) {
        if (!on) {
            return;
        }
        try {
            FenceDestroy e = new FenceDestroy();
            if (e.shouldCommit()) {
                fill(e, context, seqno, driver, timeline);
                e.commit();
            }
        } catch (LinkageError e) {
            broke(e);
        }
    }
}
