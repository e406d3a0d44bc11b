// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.drm.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.Descriptor;
import org.dmabuf.api.display.DisplayEngine;
import org.dmabuf.api.display.DisplayStats;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The pipelines at the console: {@code dmabuf:demo} and {@code dmabuf:displays}.
 * They use only the display API, so a display engine of any driver, on a
 * device of any provider, takes part. Published under {@code Object} only,
 * for Gogo: nobody links to it.
 */
@Component(service = Object.class, immediate = true, property = {
        "osgi.command.scope=dmabuf",
        "osgi.command.function=demo",
        "osgi.command.function=displays"
})
public class DisplayCommands {
    /** The named pipelines: the display driver each shows on. */
    static final Map<String, String> PIPELINES = Map.of("optimus", "i915", "tegra", "tegra-dc", "mali", "lima");

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private final List<DisplayEngine> displays = new CopyOnWriteArrayList<>();

    @Descriptor("run a pipeline for 300 frames and print frames shown, CRC matches, bad frames and fps")
    public String demo(@Descriptor("optimus (a render GPU for Intel's display), tegra (the GeForce-class GPU for"
            + " Tegra's display), mali (the example lima driver's GPU for its display), or a display's driver or"
            + " device name") String pipeline) {
        return demo(pipeline, 300);
    }

    @Descriptor("run a pipeline for a number of frames and print frames shown, CRC matches, bad frames and fps")
    public String demo(@Descriptor("optimus, tegra, mali, or a display's driver or device name") String pipeline,
            @Descriptor("frames") int frames) {
        if (frames < 1) {
            throw new IllegalArgumentException("frames " + frames + "; expected at least 1");
        }
        String driver = PIPELINES.getOrDefault(pipeline, pipeline);
        DisplayEngine display = null;
        for (DisplayEngine d : displays) {
            if (d.driver().equals(driver) || d.device().name().equals(pipeline)) {
                display = d;
            }
        }
        if (display == null) {
            throw new IllegalStateException("no display engine of " + driver + ": its driver is not running or its"
                    + " device is unplugged (lb; dmabuf:devices); expected optimus, tegra, mali or one of "
                    + displays.stream().map(d -> d.driver() + " " + d.device().name()).toList());
        }
        DisplayStats s = display.run(frames, TimeUnit.SECONDS.toNanos(60));
        String line = pipeline + ": " + display.driver() + " " + display.device().name() + ": " + s;
        if (s.shown() == 0) {
            throw new IllegalStateException(line + (pipeline.equals("tegra")
                    ? "; no GeForce-class renderer: nvidia is not running (dmabuf:policy export-symbol)"
                    : "; no renderer"));
        }
        return line;
    }

    @Descriptor("list the display engines: what each shows now, and its frames since it started")
    public String displays() {
        if (displays.isEmpty()) {
            return "no display engine (lb i915 tegra_drm; dmabuf:devices)";
        }
        StringBuilder s = new StringBuilder();
        for (DisplayEngine d : displays) {
            s.append(String.format("%s %s: showing %s%n    %s%n", d.driver(), d.device().name(), d.source(),
                    d.stats()));
        }
        return s.toString();
    }
}
