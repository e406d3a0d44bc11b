// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.debugfs;

/**
 * The platform's uevents: what the kernel announces to udev on its netlink
 * socket, as OSGi Event Admin events, so that a test or a tool waits for the
 * event instead of polling. The framework bundle posts them asynchronously
 * ({@code EventAdmin.postEvent}, in order for each topic's source) whenever
 * an Event Admin runs (the distribution has Apache Felix Event Admin);
 * buffer events only while some {@code EventHandler} subscribes to their
 * topics, so that exports cost nothing more otherwise.
 *
 * <p>Subscribe with an {@code EventHandler} service whose
 * {@code event.topics} is one of the topics below, or
 * {@code org/dmabuf/*}:
 *
 * <pre>{@code
 * Hashtable<String, Object> p = new Hashtable<>();
 * p.put(EventConstants.EVENT_TOPIC, Uevents.DEVICE_ADDED);
 * context.registerService(EventHandler.class, e -> added.add((String) e.getProperty(Uevents.DEVNAME)), p);
 * }</pre>
 *
 * Every event carries {@link #ACTION} ({@code add}, {@code remove} or
 * {@code change}, as a kernel uevent) and the properties its topic names.
 *
 * @since 1.2
 */
public final class Uevents {
    private Uevents() {
    }

    /** The prefix of every topic: subscribe to {@code org/dmabuf/*} for all. */
    public static final String PREFIX = "org/dmabuf/";
    /** A buffer was exported ({@code dma_buf_export}): {@link #INO}, {@link #SIZE}, {@link #EXPORTER}, {@link #EXP_NAME}. */
    public static final String BUFFER_EXPORTED = "org/dmabuf/buffer/EXPORTED";
    /** A buffer was released (its last reference dropped): the same properties as {@link #BUFFER_EXPORTED}. */
    public static final String BUFFER_RELEASED = "org/dmabuf/buffer/RELEASED";
    /** A device was added ({@code device_add}): {@link #DEVNAME}, {@link #MODULE} (its provider). */
    public static final String DEVICE_ADDED = "org/dmabuf/device/ADDED";
    /** A device was removed (unplugged): {@link #DEVNAME}, {@link #MODULE} (its provider). */
    public static final String DEVICE_REMOVED = "org/dmabuf/device/REMOVED";
    /**
     * The licence gate refused a module: {@link #MODULE}, {@link #BUNDLE_ID}, {@link #LINES} (the kernel's
     * lines, as the log has them). Posted once for each distinct refusal of a bundle, as it is logged.
     */
    public static final String MODULE_REFUSED = "org/dmabuf/module/REFUSED";
    /** The export policy was switched and has taken effect: {@link #FROM}, {@link #TO}. */
    public static final String POLICY_CHANGED = "org/dmabuf/policy/CHANGED";

    /** {@code add}, {@code remove} or {@code change}, as the kernel's uevent has it. */
    public static final String ACTION = "ACTION";
    /** A buffer's inode number ({@code Long}). */
    public static final String INO = "ino";
    /** A buffer's size in bytes ({@code Long}). */
    public static final String SIZE = "size";
    /** The module (bundle symbolic name) that exported a buffer. */
    public static final String EXPORTER = "exporter";
    /** The exporter's name for a buffer ({@code exp_name}). */
    public static final String EXP_NAME = "exp_name";
    /** A device's name ({@code dev_name}). */
    public static final String DEVNAME = "DEVNAME";
    /** A module's name: its bundle's symbolic name. */
    public static final String MODULE = "module";
    /** A bundle's id ({@code Long}). */
    public static final String BUNDLE_ID = "bundle.id";
    /** What was said, one line each ({@code String[]}). */
    public static final String LINES = "lines";
    /** The policy before ({@code gpl-only} or {@code export-symbol}). */
    public static final String FROM = "from";
    /** The policy after. */
    public static final String TO = "to";
}
