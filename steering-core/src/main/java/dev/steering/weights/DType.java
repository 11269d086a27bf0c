package dev.steering.weights;

import java.util.Locale;

/** Element types of stored tensors, named as in the safetensors format. */
public enum DType {
    /** IEEE 754 binary64. */
    F64(8, true),
    /** IEEE 754 binary32. */
    F32(4, true),
    /** IEEE 754 binary16 (half precision). */
    F16(2, true),
    /** bfloat16: the upper 16 bits of a binary32. */
    BF16(2, true),
    /** Signed 64-bit integer. */
    I64(8, false),
    /** Signed 32-bit integer. */
    I32(4, false),
    /** Signed 16-bit integer. */
    I16(2, false),
    /** Signed 8-bit integer. */
    I8(1, false),
    /** Unsigned 8-bit integer. */
    U8(1, false),
    /** Boolean, one byte per element. */
    BOOL(1, false);

    private final int byteSize;
    private final boolean isFloat;

    DType(int byteSize, boolean isFloat) {
        this.byteSize = byteSize;
        this.isFloat = isFloat;
    }

    /** @return bytes per element */
    public int byteSize() {
        return byteSize;
    }

    /** @return true for the floating types F64, F32, F16 and BF16 */
    public boolean isFloat() {
        return isFloat;
    }

    /**
     * Parses a safetensors dtype code such as {@code "F32"}, {@code "BF16"} or {@code "I64"}.
     *
     * @param code the code as it appears in a safetensors header
     * @return the matching type
     * @throws WeightsException if the code is unknown (the message names it)
     */
    public static DType fromSafetensors(String code) {
        for (DType t : values()) {
            if (t.name().equals(code)) {
                return t;
            }
        }
        throw new WeightsException(String.format(Locale.ROOT,
                "unknown safetensors dtype '%s': expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL",
                code));
    }
}
