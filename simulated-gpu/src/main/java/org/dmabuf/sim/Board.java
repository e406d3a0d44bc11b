// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.sim;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine this bundle simulates, read from configuration as a device
 * tree is: every {@code *.cfg} file of the directory the framework property
 * {@value #BOARD_PROPERTY} names becomes a device configuration (factory PID
 * {@value SimulatedGpu#FACTORY_PID}) when the bundle starts, unless one from
 * that file exists already; a file that says {@code plugged=false} is a kind
 * the board knows but has not plugged in: it becomes a configuration when
 * {@code dmabuf:plug <kind>} asks for it. The distribution ships
 * {@code etc/board/}: an Intel integrated GPU (render and display), an NVIDIA
 * discrete GPU (render, local memory), a Tegra display controller (display,
 * no IOMMU), the Tegra SoC's GeForce-class GPU (render), and an ARM Mali GPU
 * that is not plugged in at start ({@code dmabuf:plug mali}). Without the
 * property, or with an empty directory, there is no board: devices come only
 * from Config Admin, {@code deploy/*.cfg} files or {@code dmabuf:plug}.
 */
final class Board {
    /** The framework property naming the board's directory. */
    public static final String BOARD_PROPERTY = "dmabuf.board";
    /** The property of a device configuration that says which board file it came from. */
    public static final String FILE_PROPERTY = "dmabuf.board.file";
    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");

    private final ConfigurationAdmin configAdmin;

    /** The kinds the board knows but did not plug in (plugged=false), by kind. */
    private final Map<String, Dictionary<String, Object>> known = new TreeMap<>(); // guarded by this

    Board(ConfigurationAdmin configAdmin) {
        this.configAdmin = configAdmin;
    }

    /**
     * Reads the board into Config Admin: at the bundle's start.
     *
     * @param dir the framework property {@value #BOARD_PROPERTY}, or {@code null}
     */
    void load(String dir) throws IOException, InvalidSyntaxException {
        if (dir == null || dir.isBlank()) {
            LOG.info("simgpu: no board ({} is not set): devices come from configurations only", BOARD_PROPERTY);
            return;
        }
        Path board = Path.of(dir.trim());
        if (!Files.isDirectory(board)) {
            LOG.warn("simgpu: board {} is not a directory; expected the directory of the board's .cfg files"
                    + " ({})", board, BOARD_PROPERTY);
            return;
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(board, "*.cfg")) {
            ds.forEach(files::add);
        }
        files.sort(null);
        int created = 0;
        for (Path f : files) {
            String file = f.getFileName().toString();
            if (configAdmin.listConfigurations("(&(service.factoryPid=" + SimulatedGpu.FACTORY_PID + ")("
                    + FILE_PROPERTY + "=" + file + "))") != null) {
                continue;
            }
            try {
                Hashtable<String, Object> p = read(f);
                p.put(FILE_PROPERTY, file);
                if (Boolean.FALSE.equals(p.get("plugged")) && p.get("kind") != null) {
                    synchronized (this) {
                        known.put(String.valueOf(p.get("kind")), p);
                    }
                    continue;
                }
                configAdmin.createFactoryConfiguration(SimulatedGpu.FACTORY_PID, "?").update(p);
                created++;
            } catch (IllegalArgumentException | IOException e) {
                LOG.error("simgpu: board file {}: {}", f, e.getMessage());
            }
        }
        LOG.info("simgpu: board {}: {} device configurations ({} new)", board, files.size(), created);
    }

    /**
     * Reads a device's {@code .cfg} file as FileInstall does for these keys:
     * {@code vram} a number, {@code iommu} and {@code plugged} booleans,
     * {@code engines} a comma-separated list.
     *
     * @throws IllegalArgumentException naming the key, when name, vendor or device is missing or vram is not a number
     */
    static Hashtable<String, Object> read(Path f) throws IOException {
        Properties raw = new Properties();
        try (Reader r = Files.newBufferedReader(f)) {
            raw.load(r);
        }
        Hashtable<String, Object> p = new Hashtable<>();
        for (String k : raw.stringPropertyNames()) {
            String v = raw.getProperty(k).trim();
            switch (k) {
                case "vram" -> {
                    try {
                        p.put(k, Long.parseLong(v));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("vram '" + v + "' is not a number of bytes");
                    }
                }
                case "iommu", "plugged" -> p.put(k, Boolean.parseBoolean(v));
                case "engines" -> p.put(k, SimulatedGpu.engines(new String[] {v}));
                default -> p.put(k, v);
            }
        }
        for (String required : new String[] {"name", "vendor", "device"}) {
            if (!p.containsKey(required)) {
                throw new IllegalArgumentException("no " + required + "; expected name, vendor and device");
            }
        }
        return p;
    }

    /**
     * The kinds of device that can be plugged in: every kind a device
     * configuration names, with the first such configuration (by name) as its
     * template, and the kinds the board knows but did not plug in.
     *
     * @return kind to template properties, sorted by kind
     */
    Map<String, Dictionary<String, Object>> kinds() throws IOException, InvalidSyntaxException {
        Configuration[] cs = configAdmin.listConfigurations("(service.factoryPid=" + SimulatedGpu.FACTORY_PID + ")");
        Map<String, Dictionary<String, Object>> out = new TreeMap<>();
        synchronized (this) {
            out.putAll(known);
        }
        if (cs != null) {
            Map<String, Configuration> byName = new TreeMap<>();
            for (Configuration c : cs) {
                byName.put(String.valueOf(c.getProperties().get("name")), c);
            }
            for (Configuration c : byName.values()) {
                Object kind = c.getProperties().get("kind");
                if (kind != null) {
                    out.put(String.valueOf(kind), c.getProperties());
                }
            }
        }
        return out;
    }
}
