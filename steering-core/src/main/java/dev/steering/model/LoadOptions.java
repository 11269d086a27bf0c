package dev.steering.model;

import java.util.Objects;

/**
 * How a model is loaded. Immutable; start from {@link #defaults()}.
 *
 * @param precision the working precision of the weights
 * @param device    where it runs (checked against this JVM's ND4J backend at load)
 */
public record LoadOptions(Precision precision, Device device) {

    public LoadOptions {
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(device, "device");
    }

    /** These options on the CPU. */
    public LoadOptions(Precision precision) {
        this(precision, Device.CPU);
    }

    /** F32 weights on the CPU. */
    public static LoadOptions defaults() {
        return new LoadOptions(Precision.FLOAT32);
    }

    /** The defaults at another precision. */
    public static LoadOptions precision(Precision precision) {
        return new LoadOptions(precision);
    }

    /** A copy with another precision. */
    public LoadOptions withPrecision(Precision p) {
        return new LoadOptions(p, device);
    }

    /** A copy with another device. */
    public LoadOptions withDevice(Device d) {
        return new LoadOptions(precision, d);
    }
}
