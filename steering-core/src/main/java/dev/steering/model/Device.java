package dev.steering.model;

import java.util.Locale;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where a model runs. The device is ND4J's backend, fixed per JVM by the jar's dependencies: the CPU backend by
 * default, the CUDA backend with the {@code cuda} Maven profile (see docs/performance.md, "On a GPU").
 */
public enum Device {
    /** ND4J's CPU backend. */
    CPU,
    /** ND4J's CUDA backend. */
    CUDA;

    /** Parses {@code cpu} or {@code cuda} (case-insensitive). */
    public static Device parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "cpu" -> CPU;
            case "cuda", "gpu" -> CUDA;
            default -> throw new IllegalArgumentException("unknown device '" + name + "': expected cpu or cuda");
        };
    }

    /** The device of this JVM's ND4J backend. */
    public static Device current() {
        return Kernels.hostBackend() ? CPU : CUDA;
    }

    /** Fails with a one-line message unless this JVM's backend is this device. */
    public void check() {
        if (current() != this) {
            String backend = Nd4j.getBackend().getClass().getSimpleName();
            throw new IllegalArgumentException(this == CUDA
                    ? "device cuda needs ND4J's CUDA backend on the classpath (build with mvn -Pcuda, see "
                      + "docs/performance.md); this JVM has " + backend
                    : "device cpu asked for, but this JVM runs ND4J's " + backend + ": use device cuda");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
