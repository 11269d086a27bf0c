package dev.steering.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class FloatDecodingTest {

    /** Value of a binary16 pattern computed exactly with BigDecimal, or null for NaN. */
    private static BigDecimal halfReference(int bits) {
        int exponent = (bits >> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return null;
        }
        // normal: (1024 + m) * 2^(e - 25); subnormal: m * 2^-24
        BigDecimal significand = BigDecimal.valueOf(exponent == 0 ? mantissa : 1024 + mantissa);
        int power = exponent == 0 ? -24 : exponent - 25;
        BigDecimal scale = power >= 0 ? BigDecimal.valueOf(2).pow(power) : BigDecimal.ONE.divide(BigDecimal.valueOf(2).pow(-power));
        BigDecimal v = significand.multiply(scale);
        return (bits & 0x8000) != 0 ? v.negate() : v;
    }

    @Test
    void halfToFloatIsExactForAll65536Patterns() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = FloatDecoding.halfToFloat((short) bits);
            boolean negative = (bits & 0x8000) != 0;
            assertEquals(negative, (Float.floatToRawIntBits(f) & 0x80000000) != 0, "sign of 0x" + Integer.toHexString(bits));
            int exponent = (bits >> 10) & 0x1f;
            int mantissa = bits & 0x3ff;
            String where = "half 0x" + Integer.toHexString(bits) + " -> " + f;
            if (exponent == 0x1f && mantissa == 0) {
                assertEquals(negative ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY, f, where);
            } else if (exponent == 0x1f) {
                assertTrue(Float.isNaN(f), where);
                assertEquals(mantissa, (Float.floatToRawIntBits(f) >>> 13) & 0x3ff, "NaN payload kept: " + where);
            } else {
                assertEquals(0, new BigDecimal(f).compareTo(halfReference(bits)), where);
            }
        }
    }

    @Test
    void halfKnownValues() {
        assertEquals(1.0f, FloatDecoding.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, FloatDecoding.halfToFloat((short) 0xc000));
        assertEquals(65504f, FloatDecoding.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, FloatDecoding.halfToFloat((short) 0x0001)); // smallest subnormal
        assertEquals(0x1p-14f, FloatDecoding.halfToFloat((short) 0x0400)); // smallest normal
    }

    @Test
    void bfloat16IsTheUpperHalfOfAFloatForAllPatterns() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = FloatDecoding.bfloat16ToFloat((short) bits);
            int exponent = (bits >> 7) & 0xff;
            int mantissa = bits & 0x7f;
            double sign = (bits & 0x8000) != 0 ? -1 : 1;
            String where = "bf16 0x" + Integer.toHexString(bits) + " -> " + f;
            if (exponent == 0xff) {
                assertTrue(mantissa == 0 ? Float.isInfinite(f) : Float.isNaN(f), where);
                continue;
            }
            double reference = exponent == 0
                    ? sign * Math.scalb((double) mantissa, -133)
                    : sign * Math.scalb(128.0 + mantissa, exponent - 134);
            assertEquals(reference, f, 0.0, where);
            assertEquals(bits << 16, Float.floatToRawIntBits(f), where);
        }
        assertEquals(1.0f, FloatDecoding.bfloat16ToFloat((short) 0x3f80));
    }
}
