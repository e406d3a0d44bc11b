// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Who exports to whom, drawn as SVG: exporters on the left, their buffers in
 * the middle, and the devices attached to each buffer on the right, with
 * the processes outside the JVM that hold it (dashed, docs/cross-process.md);
 * one colour per driver, so a PRIME buffer reads as "green to blue".
 */
final class Graph {
    private static final int ROW = 34;
    private static final int BOX_H = 24;
    private static final int[] X = {10, 230, 470};
    private static final int W = 200;
    /** The colour of processes outside the JVM. */
    static final int PROCESS = 0x8E44AD;

    private Graph() {
    }

    /** @return the driver's colour, as 0xRRGGBB: the vendor's, else one from its name */
    static int colour(String driverOrRenderer) {
        String d = driverOrRenderer == null ? "" : driverOrRenderer.toLowerCase(Locale.ROOT);
        if (d.startsWith("nvidia")) {
            return 0x76B900;
        }
        if (d.startsWith("i915")) {
            return 0x0071C5;
        }
        if (d.startsWith("tegra")) {
            return 0x4E9A06;
        }
        if (d.startsWith("lima")) {
            return 0xE06C00;
        }
        if (d.startsWith("none") || d.isEmpty()) {
            return 0x555555;
        }
        int h = d.split(" ")[0].hashCode();
        return 0x404040 | (h & 0x7F7F7F);
    }

    static String css(int rgb) {
        return String.format("#%06x", rgb & 0xFFFFFF);
    }

    static String svg(List<StateView.Edge> edges) {
        Set<String> exporters = new LinkedHashSet<>();
        Set<String> devices = new LinkedHashSet<>();
        Set<String> processes = new LinkedHashSet<>();
        for (StateView.Edge e : edges) {
            exporters.add(e.exporter());
            devices.addAll(e.devices());
            processes.addAll(e.processes());
        }
        devices.addAll(processes); // the right column: devices, then processes
        int rows = Math.max(1, Math.max(edges.size(), Math.max(exporters.size(), devices.size())));
        int height = rows * ROW + 40;
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(X[2] + W + 10).append("\" height=\"")
                .append(height).append("\" font-family=\"sans-serif\" font-size=\"12\">");
        s.append("<text x=\"").append(X[0]).append("\" y=\"14\" font-weight=\"bold\">exporter</text>");
        s.append("<text x=\"").append(X[1]).append("\" y=\"14\" font-weight=\"bold\">dma-buf</text>");
        s.append("<text x=\"").append(X[2]).append("\" y=\"14\" font-weight=\"bold\">")
                .append(processes.isEmpty() ? "attached device" : "attached device, process").append("</text>");
        if (edges.isEmpty()) {
            s.append("<text x=\"").append(X[1]).append("\" y=\"40\">no buffers</text></svg>");
            return s.toString();
        }
        Map<String, Integer> ey = rows(exporters);
        Map<String, Integer> dy = rows(devices);
        List<String> lines = new ArrayList<>();
        List<String> boxes = new ArrayList<>();
        for (String ex : exporters) {
            boxes.add(box(X[0], ey.get(ex), ex, colour(ex)));
        }
        for (String dev : devices) {
            boolean process = processes.contains(dev);
            boxes.add(box(X[2], dy.get(dev), dev, process ? PROCESS : 0x888888, process));
        }
        int i = 0;
        for (StateView.Edge e : edges) {
            int y = 24 + i++ * ROW;
            int c = colour(e.exporter());
            boxes.add(box(X[1], y, "ino " + e.ino() + (e.name().isEmpty() ? "" : " " + e.name()), c));
            lines.add(line(X[0] + W, ey.get(e.exporter()) + BOX_H / 2, X[1], y + BOX_H / 2, c));
            for (String d : e.devices()) {
                lines.add(line(X[1] + W, y + BOX_H / 2, X[2], dy.get(d) + BOX_H / 2, c));
            }
            for (String p : e.processes()) {
                lines.add(line(X[1] + W, y + BOX_H / 2, X[2], dy.get(p) + BOX_H / 2, PROCESS));
            }
        }
        lines.forEach(s::append);
        boxes.forEach(s::append);
        return s.append("</svg>").toString();
    }

    private static Map<String, Integer> rows(Set<String> names) {
        Map<String, Integer> out = new LinkedHashMap<>();
        int i = 0;
        for (String n : names) {
            out.put(n, 24 + i++ * ROW);
        }
        return out;
    }

    private static String box(int x, int y, String label, int rgb) {
        return box(x, y, label, rgb, false);
    }

    private static String box(int x, int y, String label, int rgb, boolean process) {
        return "<g" + (process ? " class=\"process\"" : "") + "><rect x=\"" + x + "\" y=\"" + y + "\" width=\"" + W
                + "\" height=\"" + BOX_H + "\" rx=\"4\" fill=\"" + css(rgb) + "\" fill-opacity=\"0.2\" stroke=\""
                + css(rgb) + (process ? "\" stroke-dasharray=\"4 2" : "") + "\"/><text x=\"" + (x + 6) + "\" y=\""
                + (y + 16) + "\">" + Html.esc(label) + "</text></g>";
    }

    private static String line(int x1, int y1, int x2, int y2, int rgb) {
        return "<line x1=\"" + x1 + "\" y1=\"" + y1 + "\" x2=\"" + x2 + "\" y2=\"" + y2 + "\" stroke=\"" + css(rgb)
                + "\" stroke-width=\"2\"/>";
    }
}
