package dev.steering.model;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FastExp} keeps its documented bound and gives the same bits in every loop. */
class FastExpTest {

    /** Every 127th float of [−104, 89] (about 16 million), and the edges. */
    private static IntStream sample() {
        int neg = Float.floatToIntBits(-104f);
        int pos = Float.floatToIntBits(89f);
        return IntStream.concat(IntStream.iterate(Float.floatToIntBits(-0f), b -> b <= neg, b -> b + 127),
                IntStream.iterate(0, b -> b <= pos, b -> b + 127));
    }

    @Test
    void isWithinTwoUlpsOfMathExpOverTheNormalRange() {
        double[] worst = new double[2];
        sample().forEach(b -> {
            float x = Float.intBitsToFloat(b);
            float got = FastExp.exp(x);
            double want = Math.exp(x);
            float rounded = (float) want;
            if (Float.isInfinite(rounded)) {
                assertEquals(Float.POSITIVE_INFINITY, got, "overflow at " + x);
            } else if (rounded >= Float.MIN_NORMAL) {
                worst[0] = Math.max(worst[0], Math.abs(got - want) / Math.ulp(rounded));
            } else {
                worst[1] = Math.max(worst[1], Math.abs(got - want));
            }
        });
        assertTrue(worst[0] <= 2, "normal results: " + worst[0] + " ulps");
        assertTrue(worst[0] > 0.5, "the sample reaches the F32 rounding: " + worst[0]);
        assertTrue(worst[1] <= Float.MIN_VALUE, "subnormal results: " + worst[1]);
        assertEquals(1f, FastExp.exp(0f));
        assertEquals(1f, FastExp.exp(-0f));
        assertEquals(0f, FastExp.exp(-200f));
        assertEquals(0f, FastExp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, FastExp.exp(88.73f));
        assertEquals(Float.POSITIVE_INFINITY, FastExp.exp(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(FastExp.exp(Float.NaN)));
        assertEquals((float) Math.exp(88.72f), FastExp.exp(88.72f), Math.ulp((float) Math.exp(88.72f)) * 2);
    }

    /** The loop in use (the Vector API one in the vector-api executions) gives the scalar formula's bits. */
    @Test
    void blockLoopEqualsTheScalarFormulaBitForBit() {
        int[] bits = sample().filter(b -> b % 7 == 0).toArray();
        float[] x = new float[bits.length + 5];
        for (int i = 0; i < bits.length; i++) {
            x[i] = Float.intBitsToFloat(bits[i]);
        }
        float[] specials = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -0f, 1e-30f};
        System.arraycopy(specials, 0, x, bits.length, specials.length);
        for (int block : new int[]{1, 7, 1000, 1024}) {                // lengths with and without a scalar tail
            float[] out = new float[x.length];
            for (int at = 0; at < x.length; at += block) {
                int n = Math.min(block, x.length - at);
                float[] part = java.util.Arrays.copyOfRange(x, at, at + n);
                FastExp.exp(part, part, n);
                System.arraycopy(part, 0, out, at, n);
            }
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToRawIntBits(FastExp.exp(x[i])), Float.floatToRawIntBits(out[i]),
                        FastExp.kernelName() + " at " + x[i] + " (blocks of " + block + ")");
            }
        }
    }

    /** The softmax's row passes in use give the scalar ones' bits too, with NaN, infinities and signed zeros. */
    @Test
    void rowPassesEqualTheScalarOnesBitForBit() {
        java.util.Random rnd = new java.util.Random(1);
        float[] specials = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -0f, 0f};
        for (int n : new int[]{1, 7, 16, 33, 100}) {
            for (int trial = 0; trial < 50; trial++) {
                float[] v = new float[n + 3];
                for (int j = 0; j < v.length; j++) {
                    v[j] = rnd.nextInt(20) == 0 ? specials[rnd.nextInt(specials.length)] : (float) rnd.nextGaussian();
                }
                float[] a = v.clone();
                float[] b = v.clone();
                FastExp.loops().subtractMax(a, 2, n);
                FastExp.SCALAR.subtractMax(b, 2, n);
                float s = 0.5f + rnd.nextFloat();
                FastExp.loops().divide(a, 1, n, s);
                FastExp.SCALAR.divide(b, 1, n, s);
                for (int j = 0; j < v.length; j++) {
                    assertEquals(Float.floatToRawIntBits(b[j]), Float.floatToRawIntBits(a[j]),
                            FastExp.kernelName() + " n=" + n + " at " + j);
                }
            }
        }
    }
}
