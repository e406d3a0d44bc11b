// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.dmabuf.api.module.ModuleLine;
import org.dmabuf.api.module.ModuleTable;

/** The DMA-BUF page's HTML: the static frame (policy form) and the live part the page reloads. */
final class Html {
    private Html() {
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                // what XML cannot carry (a buffer name may hold any byte but NUL): the page and graph.svg stay valid
                default -> b.append(c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0xFFFE || c == 0xFFFF
                        ? '\uFFFD' : c);
            }
        }
        return b.toString();
    }

    /**
     * @param timeline the fence timeline of the last recording (SVG, escaped already)
     */
    static void page(PrintWriter w, StateView state, Object root, String token, String timeline) {
        String r = esc(String.valueOf(root));
        w.println("<style>#dmabuf h2{margin:14px 0 6px} #dmabuf table{border-collapse:collapse}"
                + " #dmabuf td,#dmabuf th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
                + " #dmabuf pre{background:#f7f7f7;padding:6px;max-height:360px;overflow:auto}"
                + " #dmabuf .display{display:inline-block;margin:0 16px 12px 0;vertical-align:top}"
                + " #dmabuf .refused{color:#a40000}</style>");
        w.println("<div id=\"dmabuf\">");
        w.println("<h2>Export policy</h2>");
        w.println("<form id=\"dmabuf-policy\" method=\"post\" action=\"" + r + "/policy\">");
        w.println("<input type=\"hidden\" name=\"token\" value=\"" + esc(token) + "\">");
        w.println("<select name=\"policy\" id=\"dmabuf-policy-select\">");
        for (String p : List.of("gpl-only", "export-symbol")) {
            w.println("<option value=\"" + p + "\"" + (p.equals(state.policy()) ? " selected" : "") + ">" + p
                    + "</option>");
        }
        w.println("</select> <button type=\"submit\" id=\"dmabuf-policy-switch\">switch</button>"
                + " <span>gpl-only: the DMA-BUF core is EXPORT_SYMBOL_NS_GPL, as upstream Linux;"
                + " export-symbol: open to every licence, as NVIDIA asked in 2012</span>");
        w.println("</form>");
        w.println("<div id=\"dmabuf-state\">");
        state(w, state, root);
        w.println("</div>");
        timeline(w, r, timeline);
        w.println("</div>");
        // the live part waits on the platform's events (GET events, Server-Sent Events) and reloads when one comes,
        // at most every 200 ms, and whenever the stream (re)opens, for what happened while it was closed; the displays, a video, reload every second; without an event stream (no Event
        // Admin, too many pages) the state reloads every 2 s. location.origin: never the page's URL, which may
        // carry user:password@ that fetch() refuses
        w.println("<script>(function(){var root=location.origin+'" + r + "';"
                + "function load(path,id){return fetch(root+path,{credentials:'same-origin',cache:'no-store'})"
                + ".then(function(x){return x.ok?x.text():null}).then(function(h){var e=document.getElementById(id);"
                + "if(h!==null&&e){e.innerHTML=h;}}).catch(function(){});}"
                + "var due=false;function changed(){if(due)return;due=true;setTimeout(function(){due=false;"
                + "load('/state','dmabuf-state');},200);}"
                + "function poll(){load('/state','dmabuf-state').finally(function(){setTimeout(poll,2000);});}"
                + "function video(){(document.querySelector('#dmabuf-displays .display')?load('/displays',"
                + "'dmabuf-displays'):Promise.resolve()).finally(function(){setTimeout(video,1000);});}"
                + "setTimeout(video,1000);"
                + "if(window.EventSource){var es=new EventSource(root+'/events');es.addEventListener('uevent',changed);"
                + "es.onopen=changed;"
                + "es.onerror=function(){if(es.readyState===EventSource.CLOSED){poll();}};}else{poll();}"
                + "})();</script>");
    }

    /**
     * The fence timeline: record a few seconds of the tracepoints and draw them (GET timeline.svg?seconds=N),
     * or download them as Chrome trace JSON for ui.perfetto.dev (GET trace.json?seconds=N, a plain link).
     */
    private static void timeline(PrintWriter w, String r, String svg) {
        w.println("<h2>Fence timeline</h2><p id=\"dmabuf-trace\">Record <select id=\"dmabuf-trace-seconds\">");
        for (int s : new int[] {1, 2, 5, 10}) {
            w.println("<option value=\"" + s + "\"" + (s == TraceRecorder.DEFAULT_S ? " selected" : "") + ">" + s
                    + " s</option>");
        }
        w.println("</select> of the dma_buf and dma_fence tracepoints: <button type=\"button\""
                + " id=\"dmabuf-trace-draw\">record and draw</button> or <a id=\"dmabuf-trace-json\" href=\"" + r
                + "/trace.json?seconds=" + TraceRecorder.DEFAULT_S + "\" download=\"dmabuf-trace.json\">download"
                + " them as trace JSON</a> (open it in <a href=\"https://ui.perfetto.dev\" rel=\"noopener\""
                + " target=\"_blank\">ui.perfetto.dev</a> or chrome://tracing)."
                + " <span id=\"dmabuf-trace-status\"></span></p>");
        w.println("<div id=\"dmabuf-timeline\">" + svg + "</div>");
        w.println("<script>(function(){var root=location.origin+'" + r + "';"
                + "var g=function(id){return document.getElementById(id);};"
                + "var sel=g('dmabuf-trace-seconds'),a=g('dmabuf-trace-json'),b=g('dmabuf-trace-draw'),"
                + "st=g('dmabuf-trace-status');"
                + "sel.onchange=function(){a.href=root+'/trace.json?seconds='+sel.value;};sel.onchange();"
                + "b.onclick=function(){b.disabled=true;st.textContent='recording '+sel.value+' s...';"
                + "fetch(root+'/timeline.svg?seconds='+sel.value,{credentials:'same-origin',cache:'no-store'})"
                + ".then(function(x){return x.text().then(function(t){if(x.ok){"
                + "g('dmabuf-timeline').innerHTML=t;st.textContent='';}"
                + "else{st.textContent=t;}});})"
                + ".catch(function(e){st.textContent=String(e);}).finally(function(){b.disabled=false;});};"
                + "})();</script>");
    }

    static void state(PrintWriter w, StateView state, Object root) {
        w.println("<h2>Taint</h2><p id=\"dmabuf-taint\">" + esc(String.join(" / ", state.taint()))
                + "</p><p>Export policy now: <b id=\"dmabuf-policy-now\">" + esc(state.policy()) + "</b></p>");

        w.println("<h2>Displays</h2><div id=\"dmabuf-displays\">");
        displays(w, state, root);
        w.println("</div>");

        w.println("<h2>Who exports to whom</h2><div id=\"dmabuf-graph\">" + Graph.svg(state.graph()) + "</div>");

        w.println("<h2>Devices</h2><table id=\"dmabuf-devices\"><tr><th>Device</th><th>Kind</th><th>Ids</th>"
                + "<th>Model</th><th>Engines</th><th>Driver</th></tr>");
        for (StateView.DeviceLine d : state.devices()) {
            w.println("<tr><td>" + esc(d.name()) + "</td><td>" + esc(d.kind()) + "</td><td>" + esc(d.ids())
                    + "</td><td>" + esc(d.model()) + "</td><td>" + esc(d.engines()) + "</td><td>"
                    + esc(d.drivers().isEmpty() ? "unbound" : String.join(" ", d.drivers())) + "</td></tr>");
        }
        w.println("</table>");

        w.println("<h2>Modules</h2><table id=\"dmabuf-modules\"><tr><th>Id</th><th>Module</th><th>Licence</th>"
                + "<th>State</th><th>Heap memory</th></tr>");
        for (ModuleLine m : state.modules()) {
            w.println("<tr" + (m.refused() ? " class=\"refused\"" : "") + "><td>" + m.id() + "</td><td>"
                    + esc(m.label()) + "</td><td>" + esc(m.licence()) + "</td><td>" + esc(m.state()) + "</td><td>"
                    + m.heapBytes() + "</td></tr>");
        }
        w.println("</table>");
        List<org.dmabuf.api.debugfs.ModuleInfo> processes = state.processes();
        w.println("<h2>Processes</h2><table id=\"dmabuf-processes\"><tr><th>Process</th><th>Buffers held</th>"
                + "</tr>");
        for (org.dmabuf.api.debugfs.ModuleInfo p : processes) {
            w.println("<tr><td>" + esc(p.name()) + "</td><td>" + p.fds() + "</td></tr>");
        }
        if (processes.isEmpty()) {
            w.println("<tr><td colspan=\"2\">none connected to the peer socket (docs/cross-process.md)</td></tr>");
        }
        w.println("</table>");
        Map<String, List<String>> refused = state.refused();
        if (!refused.isEmpty()) {
            w.println("<h2>Refused, and why</h2><div id=\"dmabuf-refused\">");
            refused.forEach((name, why) -> w.println("<pre class=\"refused\">" + esc(String.join("\n", why))
                    + "</pre>"));
            w.println("</div>");
        }

        List<String> health = state.health();
        if (!health.isEmpty()) {
            w.println("<h2>Health (hc:exec dmabuf)</h2><pre id=\"dmabuf-health\">" + esc(String.join("\n", health))
                    + "</pre>");
        }

        w.print("<h2>Buffers (bufinfo)</h2><pre id=\"dmabuf-bufinfo\">");
        state.bufinfo(new Appendable() { // escaped as it goes
            @Override
            public Appendable append(CharSequence cs) {
                w.print(esc(String.valueOf(cs)));
                return this;
            }

            @Override
            public Appendable append(CharSequence cs, int start, int end) {
                return append(String.valueOf(cs).subSequence(start, end));
            }

            @Override
            public Appendable append(char c) {
                return append(String.valueOf(c));
            }
        });
        w.println("</pre>");
    }

    /** The displays' part: each display's last frame, its source and its counters (GET displays). */
    static void displays(PrintWriter w, StateView state, Object root) {
        String r = esc(String.valueOf(root));
        long t = System.nanoTime();
        Map<String, DisplayEngine> displays = state.displays();
        if (displays.isEmpty()) {
            w.println("<p>no display engine</p>");
        }
        for (Map.Entry<String, DisplayEngine> e : displays.entrySet()) {
            DisplayStats s = e.getValue().stats();
            String dev = esc(e.getKey());
            w.println("<div class=\"display\" data-device=\"" + dev + "\"><img class=\"dmabuf-display\" alt=\"" + dev
                    + "\" src=\"" + r + "/display/" + dev + ".png?t=" + t + "\" width=\"320\"><br><b>"
                    + esc(e.getValue().driver()) + " " + dev + "</b><br><span class=\"dmabuf-renderer\">showing "
                    + esc(e.getValue().source()) + "</span><br><span class=\"dmabuf-stats\">" + s.shown() + " frames shown, "
                    + s.good() + " good, " + s.bad() + " bad, " + s.skipped() + " skipped, "
                    + String.format("%.1f", s.fps()) + " fps</span></div>");
        }
    }
}
