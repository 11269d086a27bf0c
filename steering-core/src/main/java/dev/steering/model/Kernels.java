package dev.steering.model;

import java.util.Locale;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Which kernels an engine runs. {@link #JAVA} (the CPU backend's default) runs elementwise ops (fused), slices,
 * gathers, permutes, softmax, LayerNorm's moments, the attention products and hook edits in Java directly on the
 * arrays' host memory; {@link #ND4J} runs every op through ND4J, as any backend can (the path a GPU takes).
 * {@code -Dsteering.kernels=nd4j} forces the pure-ND4J path on the CPU; asking for {@code java} on a backend whose
 * arrays do not live in host memory is an error.
 */
public enum Kernels {
    /** Java kernels on host memory (CPU backend only). */
    JAVA,
    /** Every op through ND4J (any backend). */
    ND4J;

    /** Whether ND4J's backend in this JVM keeps arrays in host memory (the CPU backend). */
    public static boolean hostBackend() {
        return "CpuBackend".equals(Nd4j.getBackend().getClass().getSimpleName());
    }

    /** The kernels for this JVM's backend and the {@code steering.kernels} property. */
    public static Kernels forBackend() {
        String asked = System.getProperty("steering.kernels", "").trim().toLowerCase(Locale.ROOT);
        boolean host = hostBackend();
        return switch (asked) {
            case "" -> host && JavaKernels.available() ? JAVA : ND4J;
            case "nd4j" -> ND4J;
            case "java" -> {
                if (!host) {
                    throw new IllegalStateException("-Dsteering.kernels=java needs ND4J's CPU backend; this JVM runs "
                            + Nd4j.getBackend().getClass().getSimpleName());
                }
                yield JAVA;
            }
            default -> throw new IllegalArgumentException("-Dsteering.kernels=" + asked + ": expected java or nd4j");
        };
    }
}
