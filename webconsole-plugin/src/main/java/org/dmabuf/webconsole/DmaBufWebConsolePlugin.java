// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.imageio.ImageIO;

import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.Frame;
import org.dmabuf.api.debugfs.DmaBufDebug;
import org.dmabuf.api.module.ExportPolicy;
import org.dmabuf.api.module.ExportPolicyControl;
import org.dmabuf.api.module.ModuleLine;
import org.dmabuf.api.module.ModuleTable;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The Web Console's DMA-BUF page ({@code /system/console/dmabuf}): the
 * buffers as {@code bufinfo} shows them, who exports to whom as a graph,
 * the devices and their drivers, the taint, the export policy (switchable),
 * every refused module with the gate's explanation, and each display's last
 * frame, live. Sub-resources, all under the console's authentication:
 *
 * <pre>
 * GET  dmabuf/state        the page's live part (HTML), which the page reloads when the platform changes
 * GET  dmabuf/events       the platform's events as they happen (Server-Sent Events): uevents and bundle events
 * GET  dmabuf/displays     the displays' part (HTML): a video, which the page reloads every second
 * GET  dmabuf/graph.svg    exporters, buffers and the devices attached to them
 * GET  dmabuf/display/&lt;device&gt;.png   a display's last frame shown whole
 * GET  dmabuf/trace.json?seconds=N   records N s (1 to 10, default 2) of the tracepoints: Chrome trace JSON, a download
 * GET  dmabuf/timeline.svg[?seconds=N]   the fence timeline of the last recording (of a new one of N s)
 * POST dmabuf/policy       policy=gpl-only|export-symbol, token=&lt;anti-forgery token&gt;
 * </pre>
 */
@Component(service = Servlet.class, property = {
        "felix.webconsole.label=" + DmaBufWebConsolePlugin.LABEL,
        "felix.webconsole.title=DMA-BUF",
        "felix.webconsole.category=DMA-BUF"
})
public class DmaBufWebConsolePlugin extends AbstractServlet {
    private static final long serialVersionUID = 1L;
    /** The page's label: its URL's last segment. */
    static final String LABEL = "dmabuf";
    private static final long SWITCH_TIMEOUT_S = 60;

    /** How long one event stream stays open; the browser's EventSource opens the next one at once. */
    private static final long STREAM_S = 300;
    /** How often an idle stream says it is alive, so that proxies and the browser keep it. */
    private static final long KEEPALIVE_S = 15;

    private final transient StateView state;
    private final transient ExportPolicyControl policy;
    private final transient PageEvents events; // null without Event Admin
    private final transient TraceRecorder traces = new TraceRecorder(ChromeTrace.MAX_EVENTS);
    private final byte[] tokenKey = new byte[32];

    @Activate
    public DmaBufWebConsolePlugin(@Reference DmaBufDebug debugfs, @Reference ModuleTable modules,
            @Reference ExportPolicyControl policy, BundleContext context) {
        this.state = new StateView(debugfs, modules, context);
        this.policy = policy;
        this.events = PageEvents.available() ? new PageEvents(context) : null;
        new SecureRandom().nextBytes(tokenKey);
    }

    /** The plugin stops: every open event stream ends, so no Web Console thread waits on it. */
    @Deactivate
    void deactivate() {
        traces.close();
        if (events != null) {
            events.closeAll();
        }
    }

    // --- routing -------------------------------------------------------------------------------

    /** @return the path below the plugin's root: "" for the page, "/state", "/display/x.png", ... */
    private static String sub(HttpServletRequest req) {
        String p = req.getPathInfo() == null ? "" : req.getPathInfo();
        if (p.startsWith("/" + LABEL)) {
            p = p.substring(LABEL.length() + 1);
        }
        return p.equals("/") ? "" : p;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        String sub = sub(req);
        if (sub.isEmpty()) {
            return; // the Web Console renders the page around renderContent
        }
        setNoCache(resp);
        if (sub.equals("/state")) {
            resp.setStatus(HttpServletResponse.SC_OK);
            resp.setContentType("text/html;charset=UTF-8");
            Html.state(resp.getWriter(), state, req.getAttribute("felix.webconsole.pluginRoot"));
        } else if (sub.equals("/events")) {
            events(resp);
        } else if (sub.equals("/displays")) {
            resp.setStatus(HttpServletResponse.SC_OK);
            resp.setContentType("text/html;charset=UTF-8");
            Html.displays(resp.getWriter(), state, req.getAttribute("felix.webconsole.pluginRoot"));
        } else if (sub.equals("/graph.svg")) {
            resp.setStatus(HttpServletResponse.SC_OK);
            resp.setContentType("image/svg+xml;charset=UTF-8");
            resp.getWriter().write(Graph.svg(state.graph()));
        } else if (sub.startsWith("/display/") && sub.endsWith(".png")) {
            display(sub.substring("/display/".length(), sub.length() - ".png".length()), resp);
        } else if (sub.equals("/trace.json") || sub.equals("/timeline.svg")) {
            trace(sub.substring(1), req, resp);
        } else {
            error(resp, HttpServletResponse.SC_NOT_FOUND, "no resource '" + sub + "' on the DMA-BUF page; expected"
                    + " state, events, displays, graph.svg, display/<device>.png, trace.json or timeline.svg");
        }
    }

    /**
     * The page's event stream: one {@code uevent} per platform event, a
     * comment every {@link #KEEPALIVE_S} s while idle, closed after
     * {@link #STREAM_S} s (the browser reconnects) or when the plugin stops.
     */
    private void events(HttpServletResponse resp) throws IOException {
        if (events == null) {
            error(resp, HttpServletResponse.SC_NOT_FOUND, "no Event Admin in this platform: no event stream; the"
                    + " page reloads its state every 2 s instead");
            return;
        }
        java.util.concurrent.BlockingQueue<String> q = events.open();
        if (q == null) {
            error(resp, HttpServletResponse.SC_SERVICE_UNAVAILABLE, events.closed()
                    ? "events: the DMA-BUF page is stopping; expected it running (reload the page)"
                    : "events: " + PageEvents.MAX_STREAMS + " DMA-BUF pages listen already; expected fewer open at "
                            + "once (this page polls instead)");
            return;
        }
        try {
            resp.setStatus(HttpServletResponse.SC_OK);
            resp.setContentType("text/event-stream;charset=UTF-8");
            java.io.PrintWriter w = resp.getWriter();
            w.print("retry: 2000\n\n");
            w.flush();
            resp.flushBuffer();
            long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(STREAM_S);
            while (System.nanoTime() < end) {
                String line = q.poll(KEEPALIVE_S, java.util.concurrent.TimeUnit.SECONDS);
                if (PageEvents.CLOSED.equals(line) || events.closed()) {
                    break; // the plugin stops (its marker may have been cleared by a page that fell behind)
                }
                w.print(line == null ? ": alive\n\n" : "event: uevent\ndata: " + line + "\n\n");
                w.flush();
                resp.flushBuffer();
                if (w.checkError()) {
                    break; // the page went away
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            events.close(q);
        }
    }

    @Override
    public void renderContent(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Html.page(resp.getWriter(), state, req.getAttribute("felix.webconsole.pluginRoot"), token(req),
                TimelineSvg.svg(traces.last()));
    }

    // --- the fence timeline ----------------------------------------------------------------------

    /**
     * {@code trace.json?seconds=N}: records N seconds and sends them as a
     * Chrome trace JSON download; {@code timeline.svg}: draws the last
     * recording, or with {@code seconds=N} a new one. One recording at a
     * time (409 for a second); a cross-site request may not start one (it
     * holds a thread for seconds): 403.
     */
    private void trace(String what, HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String s = req.getParameter("seconds");
        boolean json = what.equals("trace.json");
        if (!json && s == null) {
            svg(resp, traces.last());
            return;
        }
        int seconds;
        if (s == null) {
            seconds = TraceRecorder.DEFAULT_S;
        } else if (s.matches("[0-9]{1,2}") && Integer.parseInt(s) >= TraceRecorder.MIN_S
                && Integer.parseInt(s) <= TraceRecorder.MAX_S) {
            seconds = Integer.parseInt(s);
        } else {
            error(resp, HttpServletResponse.SC_BAD_REQUEST, what + ": seconds='" + shown(s) + "' is not a time to"
                    + " record; expected a whole number of seconds from " + TraceRecorder.MIN_S + " to "
                    + TraceRecorder.MAX_S + " (default " + TraceRecorder.DEFAULT_S + ")");
            return;
        }
        String cross = SameOriginFilter.crossSite(req);
        if (cross != null) {
            error(resp, HttpServletResponse.SC_FORBIDDEN, what + ": cross-site request refused: " + cross
                    + "; expected a request from the Web Console's own pages");
            return;
        }
        ChromeTrace trace;
        try {
            trace = traces.record(seconds);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(resp, HttpServletResponse.SC_SERVICE_UNAVAILABLE, what + ": interrupted while recording");
            return;
        } catch (IllegalStateException e) {
            error(resp, HttpServletResponse.SC_SERVICE_UNAVAILABLE, what + ": " + e.getMessage());
            return;
        }
        if (trace == null) {
            error(resp, HttpServletResponse.SC_CONFLICT, what + ": a recording runs already (another trace.json or"
                    + " timeline.svg request); expected one at a time: try again in " + TraceRecorder.MAX_S
                    + " s at most");
            return;
        }
        if (!json) {
            svg(resp, trace);
            return;
        }
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("application/json;charset=UTF-8");
        resp.setHeader("Content-Disposition", "attachment; filename=\"dmabuf-trace.json\"");
        PrintWriter w = resp.getWriter();
        trace.write(w);
        w.flush();
    }

    private static void svg(HttpServletResponse resp, ChromeTrace trace) throws IOException {
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("image/svg+xml;charset=UTF-8");
        resp.getWriter().write(TimelineSvg.svg(trace));
    }

    /** @return a parameter as an error message quotes it: short, printable */
    private static String shown(String s) {
        String p = s.replaceAll("[^\\x20-\\x7e]", "?");
        return p.length() > 20 ? p.substring(0, 17) + "..." : p;
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String sub = sub(req);
        if (!sub.equals("/policy")) {
            error(resp, HttpServletResponse.SC_NOT_FOUND, "no action '" + sub + "' on the DMA-BUF page; expected"
                    + " policy");
            return;
        }
        String token = req.getParameter("token");
        if (token == null || !MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
                token(req).getBytes(StandardCharsets.UTF_8))) {
            error(resp, HttpServletResponse.SC_FORBIDDEN, "policy: " + (token == null ? "no" : "a wrong")
                    + " anti-forgery token; expected the token of the DMA-BUF page's form (reload the page)");
            return;
        }
        String wanted = req.getParameter("policy");
        ExportPolicy to;
        try {
            to = ExportPolicy.of(wanted);
        } catch (IllegalArgumentException e) {
            error(resp, HttpServletResponse.SC_BAD_REQUEST, "policy: '" + wanted + "' is not an export policy;"
                    + " expected gpl-only or export-symbol");
            return;
        }
        try {
            policy.switchTo(to).toCompletableFuture().get(SWITCH_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(resp, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "policy: interrupted while switching");
            return;
        } catch (ExecutionException | TimeoutException e) {
            error(resp, HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "policy: the switch to " + to.label()
                    + " failed: " + e);
            return;
        }
        resp.setStatus(HttpServletResponse.SC_SEE_OTHER);
        resp.setHeader("Location", String.valueOf(req.getAttribute("felix.webconsole.pluginRoot")));
    }

    // --- the display -----------------------------------------------------------------------------

    private void display(String device, HttpServletResponse resp) throws IOException {
        DisplayEngine d = state.displays().get(device);
        if (d == null) {
            error(resp, HttpServletResponse.SC_NOT_FOUND, "no display engine on device '" + device + "'; expected one"
                    + " of " + state.displays().keySet());
            return;
        }
        // no source (its render GPU's driver went, and no fallback): no signal, as a panel shows it
        Frame s = "none".equals(d.source()) ? null : d.lastFrame();
        BufferedImage img;
        if (s == null) {
            img = new BufferedImage(Frame.MAX_WIDTH, 240, BufferedImage.TYPE_INT_RGB); // black: no signal
        } else {
            img = new BufferedImage(s.width(), s.height(), BufferedImage.TYPE_INT_RGB);
            img.setRGB(0, 0, s.width(), s.height(), s.argb(), 0, s.width());
            frame(img, Graph.colour(s.renderer()));
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("image/png");
        resp.setContentLength(png.size());
        resp.setHeader("X-DmaBuf-Renderer", s == null ? "none" : s.renderer());
        resp.setHeader("X-DmaBuf-Frame", s == null ? "-" : String.valueOf(s.number()));
        png.writeTo(resp.getOutputStream());
    }

    // a border in the renderer's colour: PRIME from nvidia and i915's own rendering look different at a glance
    private static void frame(BufferedImage img, int rgb) {
        int w = img.getWidth();
        int h = img.getHeight();
        for (int t = 0; t < 6; t++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, t, rgb);
                img.setRGB(x, h - 1 - t, rgb);
            }
            for (int y = 0; y < h; y++) {
                img.setRGB(t, y, rgb);
                img.setRGB(w - 1 - t, y, rgb);
            }
        }
    }

    // --- the anti-forgery token -------------------------------------------------------------------

    /**
     * @return the token the page's forms carry: an HMAC, with a key made at
     *         activation, of the request's credentials; another site's page
     *         can make the browser send the credentials but cannot read the token
     */
    String token(HttpServletRequest req) {
        String auth = req.getHeader("Authorization");
        String who = (auth == null ? "" : auth) + "|" + req.getRemoteUser();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(tokenKey, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(who.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("no HmacSHA256 in this JDK", e);
        }
    }

    private static void error(HttpServletResponse resp, int status, String message) throws IOException {
        resp.setStatus(status);
        resp.setContentType("text/plain;charset=UTF-8");
        PrintWriter w = resp.getWriter();
        w.println(status + " " + message);
        w.flush();
    }
}
