// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.drm.internal;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.dmabuf.api.Device;
import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;
import org.dmabuf.api.FdTransfer;
import org.dmabuf.api.ProcessFrames;
import org.dmabuf.api.display.FrameFormat;
import org.dmabuf.api.display.RenderNode;
import org.dmabuf.api.fence.DmaFence;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PRIME import of frames made outside the JVM: each stream a process
 * publishes at the peer socket ({@link ProcessFrames}, docs/cross-process.md)
 * becomes a {@link RenderNode}, so every display offers it to its PRIME
 * source rule as it offers a GPU's, with the stream's {@code service.ranking}
 * (100 unless the process says otherwise: above the GPUs'). The node renders
 * by asking the process to fill the buffer; one display at a time takes its
 * swapchain (a second is refused with {@code EBUSY}, and passes it over), and
 * only the display the process named, when it named one.
 */
@Component(immediate = true)
public class ProcessRenderNodes {
    private static final Logger LOG = LoggerFactory.getLogger("drm");

    private final BundleContext context;
    private final Map<ProcessFrames, ServiceRegistration<RenderNode>> nodes = new ConcurrentHashMap<>();
    private volatile boolean active = true;

    @Activate
    public ProcessRenderNodes(BundleContext context) {
        this.context = context;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindFrames(ProcessFrames frames, Map<String, Object> properties) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("service.ranking", properties.get("service.ranking") instanceof Integer r ? r : 0);
        props.put(ProcessFrames.PROP_STREAM, frames.stream());
        props.put(Device.PROP_NAME, frames.stream());
        Object display = properties.get(ProcessFrames.PROP_DISPLAY);
        Node node = new Node(frames, display instanceof String d ? d : null);
        synchronized (this) {
            if (!active) {
                return;
            }
            nodes.put(frames, context.registerService(RenderNode.class, node, props));
        }
        LOG.info("[drm] {}: frames of {} offered to displays as a PRIME render node", frames.stream(),
                frames.process());
    }

    void unbindFrames(ProcessFrames frames) {
        ServiceRegistration<RenderNode> r = nodes.remove(frames);
        if (r != null) {
            unregister(r);
        }
    }

    @Deactivate
    void deactivate() {
        synchronized (this) {
            active = false;
        }
        nodes.values().forEach(ProcessRenderNodes::unregister);
        nodes.clear();
    }

    private static void unregister(ServiceRegistration<?> r) {
        try {
            r.unregister();
        } catch (IllegalStateException gone) {
            // unregistered with the bundle already
        }
    }

    /** The process as a device: what a display's log and its PRIME source rule see. */
    private record ProcessDevice(ProcessFrames frames) implements Device {
        @Override
        public String name() {
            return frames.stream();
        }

        @Override
        public int vendorId() {
            return 0;
        }

        @Override
        public int deviceId() {
            return 0;
        }

        @Override
        public String model() {
            return "frames of " + frames.process();
        }

        @Override
        public boolean iommu() {
            return true;
        }

        @Override
        public boolean isPresent() {
            return frames.isLive();
        }
    }

    /** One stream as a render node; one display's swapchain at a time. */
    static final class Node implements RenderNode {
        private final ProcessFrames frames;
        private final String display;
        private final Device device;
        private String owner; // guarded by this: the swapchain's id

        Node(ProcessFrames frames, String display) {
            this.frames = frames;
            this.display = display;
            this.device = new ProcessDevice(frames);
        }

        @Override
        public String driver() {
            return "udmabuf";
        }

        @Override
        public Device device() {
            return device;
        }

        @Override
        public List<FdTransfer> createSwapchain(String id, FrameFormat format, int count) {
            if (display != null && !id.endsWith("@" + display)) {
                throw new DmaBufException(Errno.EBUSY, "udmabuf " + frames.stream() + ": its process asked to be"
                        + " shown on " + display + "; expected that display, not " + id);
            }
            if (format.width() != frames.width() || format.height() != frames.height()
                    || format.stride() != frames.stride() || count > frames.count()) {
                throw new DmaBufException(Errno.EINVAL, "udmabuf " + frames.stream() + ": " + count + " buffers of "
                        + format + " asked; expected at most " + frames.count() + " of " + frames.width() + "x"
                        + frames.height() + " (stride " + frames.stride() + ")");
            }
            synchronized (this) {
                if (owner != null && !owner.equals(id)) {
                    throw new DmaBufException(Errno.EBUSY, "udmabuf " + frames.stream() + " feeds " + owner
                            + "; expected one display at a time");
                }
                owner = id;
            }
            List<FdTransfer> out = new ArrayList<>();
            try {
                for (int i = 0; i < count; i++) {
                    out.add(frames.send(i));
                }
                return out;
            } catch (RuntimeException e) {
                out.forEach(FdTransfer::cancel);
                synchronized (this) {
                    owner = null;
                }
                throw e;
            }
        }

        @Override
        public DmaFence render(String id, int index, long frame) {
            synchronized (this) {
                if (!id.equals(owner)) {
                    throw new DmaBufException(Errno.EINVAL, "udmabuf " + frames.stream() + ": no swapchain " + id
                            + "; expected " + owner);
                }
            }
            return frames.fill(index, frame);
        }

        @Override
        public synchronized void destroySwapchain(String id) {
            if (id.equals(owner)) {
                owner = null;
            }
        }

        @Override
        public String toString() {
            return "udmabuf " + frames.stream();
        }
    }
}
