package dev.steering.model.compact;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HalfFloatsTest {

    @Test
    void everyFiniteHalfDecodesToItsValueAndEncodesBack() {
        for (int bits = 0; bits < 0x10000; bits++) {
            if (((bits >>> 10) & 0x1f) == 0x1f) {
                continue; // inf and NaN are refused at encode time
            }
            short h = (short) bits;
            float f = HalfFloats.halfToFloat(h);
            int e = (bits >>> 10) & 0x1f;
            int m = bits & 0x3ff;
            double expected = (e == 0 ? m * 0x1p-24 : (1024 + m) * Math.pow(2, e - 25)) * ((bits & 0x8000) != 0 ? -1 : 1);
            assertEquals(expected, f, 0.0, "half 0x" + Integer.toHexString(bits));
            assertEquals(bits == 0x8000 ? 0x8000 : bits, HalfFloats.floatToHalf(f) & 0xffff,
                    "round trip of 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void encodingRoundsToTheNearestHalfAndBfloat16() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            float f = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(-26, 15)));
            if (Math.abs(f) >= HalfFloats.HALF_LIMIT) {
                continue;
            }
            assertNearest(f, HalfFloats.floatToHalf(f), true);
            assertNearest(f, HalfFloats.floatToBf16(f), false);
        }
        // ties go to the even neighbour
        assertEquals(0x3c00, HalfFloats.floatToHalf(1f + 0x1p-11f) & 0xffff);
        assertEquals(0x3c02, HalfFloats.floatToHalf(1f + 3 * 0x1p-11f) & 0xffff);
        assertEquals(0x3f80, HalfFloats.floatToBf16(1f + 0x1p-8f) & 0xffff);
    }

    private static void assertNearest(float f, short q, boolean half) {
        float v = decode(q, half);
        float up = decode((short) (q + 1), half);
        float down = decode((short) (q - 1), half);
        double err = Math.abs((double) f - v);
        assertTrue(err <= Math.abs((double) f - up) && err <= Math.abs((double) f - down) || (q & 0x7fff) == 0,
                f + " encoded as " + v + " (neighbours " + down + ", " + up + ")");
    }

    private static float decode(short q, boolean half) {
        return half ? HalfFloats.halfToFloat(q) : HalfFloats.bf16ToFloat(q);
    }
}
