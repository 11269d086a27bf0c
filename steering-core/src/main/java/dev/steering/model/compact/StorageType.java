package dev.steering.model.compact;

/**
 * How a {@link CompactMatrix} stores its weights. The quantized types use llama.cpp's block formats Q8_0 (encoded as
 * ggml's {@code quantize_row_q8_0_ref}) and Q4_0 (scale chosen for least squared error): symmetric blocks of
 * {@value #GROUP} consecutive weights along the input dimension, each with one IEEE half-precision scale.
 */
public enum StorageType {
    /** IEEE binary32, 4 bytes per weight (exact). */
    F32(32),
    /** bfloat16 (the upper half of a binary32, rounded to nearest even), 2 bytes per weight. */
    BF16(16),
    /** IEEE binary16, 2 bytes per weight (rounded to nearest even; |w| must be below 65520). */
    F16(16),
    /**
     * Q8_0: per group of {@value #GROUP} weights a scale {@code d = max|w| / 127} (stored as F16) and
     * {@code q = round(w / d)} in {@code [-127, 127]}, one byte each; {@code w ≈ q·d}. 8.5 bits per weight.
     */
    INT8(8),
    /**
     * Q4_0 storage: per group of {@value #GROUP} weights an F16 scale {@code d} and levels {@code q} in
     * {@code [0, 15]}, two per byte (weight {@code i} of a group in the low nibble of byte {@code i}, weight
     * {@code i + 16} in its high nibble); {@code w ≈ (q - 8)·d}. 4.5 bits per weight. The scale is the one of least
     * squared error among 19 candidates around ggml's {@code d = m / -8} ({@code m} the weight of largest magnitude,
     * sign kept), as ggml's {@code make_qx_quants} chooses it; see {@link CompactMatrix}.
     */
    INT4(4);

    /** Weights per quantization group (along the input dimension) of {@link #INT8} and {@link #INT4}. */
    public static final int GROUP = 32;

    private final int bits;

    StorageType(int bits) {
        this.bits = bits;
    }

    /** Bits per weight, scales not counted. */
    public int bitsPerWeight() {
        return bits;
    }

    /** True for the types with a scale per group. */
    public boolean grouped() {
        return this == INT8 || this == INT4;
    }
}
