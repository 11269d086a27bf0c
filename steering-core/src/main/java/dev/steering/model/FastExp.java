package dev.steering.model;

import dev.steering.model.compact.CompactKernels;

/**
 * {@code exp} in F32 for the Java softmax, written out so that a block of it vectorises: the same bits on any JVM,
 * whatever the vector width and whatever the split over threads. With {@code n = round(x·log₂e)} (by adding and
 * subtracting 1.5·2²³) and {@code r = x − n·ln2} (ln2 in two parts, the first exact in a product with n),
 * {@code exp(x) = 2ⁿ · (1 + r + r²·P(r))} with Cephes' degree-5 {@code expf} polynomial P, and {@code 2ⁿ} built from
 * the exponent bits as {@code 2^⌊n/2⌋ · 2^(n−⌊n/2⌋)} (so results down to the subnormals and up to overflow come out
 * right). Plain F32 multiplies and adds (Java never contracts them into FMAs), so {@link VectorExp}, used when the
 * Vector API kernels are loaded (see {@link CompactKernels#vectorized}), gives the scalar loop's bits exactly.
 *
 * <p>Error (tested over every 127th float of [−104, 89] in {@code FastExpTest}): within 2 ulps of {@code Math.exp}
 * rounded to F32 for results in the normal range ({@code x ≥ −87.3}); below, within 2⁻¹⁴⁹ (subnormal results,
 * which round once more, and 0 from {@code x ≤ −104}). {@code exp(x)} is +∞ from {@code x > 88.7229} (as
 * {@code Math.exp} in F32), exp(−∞) = 0, exp(+∞) = +∞, exp(NaN) = NaN.
 */
final class FastExp {
    /** Arguments are clamped to [LO, HI] first: below LO the result is 0 (rounded), above HI +∞. */
    static final float LO = -104f;
    static final float HI = 89f;
    static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2²³: adding it to a float below 2²² in magnitude rounds that to an integer (ties to even). */
    static final float MAGIC = 12582912f;
    static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);
    /** ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so n·LN2_HI is exact for |n| < 2¹⁵. */
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    // Cephes expf: exp(r) ≈ 1 + r + r²·(P0 + r·(P1 + r·(P2 + r·(P3 + r·(P4 + r·P5))))) on |r| ≤ ln2/2
    static final float P0 = 5.0000001201e-1f;
    static final float P1 = 1.6666665459e-1f;
    static final float P2 = 4.1665795894e-2f;
    static final float P3 = 8.3334519073e-3f;
    static final float P4 = 1.3981999507e-3f;
    static final float P5 = 1.9875691500e-4f;

    /** The scalar loop (also the reference the vector one is tested against). */
    static final Block SCALAR = (x, out, n) -> expScalar(x, out, 0, n);
    /** The block loop: the Vector API one when the vector kernels are loaded, else {@link #SCALAR}. */
    private static final Block KERNEL = choose();

    private FastExp() {
    }

    /**
     * The loops of a softmax: {@code exp}, and the two per-row passes around it, which a vector kernel also runs
     * faster on short rows. Every implementation gives {@link #SCALAR}'s bits.
     */
    interface Block {
        /** {@code out[i] = exp(x[i])} for {@code i < n} (x and out may be the same array). */
        void exp(float[] x, float[] out, int n);

        /**
         * {@code v[j] −= max} for {@code at ≤ j < at + n}, {@code max} the largest of them (NaN if one is; max is
         * exact in any order).
         */
        default void subtractMax(float[] v, int at, int n) {
            float m0 = v[at], m1 = m0, m2 = m0, m3 = m0;
            int j = at + 1;
            for (int end = j + (n - 1) - (n - 1) % 4; j < end; j += 4) {
                m0 = Math.max(m0, v[j]);
                m1 = Math.max(m1, v[j + 1]);
                m2 = Math.max(m2, v[j + 2]);
                m3 = Math.max(m3, v[j + 3]);
            }
            for (; j < at + n; j++) {
                m0 = Math.max(m0, v[j]);
            }
            float max = Math.max(Math.max(m0, m1), Math.max(m2, m3));
            for (j = at; j < at + n; j++) {
                v[j] -= max;
            }
        }

        /** {@code v[j] /= s} for {@code at ≤ j < at + n}. */
        default void divide(float[] v, int at, int n, float s) {
            for (int j = at; j < at + n; j++) {
                v[j] /= s;
            }
        }
    }

    /** {@link #exp(float[], float[], int)} of one value. */
    static float exp(float x) {
        float[] r = {x};
        expScalar(r, r, 0, 1);
        return r[0];
    }

    /** {@code out[i] = exp(x[i])} for {@code i < n}, by the loop this JVM runs fastest (the same bits either way). */
    static void exp(float[] x, float[] out, int n) {
        KERNEL.exp(x, out, n);
    }

    /** The loops this JVM runs fastest (the same bits as {@link #SCALAR}). */
    static Block loops() {
        return KERNEL;
    }

    /** The name of the loop in use ({@code scalar} or {@code vector-api-…}). */
    static String kernelName() {
        return KERNEL == SCALAR ? "scalar" : KERNEL.toString();
    }

    /** {@code out[i] = exp(x[i])} for {@code from ≤ i < n}. */
    static void expScalar(float[] x, float[] out, int from, int n) {
        for (int i = from; i < n; i++) {
            float xc = Math.max(LO, Math.min(HI, x[i]));
            float t = xc * LOG2E + MAGIC;
            float nf = t - MAGIC;
            float r = xc - nf * LN2_HI - nf * LN2_LO;
            float p = P0 + r * (P1 + r * (P2 + r * (P3 + r * (P4 + r * P5))));
            float y = p * (r * r) + r + 1f;
            int k = Float.floatToRawIntBits(t) - MAGIC_BITS;
            int h = k >> 1;
            out[i] = y * Float.intBitsToFloat((h + 127) << 23) * Float.intBitsToFloat((k - h + 127) << 23);
        }
    }

    private static Block choose() {
        return JavaKernels.vectorOr(Block.class, "VectorExp", SCALAR);
    }
}
