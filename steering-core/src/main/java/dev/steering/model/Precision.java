package dev.steering.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The working precision of a model's weights. Activations at hook points, steering vectors, interventions and
 * logits are F32 whatever the precision, so directions and metrics keep their meaning.
 */
public enum Precision {
    /** Every weight as F32 (exact; the default). */
    FLOAT32("float32"),
    /** Weights kept as bfloat16. */
    BFLOAT16("bfloat16"),
    /** Weights kept as IEEE half precision. */
    FLOAT16("float16"),
    /** Matrix weights quantized to 8 bits per weight with a scale per group (see docs/performance.md). */
    INT8("int8"),
    /** Matrix weights quantized to 4 bits per weight with a scale per group. */
    INT4("int4"),
    /** The checkpoint's stored 16-bit type (bfloat16 or float16), F32 when it stores F32. */
    AUTO("auto");

    private final String configName;

    Precision(String configName) {
        this.configName = configName;
    }

    /** The name used in configs and on the command line ({@code float32}, {@code int8}, ...). */
    public String configName() {
        return configName;
    }

    /**
     * Parses a config or command-line name, case-insensitively; {@code fp32}/{@code f32}, {@code bf16},
     * {@code fp16}/{@code f16}/{@code half} are accepted as synonyms.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Precision parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "fp32", "f32" -> n = "float32";
            case "bf16" -> n = "bfloat16";
            case "fp16", "f16", "half" -> n = "float16";
            default -> { }
        }
        for (Precision p : values()) {
            if (p.configName.equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown precision '" + name + "': expected one of "
                + Arrays.stream(values()).map(Precision::configName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return configName;
    }
}
