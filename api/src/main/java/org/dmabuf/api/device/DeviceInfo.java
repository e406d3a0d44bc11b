// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.api.device;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.Errno;

/**
 * What a provider says of a device it adds: the fields of {@code struct
 * device} and of its PCI ids that drivers match. Immutable; made with
 * {@link #builder(String)}, which checks every value at the door.
 *
 * <pre>{@code
 * DeviceInfo info = DeviceInfo.builder("0000:03:00.0").ids(0x1002, 0x73bf)
 *         .model("AMD Radeon RX 6800").property("dmabuf.engines", new String[] {"render"}).build();
 * }</pre>
 */
public final class DeviceInfo {
    /** The most characters of a device name. */
    public static final int NAME_MAX = 64;
    /** What a device name may hold: letters, digits and {@code . : _ @ -}, as {@code dev_name} does in practice. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.:_@-]{0," + (NAME_MAX - 1) + "}");
    /** The most characters of a model name. */
    public static final int MODEL_MAX = 128;

    private final String name;
    private final int vendorId;
    private final int deviceId;
    private final String model;
    private final boolean iommu;
    private final Map<String, Object> properties;

    private DeviceInfo(Builder b) {
        this.name = b.name;
        this.vendorId = b.vendorId;
        this.deviceId = b.deviceId;
        this.model = b.model;
        this.iommu = b.iommu;
        this.properties = Map.copyOf(b.properties);
    }

    /**
     * @param name the device name ({@code dev_name}), such as {@code 0000:01:00.0}
     * @return a builder for a device of that name
     * @throws DmaBufException {@link Errno#EINVAL} for a name that does not match {@link #NAME}
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** @return the device name */
    public String name() {
        return name;
    }

    /** @return the PCI vendor id */
    public int vendorId() {
        return vendorId;
    }

    /** @return the PCI device id */
    public int deviceId() {
        return deviceId;
    }

    /** @return the model, for people */
    public String model() {
        return model;
    }

    /** @return whether the device reaches memory through an IOMMU */
    public boolean iommu() {
        return iommu;
    }

    /** @return further service properties, such as {@code dmabuf.engines} */
    public Map<String, Object> properties() {
        return properties;
    }

    @Override
    public String toString() {
        return String.format("%s [%04x:%04x] %s", name, vendorId, deviceId, model);
    }

    /** Builds a {@link DeviceInfo}. */
    public static final class Builder {
        private final String name;
        private int vendorId;
        private int deviceId;
        private String model = "";
        private boolean iommu = true;
        private final Map<String, Object> properties = new LinkedHashMap<>();

        private Builder(String name) {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new DmaBufException(Errno.EINVAL, "device_add: name '" + shorten(name) + "'; expected 1 to "
                        + NAME_MAX + " letters, digits and . : _ @ -, starting with a letter or digit");
            }
            this.name = name;
        }

        /**
         * @param vendor the PCI vendor id, 0 to 0xffff
         * @param device the PCI device id, 0 to 0xffff
         * @return this builder
         * @throws DmaBufException {@link Errno#EINVAL} for an id out of range
         */
        public Builder ids(int vendor, int device) {
            if (vendor < 0 || vendor > 0xffff || device < 0 || device > 0xffff) {
                throw new DmaBufException(Errno.EINVAL, "device_add: ids " + vendor + ":" + device
                        + "; expected 16-bit PCI ids, 0 to 0xffff");
            }
            this.vendorId = vendor;
            this.deviceId = device;
            return this;
        }

        /**
         * @param model the model's name, at most {@link #MODEL_MAX} characters
         * @return this builder
         * @throws DmaBufException {@link Errno#EINVAL} for null or too long a model
         */
        public Builder model(String model) {
            if (model == null || model.length() > MODEL_MAX) {
                throw new DmaBufException(Errno.EINVAL, "device_add: model '" + shorten(model) + "'; expected at most "
                        + MODEL_MAX + " characters");
            }
            this.model = model;
            return this;
        }

        /**
         * @param iommu whether the device reaches memory through an IOMMU (default true); one without can use
         *        only physically contiguous memory
         * @return this builder
         */
        public Builder iommu(boolean iommu) {
            this.iommu = iommu;
            return this;
        }

        /**
         * @param key a service property of the device, not one of the framework's ({@code dmabuf.device.name},
         *        {@code dmabuf.vendor}, {@code dmabuf.device}, {@code dmabuf.model}, {@code dmabuf.provider}) nor
         *        {@code service.*} or {@code objectClass}
         * @param value its value: a String, Number, Boolean or String[]
         * @return this builder
         * @throws DmaBufException {@link Errno#EINVAL} for a reserved key or a value of another type
         */
        public Builder property(String key, Object value) {
            if (key == null || key.isEmpty() || key.startsWith("service.") || key.equals("objectClass")
                    || key.equals("dmabuf.device.name") || key.equals("dmabuf.vendor") || key.equals("dmabuf.device")
                    || key.equals("dmabuf.model") || key.equals("dmabuf.provider")) {
                throw new DmaBufException(Errno.EINVAL, "device_add: property '" + shorten(key) + "' is reserved;"
                        + " expected a key of the provider's own, such as dmabuf.engines");
            }
            if (!(value instanceof String || value instanceof Number || value instanceof Boolean
                    || value instanceof String[])) {
                throw new DmaBufException(Errno.EINVAL, "device_add: property " + key + " is "
                        + (value == null ? "null" : value.getClass().getName())
                        + "; expected a String, Number, Boolean or String[]");
            }
            properties.put(key, value instanceof String[] a ? a.clone() : value);
            return this;
        }

        /** @return the info */
        public DeviceInfo build() {
            return new DeviceInfo(this);
        }

        private static String shorten(String s) {
            return s == null ? "null" : s.length() > 80 ? s.substring(0, 77) + "..." : s;
        }
    }
}
