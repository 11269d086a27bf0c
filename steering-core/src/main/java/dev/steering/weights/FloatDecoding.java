package dev.steering.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Conversion of stored floating-point elements to F32. */
final class FloatDecoding {
    private FloatDecoding() {
    }

    /**
     * Converts IEEE binary16 bits to the float of the same value (exact: every half is a float).
     * Subnormals, infinities and NaNs (with their payload) are preserved.
     */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa * 2^-24, exact in float
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // rebias exponent from 15 to 127
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** Converts bfloat16 bits to the float of the same value: they are its upper 16 bits. */
    static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /**
     * Decodes {@code count} little-endian elements of a floating type from the buffer's position into
     * {@code dst[dstOffset..]}, advancing the buffer.
     */
    static void decode(DType dtype, ByteBuffer src, float[] dst, int dstOffset, int count) {
        ByteBuffer in = src.slice().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> in.asFloatBuffer().get(dst, dstOffset, count);
            case F64 -> {
                var doubles = in.asDoubleBuffer();
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = (float) doubles.get(i);
                }
            }
            case F16 -> {
                var shorts = in.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = halfToFloat(shorts.get(i));
                }
            }
            case BF16 -> {
                var shorts = in.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = bfloat16ToFloat(shorts.get(i));
                }
            }
            default -> throw new IllegalArgumentException("not a floating type: " + dtype);
        }
        src.position(src.position() + count * dtype.byteSize());
    }
}
