// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * A recording's fences drawn as SVG, one row per fence context: each fence
 * a bar from its init to its signal in its driver's colour, red when it was
 * signalled with an error, grey and dashed when still pending at the end;
 * each wait for one of the context's fences a tick at its start. Bars
 * narrower than a pixel merge with their neighbours of the same kind, so a
 * busy recording draws at most a few hundred shapes per row.
 */
final class TimelineSvg {
    static final String ERROR_RED = "#cc0000";
    private static final int LABEL_W = 270;
    private static final int PLOT_W = 640;
    private static final int ROW = 22;
    private static final int BAR_H = 12;
    private static final int TOP = 44;
    /** The most rows drawn; the JSON has every context. */
    static final int MAX_ROWS = 40;

    private TimelineSvg() {
    }

    /** @return the SVG of {@code trace}'s timeline, or one saying there is no recording yet */
    static String svg(ChromeTrace trace) {
        if (trace == null) {
            return text("no recording yet: record a few seconds above");
        }
        ChromeTrace.Timeline t = trace.timeline();
        List<ChromeTrace.Context> rows = t.contexts();
        double span = Math.max(1, t.end() - t.start());
        String caption = t.summary() + " in " + ms(t.end() - t.start()) + " ms"
                + (t.dropped() > 0 ? "; cut at " + t.kept() + " events (" + t.dropped() + " dropped)" : "");
        if (rows.isEmpty()) {
            return text(caption + ": no fence");
        }
        int shown = Math.min(rows.size(), MAX_ROWS);
        int height = TOP + shown * ROW + (rows.size() > shown ? ROW : 0) + 30;
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dmabuf-timeline\" width=\"")
                .append(LABEL_W + PLOT_W + 20).append("\" height=\"").append(height)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">");
        s.append("<text x=\"4\" y=\"14\" font-weight=\"bold\">").append(xml(caption)).append("</text>");
        axis(s, t.end() - t.start(), shown);
        for (int i = 0; i < shown; i++) {
            ChromeTrace.Context c = rows.get(i);
            int y = TOP + i * ROW;
            String label = c.name();
            s.append("<text class=\"dmabuf-context\" x=\"4\" y=\"").append(y + 14).append("\">")
                    .append("<title>").append(xml(label)).append(": ").append(c.fences.size())
                    .append(" fences</title>").append(xml(shorten(label, 44))).append("</text>");
            int colour = Graph.colour(c.driver);
            List<double[]> ok = new ArrayList<>();
            List<double[]> failed = new ArrayList<>();
            List<double[]> open = new ArrayList<>();
            for (ChromeTrace.Fence f : c.fences) {
                double x1 = x(f.start, t.start(), span);
                double x2 = x(f.signalled() ? f.end : t.end(), t.start(), span);
                (f.signalled() ? f.error != 0 ? failed : ok : open).add(new double[] {x1, x2, 1});
            }
            bars(s, merge(ok), y, Graph.css(colour), "fence", "");
            bars(s, merge(failed), y, ERROR_RED, "fence signalled with an error", "");
            bars(s, merge(open), y, "#999999", "fence not signalled within the recording",
                    " stroke=\"#555555\" stroke-dasharray=\"3 2\"");
            TreeSet<Integer> ticks = new TreeSet<>();
            for (ChromeTrace.Wait w : c.waits) {
                ticks.add((int) Math.round(x(w.start(), t.start(), span)));
            }
            for (int x : ticks) {
                s.append("<line class=\"dmabuf-wait\" x1=\"").append(x).append("\" y1=\"").append(y + 1)
                        .append("\" x2=\"").append(x).append("\" y2=\"").append(y + ROW - 3)
                        .append("\" stroke=\"#000000\" stroke-width=\"1\"/>");
            }
        }
        int y = TOP + shown * ROW;
        if (rows.size() > shown) {
            s.append("<text x=\"4\" y=\"").append(y + 14).append("\">... and ").append(rows.size() - shown)
                    .append(" more contexts (all of them in the trace JSON)</text>");
            y += ROW;
        }
        s.append("<text x=\"4\" y=\"").append(y + 18).append("\" fill=\"#555555\">bar: a fence, init to signal;"
                + " red: signalled with an error; grey, dashed: still pending at the end; tick: a wait for one of"
                + " the row's fences</text>");
        return s.append("</svg>").toString();
    }

    private static double x(long at, long start, double span) {
        return LABEL_W + (at - start) * PLOT_W / span;
    }

    /** @return the bars, sorted, with those that touch or overlap at this scale merged; [2] counts the fences */
    private static List<double[]> merge(List<double[]> bars) {
        bars.sort((a, b) -> Double.compare(a[0], b[0]));
        List<double[]> out = new ArrayList<>();
        for (double[] b : bars) {
            double[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && b[0] <= last[1] + 1) {
                last[1] = Math.max(last[1], b[1]);
                last[2] += b[2];
            } else {
                out.add(b.clone());
            }
        }
        return out;
    }

    private static void bars(StringBuilder s, List<double[]> bars, int y, String fill, String what, String extra) {
        for (double[] b : bars) {
            s.append("<rect class=\"dmabuf-fence\" x=\"").append(fmt(b[0])).append("\" y=\"").append(y + 3)
                    .append("\" width=\"").append(fmt(Math.max(1, b[1] - b[0]))).append("\" height=\"").append(BAR_H)
                    .append("\" fill=\"").append(fill).append("\"").append(extra).append("><title>")
                    .append((int) b[2] == 1 ? "1 " + what : (int) b[2] + " " + what + "s").append("</title></rect>");
        }
    }

    /** The time axis: a line under the caption with up to ten ticks at round milliseconds. */
    private static void axis(StringBuilder s, long spanNs, int rows) {
        double spanMs = Math.max(spanNs / 1e6, 1e-3);
        double step = Math.pow(10, Math.floor(Math.log10(spanMs / 10)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (spanMs / (step * m) <= 10) {
                step *= m;
                break;
            }
        }
        int bottom = TOP + rows * ROW;
        s.append("<line x1=\"").append(LABEL_W).append("\" y1=\"").append(TOP - 4).append("\" x2=\"")
                .append(LABEL_W + PLOT_W).append("\" y2=\"").append(TOP - 4).append("\" stroke=\"#888888\"/>");
        for (double m = 0; m <= spanMs + 1e-9; m += step) {
            double x = LABEL_W + m / spanMs * PLOT_W;
            s.append("<line x1=\"").append(fmt(x)).append("\" y1=\"").append(TOP - 8).append("\" x2=\"")
                    .append(fmt(x)).append("\" y2=\"").append(bottom).append("\" stroke=\"#dddddd\"/>");
            s.append("<text x=\"").append(fmt(x)).append("\" y=\"").append(TOP - 12)
                    .append("\" text-anchor=\"middle\" fill=\"#555555\">").append(trim(m)).append(" ms</text>");
        }
    }

    private static String text(String message) {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dmabuf-timeline\" width=\"" + (LABEL_W + PLOT_W + 20)
                + "\" height=\"30\" font-family=\"sans-serif\" font-size=\"12\"><text x=\"4\" y=\"18\">"
                + xml(message) + "</text></svg>";
    }

    /**
     * @return {@code s} escaped for XML text and attributes, less what XML 1.0 cannot carry even escaped (control
     *         characters, unpaired surrogates): a name with one must not make the whole image unreadable
     */
    static String xml(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1));
            if (pair) {
                b.append(c).append(s.charAt(++i));
            } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || Character.isSurrogate(c) || c == 0xFFFE
                    || c == 0xFFFF) {
                b.append('?');
            } else {
                b.append(c);
            }
        }
        return Html.esc(b.toString());
    }

    /** @return {@code s}, or its first characters and "..." when longer than {@code max}; never half a pair */
    private static String shorten(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int end = max - 3;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + "...";
    }

    private static String ms(long ns) {
        return String.format(Locale.ROOT, "%.1f", ns / 1e6);
    }

    private static String trim(double ms) {
        String v = String.format(Locale.ROOT, "%.3f", ms);
        return v.replaceAll("\\.?0+$", "");
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
