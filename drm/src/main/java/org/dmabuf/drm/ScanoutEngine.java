// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.drm;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.dmabuf.api.Attachment;
import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.Mapping;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.api.display.Frame;
import org.dmabuf.api.display.FrameFormat;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.display.TestPattern;
import org.dmabuf.api.fence.DmaFence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A display engine for a driver to register as a {@link DisplayEngine}:
 * triple-buffered scanout of frames rendered by a PRIME source (another GPU's
 * {@link RenderNode}) when one is bound, or by the display's own GPU.
 *
 * <p>Zero copies: the three framebuffers are the render driver's, imported
 * once (received, attached to the display device, mapped for reading); each
 * frame is then only fences. For every frame it waits for the render (the
 * buffer's WRITE fence, through {@code beginCpuAccess}), scans it out
 * (computes its CRC), checks it against the expected CRC of the frame number
 * it asked for, and asks for the next frame into the same buffer. A frame
 * whose render failed (its GPU or driver went) is skipped, never counted as
 * good; when the source goes, the display falls back to its own rendering
 * and tears the old swapchain down, so the source's buffers are released as
 * soon as nobody holds them.
 */
public final class ScanoutEngine implements DisplayEngine {
    private static final Logger LOG = LoggerFactory.getLogger("drm");
    private static final int BUFFERS = 3;

    private final String driver;
    private final Device device;
    private final DmaBufService dmabuf;
    private final FrameFormat format;
    private final RenderNode own;
    private final String id;
    private final ReentrantLock scanout = new ReentrantLock();
    private volatile RenderNode prime;

    // the swapchain, guarded by scanout
    private RenderNode source;
    private final List<Imported> buffers = new ArrayList<>();
    private final DmaFence[] inflight = new DmaFence[BUFFERS];
    private final long[] frameOf = new long[BUFFERS];
    private long nextFrame;
    private long shown;
    private long missed; // frames whose render was late
    private int cursor;

    private volatile long totalShown;
    private volatile long totalGood;
    private volatile long totalBad;
    private volatile long totalSkipped;
    private volatile String lastRenderer = "none";
    private volatile Frame snapshot; // the last frame shown whole, scaled down, for people to look at
    private long snapshotAt; // guarded by scanout
    private final long startNanos = System.nanoTime();

    private record Imported(int fd, DmaBuf buf, Attachment attachment, Mapping mapping) {
    }

    /**
     * @param driver the display driver's name
     * @param device the display's device
     * @param dmabuf the display driver's view of the DMA-BUF core
     * @param format the mode: frames' layout
     * @param own the display GPU's own render engine, or {@code null} when it has none
     * @throws DmaBufException EBADF when the view is not the caller's own, nor given to it by its owner
     */
    public ScanoutEngine(String driver, Device device, DmaBufService dmabuf, FrameFormat format, RenderNode own) {
        if (dmabuf != null) {
            dmabuf.checkLibraryCaller(); // the view is its caller's to give (docs/security.md): no stolen view here
        }
        this.stream = "display/" + device.name();
        this.driver = driver;
        this.device = device;
        this.dmabuf = dmabuf;
        this.format = format;
        this.own = own;
        this.id = driver + "@" + device.name();
    }

    /**
     * A render node this display may show (PRIME import): the driver passes
     * every {@link RenderNode} service it sees, with its service properties.
     * The display shows the best by the PRIME source rule, from the next
     * frame on:
     *
     * <ol>
     * <li>never a node on its own device (that is its own rendering, the
     * fallback);</li>
     * <li>the highest {@code service.ranking} first (0 when absent);</li>
     * <li>then a node on the display's own bus: PCI devices (named
     * {@code dddd:bb:dd.f}) with PCI devices, platform devices with platform
     * devices, as an Optimus laptop's dGPU feeds its iGPU's panel and a SoC's
     * GPU its display controller;</li>
     * <li>then the oldest ({@code service.id}).</li>
     * </ol>
     *
     * A node whose buffers the display cannot reach (attaching them fails, as
     * {@code dma_buf_attach} fails for a device without an IOMMU and scattered
     * memory) is passed over for the next until it is offered again.
     * Thread-safe; never blocks.
     *
     * @param node the render node
     * @param properties its service properties ({@code service.ranking}, {@code service.id})
     */
    public void offer(RenderNode node, Map<String, ?> properties) {
        if (node == null || node == own || node.device() == device) {
            return;
        }
        synchronized (candidates) {
            candidates.removeIf(c -> c.node() == node);
            candidates.add(new Candidate(node, properties.get("service.ranking") instanceof Integer r ? r : 0,
                    properties.get("service.id") instanceof Long id ? id : Long.MAX_VALUE, sameBus(node.device())));
            unreachable.remove(node);
            choose();
        }
    }

    /**
     * A render node went (its driver unbound it, or stopped): the display
     * takes the next by the rule, or falls back to its own rendering, from the
     * next frame on, and drops the node's swapchain now unless a frame is in
     * progress (then that frame does), so the node's buffers are released as
     * soon as nobody else holds them. Never blocks: the caller may be the
     * node's driver stopping, which a frame in progress may be waiting for.
     *
     * @param node the render node
     */
    public void withdraw(RenderNode node) {
        synchronized (candidates) {
            candidates.removeIf(c -> c.node() == node);
            unreachable.remove(node);
            choose();
        }
        if (scanout.tryLock()) {
            try {
                if (source == node) {
                    teardown();
                }
            } finally {
                scanout.unlock();
            }
        }
    }

    private record Candidate(RenderNode node, int ranking, long serviceId, boolean sameBus) {
    }

    private static final java.util.Comparator<Candidate> RULE = java.util.Comparator
            .comparingInt(Candidate::ranking).reversed()
            .thenComparing(Candidate::sameBus, java.util.Comparator.reverseOrder())
            .thenComparingLong(Candidate::serviceId);

    private final List<Candidate> candidates = new ArrayList<>(); // guarded by itself
    private final java.util.Set<RenderNode> unreachable = new java.util.HashSet<>(); // guarded by candidates

    // under candidates
    private void choose() {
        RenderNode best = candidates.stream().filter(c -> !unreachable.contains(c.node())).sorted(RULE)
                .map(Candidate::node).findFirst().orElse(null);
        RenderNode was = prime;
        if (best != was) {
            prime = best;
            LOG.info("{} {}: PRIME source {}", driver, device.name(), best == null
                    ? "none; " + (own == null ? "nothing to show" : "falling back to own rendering")
                    : best.driver() + " " + best.device().name() + (was == null ? "" : " (was " + was.driver() + " "
                            + was.device().name() + ")"));
        }
    }

    private static final java.util.regex.Pattern PCI = java.util.regex.Pattern
            .compile("\\p{XDigit}{4}:\\p{XDigit}{2}:\\p{XDigit}{2}\\.\\p{XDigit}");

    private boolean sameBus(Device other) {
        return PCI.matcher(device.name()).matches() == PCI.matcher(other.name()).matches();
    }

    @Override
    public String driver() {
        return driver;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public String source() {
        RenderNode s = prime != null ? prime : own;
        return s == null ? "none" : describe(s);
    }

    private String describe(RenderNode s) {
        return s.driver() + " " + s.device().name() + (s == own ? " (own)" : " (PRIME)");
    }

    /** What became of one vblank. */
    public enum Outcome {
        /** A whole frame was shown. */
        GOOD,
        /** A torn, stale or garbage frame was shown. */
        BAD,
        /** Nothing was shown: no renderer, or its render failed. */
        SKIPPED
    }

    @Override
    public DisplayStats run(int frames, long timeoutNanos) {
        long t0 = System.nanoTime();
        long deadline = t0 + timeoutNanos;
        long good = 0, bad = 0, skipped = 0;
        for (int i = 0; i < frames && System.nanoTime() < deadline; i++) {
            switch (scanoutOne(deadline)) { // a caller that gives a limit may wait for a late frame up to it
                case GOOD -> good++;
                case BAD -> bad++;
                default -> skipped++;
            }
        }
        double secs = Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
        return new DisplayStats(good + bad, good, bad, skipped, (good + bad) / secs, lastRenderer);
    }

    private java.util.concurrent.ScheduledExecutorService vblank;
    /** The panel's frame time while it scans out on its own ({@link #refresh}); 0 otherwise. */
    private volatile long periodNanos;

    /**
     * Scans out continuously, as a panel does: one frame every 1/hz seconds,
     * on a thread of its own, until {@link #close()}.
     *
     * @param hz the refresh rate; 0 or less does nothing
     */
    public synchronized void refresh(double hz) {
        if (hz <= 0 || vblank != null) {
            return;
        }
        vblank = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, driver + " vblank " + device.name());
            t.setDaemon(true);
            return t;
        });
        long period = (long) (1e9 / hz);
        periodNanos = period;
        vblank.scheduleAtFixedRate(this::tick, period, period, TimeUnit.NANOSECONDS);
        LOG.info("{} {}: scanning out at {} Hz", driver, device.name(), hz);
    }

    // one tick of the panel: nothing escapes it, or the executor would cancel every later tick in silence
    private void tick() {
        try {
            scanoutOne();
        } catch (Throwable t) {
            LOG.error("{} {}: vblank failed; scanning out goes on", driver, device.name(), t);
        }
    }

    @Override
    public DisplayStats stats() {
        double secs = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
        return new DisplayStats(totalShown, totalGood, totalBad, totalSkipped, totalShown / secs, lastRenderer);
    }

    /**
     * The longest a panel's frame ({@link #refresh}, {@link #scanoutOne()}) waits for its render: then it is a
     * missed frame, and the panel keeps the last one. {@link #run} waits up to its own limit instead.
     */
    public static final long FRAME_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * Scans out one frame (or skips one): the display's vblank. Never waits
     * for a render longer than {@link #FRAME_WAIT_NANOS}: a render that is not
     * done by then is a missed frame (skipped, its buffer left to its render,
     * shown once done), so a source whose fences never signal cannot freeze
     * the display.
     *
     * @return what became of it
     */
    public Outcome scanoutOne() {
        return scanoutOne(System.nanoTime() + FRAME_WAIT_NANOS);
    }

    private Outcome scanoutOne(long deadline) {
        scanout.lock();
        RenderNode want = prime != null ? prime : own;
        try {
            if (want != source) {
                teardown();
                if (want != null) {
                    setup(want);
                }
            }
            if (source == null) {
                totalSkipped++;
                return Outcome.SKIPPED;
            }
            int i = cursor;
            cursor = (cursor + 1) % BUFFERS;
            Imported b = buffers.get(i);
            DmaFence job = inflight[i];
            // dma_fence_set_deadline, as the kernel's atomic helpers do for the next vblank: this frame is
            // needed now, the next buffer's render by the vblank after
            long now = System.nanoTime();
            if (job != null && !job.isSignaled()) {
                job.setDeadline(now);
            }
            DmaFence next = inflight[cursor];
            long period = periodNanos;
            if (next != null && period > 0 && !next.isSignaled()) {
                next.setDeadline(now + period);
            }
            if (job != null && !job.isSignaled()
                    && job.waitTimeout(Math.max(0, deadline - System.nanoTime()), false) == 0) {
                totalSkipped++; // a missed frame: the render is late; its buffer stays with it, shown once done
                if (missed++ % 100 == 0) {
                    LOG.warn("{} {}: frame {} from {} not rendered in time; keeping the last frame ({} missed)",
                            driver, device.name(), frameOf[i], describe(source), missed);
                }
                return Outcome.SKIPPED;
            }
            Outcome outcome;
            b.buf().beginCpuAccess(DmaDirection.FROM_DEVICE); // the render is done: its WRITE fence is signalled
            try {
                if (job == null || job.getStatus() < 0) {
                    totalSkipped++; // the render failed (its GPU or driver went): never shown as good
                    outcome = Outcome.SKIPPED;
                } else {
                    int crc = TestPattern.crc(b.mapping().segment(), format);
                    long n = TestPattern.frameNumber(b.mapping().segment());
                    boolean whole = n == frameOf[i] && crc == TestPattern.expectedCrc(format, frameOf[i]);
                    if (whole) {
                        totalGood++;
                        outcome = Outcome.GOOD;
                    } else {
                        totalBad++;
                        outcome = Outcome.BAD;
                        LOG.error("{} {}: bad frame: buffer {} holds frame {} (crc {}), expected frame {} (crc {})",
                                driver, device.name(), i, n, Integer.toHexString(crc), frameOf[i],
                                Integer.toHexString(TestPattern.expectedCrc(format, frameOf[i])));
                    }
                    totalShown++;
                    shown++;
                    lastRenderer = describe(source);
                    if (whole) {
                        keepSnapshot(b.mapping().segment(), frameOf[i]);
                    }
                }
            } finally {
                b.buf().endCpuAccess(DmaDirection.FROM_DEVICE);
            }
            if (outcome == Outcome.GOOD) {
                share(b, frameOf[i]); // before the next render is queued: a process's READ fence holds it off
            }
            queue(i);
            return outcome;
        } catch (RuntimeException | Error e) {
            // the source failed mid-frame (its driver is going, or it threw even an Error such as an
            // OutOfMemoryError from its callback), or the display is closing: drop the swapchain, go on
            if (closing) {
                // the display is going: nothing to say
            } else if (e instanceof DmaBufException d && d.errno() == Errno.EBUSY && buffers.isEmpty()) {
                // the PRIME source rule at work: this display cannot reach the node's memory
                LOG.info("{} {}: passing over {}: {}", driver, device.name(), describe(want), e.getMessage());
            } else {
                LOG.warn("{} {}: scanout from {} failed: {}; dropping its swapchain", driver, device.name(),
                        source == null ? "-" : describe(source), e.getMessage() != null ? e.getMessage() : e);
            }
            totalSkipped++;
            RenderNode failed = source != null ? source : want; // its swapchain may have failed before it was set
            if (failed != null && failed == prime) {
                synchronized (candidates) { // passed over until offered again
                    unreachable.add(failed);
                    choose();
                }
            }
            teardown();
            return Outcome.SKIPPED;
        } finally {
            scanout.unlock();
        }
    }

    /** The framework property that sets the panels' refresh rate, in Hz (0: no continuous scanout). */
    public static final String REFRESH_PROPERTY = "dmabuf.display.refresh";

    /**
     * @param context the driver's bundle context
     * @return the panel's refresh rate: the framework property
     *         {@value #REFRESH_PROPERTY} in Hz, 0 (off) when it is not set or not a number
     */
    public static double panelRefreshHz(org.osgi.framework.BundleContext context) {
        String hz = context.getProperty(REFRESH_PROPERTY);
        try {
            return hz == null ? 0 : Double.parseDouble(hz.trim());
        } catch (NumberFormatException e) {
            LOG.warn("{} '{}' is not a number of Hz; not scanning out continuously", REFRESH_PROPERTY, hz);
            return 0;
        }
    }

    /** How often at most the {@link #lastFrame()} is taken. */
    public static final long SNAPSHOT_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** How long after the last look at {@link #lastFrame()} the display takes pictures at the full rate. */
    public static final long SNAPSHOT_WATCH_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How often at most the picture is taken while nobody looks. */
    public static final long SNAPSHOT_IDLE_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * {@inheritDoc} Taken at most every {@link #SNAPSHOT_PERIOD_NANOS} while
     * frames flow and someone looks (a call in the last {@link #SNAPSHOT_WATCH_NANOS}),
     * and every {@link #SNAPSHOT_IDLE_PERIOD_NANOS} while nobody does, by reading
     * one pixel in {@code step * step} of the frame the display holds for CPU
     * access: a first look gets a picture at most a second old, the next ones
     * fresh. (A picture of a 4K frame reads 2.7 MB spread over its rows, 0.1 to
     * 0.3 ms: 0.1 to 0.3% of the scanout's time at ten a second, a tenth of that
     * at one.)
     */
    @Override
    public Frame lastFrame() {
        lookedAt = System.nanoTime();
        return snapshot;
    }

    private volatile long lookedAt = System.nanoTime() - SNAPSHOT_WATCH_NANOS - 1; // the last look: none yet

    // under scanout, with the buffer held for CPU access
    private void keepSnapshot(MemorySegment frame, long n) {
        long now = System.nanoTime();
        long period = now - lookedAt > SNAPSHOT_WATCH_NANOS ? SNAPSHOT_IDLE_PERIOD_NANOS : SNAPSHOT_PERIOD_NANOS;
        if (snapshot != null && now - snapshotAt < period) {
            return; // taken lately (at a tenth of the rate while nobody looks)
        }
        snapshotAt = now;
        int step = Math.max(1, (format.width() + Frame.MAX_WIDTH - 1) / Frame.MAX_WIDTH);
        int w = format.width() / step;
        int h = format.height() / step;
        int[] px = new int[w * h];
        for (int y = 0; y < h; y++) {
            long row = (long) y * step * format.stride();
            for (int x = 0; x < w; x++) {
                px[y * w + x] = frame.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, row + (long) x * step * 4);
            }
        }
        snapshot = new Frame(w, h, px, n, lastRenderer, now);
    }

    // the stream of this display's frames for processes outside the JVM (docs/cross-process.md)
    private final String stream;
    private volatile boolean sharing = true;
    private Object unshareable; // the source whose buffers were said not to be shareable; guarded by scanout

    // hands a whole frame, as shown, to the processes that watch this display: never waits on them
    private void share(Imported b, long frame) {
        if (!sharing) {
            return;
        }
        try {
            if (!dmabuf.processesWatch(stream)) {
                return;
            }
            dmabuf.shareWithProcesses(stream, b.buf(), Map.of("frame", Long.toString(frame), "format", "XR24",
                    "width", Integer.toString(format.width()), "height", Integer.toString(format.height()),
                    "stride", Integer.toString(format.stride()),
                    "crc32", Long.toHexString(TestPattern.expectedCrc32(format, frame))));
        } catch (DmaBufException e) {
            if (e.errno() == Errno.ENOENT) {
                sharing = false; // a driver built before the call: it does not link its symbol
                LOG.info("{} {}: frames are not shared with processes: {}", driver, device.name(), e.getMessage());
            } else if (unshareable != source) {
                unshareable = source;
                LOG.info("{} {}: frames of {} are not shared with processes: {}", driver, device.name(),
                        describe(source), e.getMessage());
            }
        }
    }

    private void queue(int i) {
        frameOf[i] = nextFrame++;
        inflight[i] = source.render(id, i, frameOf[i]);
    }

    private void setup(RenderNode s) {
        List<FdTransfer> transfers = s.createSwapchain(id, format, BUFFERS);
        source = s;
        int next = 0;
        try {
            for (; next < transfers.size(); next++) {
                buffers.add(importOne(transfers.get(next)));
            }
        } catch (RuntimeException | Error e) { // this display cannot take them (it cannot reach the memory): none kept
            for (int i = next + 1; i < transfers.size(); i++) {
                transfers.get(i).cancel();
            }
            throw e;
        }
        for (int i = 0; i < BUFFERS; i++) {
            queue(i);
        }
        cursor = 0;
        LOG.info("{} {}: scanning out {} frames from {}", driver, device.name(), format, describe(s));
    }

    // receives, attaches and maps one framebuffer; on failure gives back what it took
    private Imported importOne(FdTransfer t) {
        int fd = dmabuf.receive(t);
        DmaBuf buf = null;
        Attachment a = null;
        try {
            buf = dmabuf.get(fd);
            a = buf.attach(device);
            return new Imported(fd, buf, a, a.mapAttachment(DmaDirection.FROM_DEVICE));
        } catch (RuntimeException | Error e) {
            try {
                if (a != null) {
                    buf.detach(a);
                }
                if (buf != null) {
                    buf.put();
                }
                dmabuf.close(fd);
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    private void teardown() {
        for (Imported b : buffers) {
            try {
                b.mapping().close();
                b.buf().detach(b.attachment());
                b.buf().put();
                dmabuf.close(b.fd());
            } catch (RuntimeException e) {
                LOG.debug("{} {}: teardown: {}", driver, device.name(), e.getMessage());
            }
        }
        buffers.clear();
        java.util.Arrays.fill(inflight, null);
        if (source != null) {
            try {
                source.destroySwapchain(id);
            } catch (RuntimeException gone) {
                // the source's driver is gone: the framework dropped its side
            }
            source = null;
        }
    }

    private volatile boolean closing;

    /** Stops scanning out (the driver unbinds): drops the swapchain. Waits for a frame in progress. */
    public void close() {
        closing = true;
        synchronized (this) {
            if (vblank != null) {
                vblank.shutdownNow();
                vblank = null;
                periodNanos = 0;
            }
        }
        try {
            if (!scanout.tryLock(10, TimeUnit.SECONDS)) {
                LOG.warn("{} {}: a frame did not finish within 10 s; closing anyway", driver, device.name());
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            synchronized (candidates) {
                candidates.clear();
                prime = null;
            }
            teardown();
        } finally {
            scanout.unlock();
        }
    }

    /**
     * @return this engine as a driver registers it: a {@link DisplayEngine}
     *         whose public methods are the interface's only, so that whoever
     *         holds the service cannot {@link #close} the engine nor choose
     *         its sources; one object per engine
     */
    public DisplayEngine asDisplayEngine() {
        return view;
    }

    private final DisplayEngine view = new DisplayEngine() {
        @Override
        public String driver() {
            return ScanoutEngine.this.driver();
        }

        @Override
        public Device device() {
            return ScanoutEngine.this.device();
        }

        @Override
        public DisplayStats run(int frames, long timeoutNanos) {
            return ScanoutEngine.this.run(frames, timeoutNanos);
        }

        @Override
        public DisplayStats stats() {
            return ScanoutEngine.this.stats();
        }

        @Override
        public String source() {
            return ScanoutEngine.this.source();
        }

        @Override
        public Frame lastFrame() {
            return ScanoutEngine.this.lastFrame();
        }

        @Override
        public String toString() {
            return ScanoutEngine.this.toString();
        }
    };

    @Override
    public String toString() {
        return id;
    }
}
