package dev.steering.direction;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A steering direction: the raw vector as a method produced it, its norm, and metadata describing where it came
 * from. Interventions choose whether they use the unit direction or the raw vector.
 */
public final class SteeringVector {
    private final float[] raw;
    private final double norm;
    private final Map<String, String> metadata;

    /**
     * @param raw      the raw vector (copied)
     * @param metadata provenance (model, layer, hook, method, ...); copied
     * @throws IllegalArgumentException if the vector is empty, not finite, or has (near) zero norm
     */
    public SteeringVector(float[] raw, Map<String, String> metadata) {
        if (raw.length == 0) {
            throw new IllegalArgumentException("a steering vector cannot be empty");
        }
        double s = 0;
        for (float f : raw) {
            if (!Float.isFinite(f)) {
                throw new IllegalArgumentException("steering vector has a non-finite entry");
            }
            s += (double) f * f;
        }
        this.norm = Math.sqrt(s);
        if (norm < 1e-8) {
            throw new IllegalArgumentException("steering vector has norm " + norm
                    + " (~0): the direction is undefined");
        }
        this.raw = raw.clone();
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** A vector without metadata. */
    public static SteeringVector of(float... raw) {
        return new SteeringVector(raw, Map.of());
    }

    /** Reads a vector file written by {@link #save} or by Python's safetensors (see {@link SteeringVectorFile}). */
    public static SteeringVector load(java.nio.file.Path file) {
        return SteeringVectorFile.load(file);
    }

    /** Writes this vector with its metadata; {@code normalize} stores the unit vector plus the raw norm. */
    public void save(java.nio.file.Path file, boolean normalize) {
        SteeringVectorFile.save(this, file, normalize);
    }

    /** The hidden size this vector lives in. */
    public int dim() {
        return raw.length;
    }

    /** Euclidean norm of the raw vector. */
    public double norm() {
        return norm;
    }

    /** A copy of the raw vector. */
    public float[] raw() {
        return raw.clone();
    }

    /** The unit direction {@code v/‖v‖}. */
    public float[] unit() {
        return scaledRaw(1.0 / norm);
    }

    /** {@code c·v̂}. */
    public float[] scaledUnit(double c) {
        return scaledRaw(c / norm);
    }

    /** {@code c·v}. */
    public float[] scaledRaw(double c) {
        float[] out = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = (float) (c * raw[i]);
        }
        return out;
    }

    /** Provenance metadata (unmodifiable). */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public String toString() {
        return "SteeringVector[dim=" + raw.length + ", norm=" + (float) norm + ", " + metadata + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SteeringVector v && Arrays.equals(raw, v.raw) && metadata.equals(v.metadata);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(raw);
    }
}
