package dev.steering.model;

import java.util.Objects;

/**
 * How a model is loaded. Immutable; start from {@link #defaults()}.
 *
 * @param precision the working precision of the weights
 */
public record LoadOptions(Precision precision) {

    public LoadOptions {
        Objects.requireNonNull(precision, "precision");
    }

    /** F32 weights. */
    public static LoadOptions defaults() {
        return new LoadOptions(Precision.FLOAT32);
    }

    /** These options at another precision. */
    public static LoadOptions precision(Precision precision) {
        return new LoadOptions(precision);
    }

    /** A copy with another precision. */
    public LoadOptions withPrecision(Precision p) {
        return new LoadOptions(p);
    }
}
