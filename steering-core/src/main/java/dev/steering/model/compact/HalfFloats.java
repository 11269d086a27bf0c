package dev.steering.model.compact;

/**
 * Conversions between F32 and the 16-bit formats, written so that the decoding is the same handful of integer and
 * float operations in the scalar code and in the Vector API kernels (and so gives the same floats).
 */
final class HalfFloats {
    /** Largest F32 that rounds to a finite half (65504 is the largest half). */
    static final float HALF_LIMIT = 65520f;

    private HalfFloats() {
    }

    /**
     * Half bits to float for finite halves (normal, subnormal or zero): the exponent and mantissa shifted into
     * place and rebiased by one multiply by 2^112, which is exact and also normalises subnormals; then the sign.
     */
    static float halfToFloat(short h) {
        int bits = h;
        float magnitude = Float.intBitsToFloat((bits & 0x7fff) << 13) * 0x1p112f;
        return Float.intBitsToFloat(Float.floatToRawIntBits(magnitude) | ((bits & 0x8000) << 16));
    }

    /** bfloat16 bits to float: they are its upper 16 bits. */
    static float bf16ToFloat(short h) {
        return Float.intBitsToFloat(h << 16);
    }

    /** The nearest bfloat16 (ties to even) of a finite float. */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The nearest half (ties to even) of a finite float with |f| &lt; {@link #HALF_LIMIT}. */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        int exp = abs >>> 23;
        if (exp < 113) {
            // below the smallest normal half (2^-14): a subnormal half, mantissa = round(|f| * 2^24)
            if (exp < 102) {
                return (short) sign; // below half the smallest subnormal: rounds to zero
            }
            int mant = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - exp; // value = mant * 2^(exp-150); in units of 2^-24: mant >> (126 - exp)
            int q = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (rem > half || (rem == half && (q & 1) == 1)) {
                q++;
            }
            return (short) (sign | q);
        }
        // normal: rebias 127 -> 15 and round the 13 dropped mantissa bits to nearest even (a carry may bump the
        // exponent, which is the right result)
        int rebiased = abs - (112 << 23);
        int rounded = (rebiased + 0xfff + ((rebiased >>> 13) & 1)) >>> 13;
        return (short) (sign | rounded);
    }
}
