package dev.steering.model.compact;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float vector every Vector API loop of the engine uses (the compact kernels, and the softmax, erf and attention
 * loops): the CPU's preferred one, or 256/512 bits when {@code -Dsteering.vector.bits} says so (for testing the
 * 8-lane code on a 16-lane CPU). Loaded only by classes that are loaded only when the module
 * {@code jdk.incubator.vector} is present.
 */
public final class VectorWidth {
    /** The species. */
    public static final VectorSpecies<Float> FLOATS = species(System.getProperty("steering.vector.bits", ""));

    private VectorWidth() {
    }

    private static VectorSpecies<Float> species(String bits) {
        return switch (bits) {
            case "" -> FloatVector.SPECIES_PREFERRED;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("-Dsteering.vector.bits=" + bits + ": expected 256 or 512");
        };
    }
}
