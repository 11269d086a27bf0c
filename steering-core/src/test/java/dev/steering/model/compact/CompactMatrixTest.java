package dev.steering.model.compact;

import dev.steering.weights.Checkpoint;
import dev.steering.weights.TensorInfo;
import dev.steering.weights.TensorSource;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Storage formats and quantization error against F32. */
class CompactMatrixTest {
    /** Upper bounds of ‖W − Ŵ‖ / ‖W‖ per type (Gaussian weights give about a third of these). */
    static final Map<StorageType, Double> MAX_RELATIVE_ERROR = new EnumMap<>(Map.of(
            StorageType.F32, 0.0, StorageType.BF16, 0.004, StorageType.F16, 0.0005,
            StorageType.INT8, 0.01, StorageType.INT4, 0.13));

    @Test
    void q8BlockMatchesTheReferenceFormula() {
        float[] w = new float[32];
        for (int i = 0; i < 32; i++) {
            w[i] = (i - 10) * 0.1f;
        }
        CompactMatrix m = CompactMatrix.encode("w", w, 1, 32, StorageType.INT8);
        float d = HalfFloats.halfToFloat(HalfFloats.floatToHalf(2.1f / 127f));
        assertEquals(d, HalfFloats.halfToFloat(m.storedScales()[0]));
        assertEquals(127, m.storedQuants()[31]); // the largest magnitude maps to ±127
        assertEquals(-60, m.storedQuants()[0]); // round(-1.0 / (2.1 / 127)) = round(-60.48)
        float[] back = m.dequantize();
        for (int i = 0; i < 32; i++) {
            assertEquals(m.storedQuants()[i] * d, back[i]);
            assertTrue(Math.abs(back[i] - w[i]) <= d * 0.51f, "element " + i);
        }
    }

    @Test
    void q4BlockTakesTheLeastSquaresScaleOfItsLevels() {
        float[] w = new float[32];
        for (int i = 0; i < 32; i++) {
            w[i] = (i - 20) * 0.05f; // most negative -1.0 is the largest magnitude: ggml's reference d = -1 / -8
        }
        CompactMatrix m = CompactMatrix.encode("w", w, 1, 32, StorageType.INT4);
        float d = HalfFloats.halfToFloat(m.storedScales()[0]);
        assertEquals(0, m.storedQuants()[0] & 0xf, "-1.0 takes the extreme level -8");
        // the stored scale is the least-squares fit Σ w·l / Σ l² of the stored levels (up to the F16 rounding)
        double sumlx = 0;
        double suml2 = 0;
        for (int i = 0; i < 32; i++) {
            int l = nibble(m, i) - 8;
            sumlx += w[i] * l;
            suml2 += l * l;
        }
        assertEquals(sumlx / suml2, d, 0x1p-4 / 1024 / 2, "half an F16 ulp in [1/16, 1/8)");
        // and its error is below the reference scale's: d = 0.125, q = min(15, trunc(w/d + 8.5))
        assertEquals(0.117248535f, d, "the scale of least error among the candidates");
        assertTrue(squaredError(w, m.dequantize()) < squaredError(w, q40Reference(w)));
    }

    @Test
    void q4ScaleSearchNeverLosesToTheReferenceScaleOrAnyCandidate() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int b = 0; b < 500; b++) {
            float[] w = new float[32];
            for (int i = 0; i < 32; i++) {
                w[i] = (float) (rnd.nextGaussian() * (b % 2 == 0 ? 0.02 : 1.0) + (b % 5 == 0 ? 0.01 : 0));
            }
            double got = squaredError(w, CompactMatrix.roundTrip(w, 1, 32, StorageType.INT4));
            // a little slack for the F16 rounding of the chosen scale
            assertTrue(got <= squaredError(w, q40Reference(w)) * 1.001, "block " + b);
            float max = 0;
            for (float v : w) {
                max = Math.abs(v) > Math.abs(max) ? v : max;
            }
            for (int s = -9; s <= 9; s++) {
                assertTrue(got <= leastSquaresError(w, -(8 + 0.1f * s) / max) * 1.001 + 1e-12, "block " + b + " s " + s);
            }
        }
        float[] zeros = new float[40];
        assertArrayEquals(zeros, CompactMatrix.roundTrip(zeros, 1, 40, StorageType.INT4));
    }

    private static int nibble(CompactMatrix m, int i) {
        int b = m.storedQuants()[i & 15];
        return i < 16 ? b & 0xf : (b >> 4) & 0xf;
    }

    /** ggml's quantize_row_q4_0_ref round trip of one block (F32 scale): the baseline the search must beat. */
    private static float[] q40Reference(float[] w) {
        float max = 0;
        for (float v : w) {
            max = Math.abs(v) > Math.abs(max) ? v : max;
        }
        float d = max / -8f;
        float[] back = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            back[i] = (Math.min(15, (int) (w[i] / d + 8.5f)) - 8) * d;
        }
        return back;
    }

    /** Squared error of levels clamp(round(w·iscale), -8, 7) with their least-squares scale. */
    private static double leastSquaresError(float[] w, float iscale) {
        double sumlx = 0;
        double suml2 = 0;
        double sumx2 = 0;
        for (float v : w) {
            int l = Math.max(-8, Math.min(7, Math.round(v * iscale)));
            sumlx += v * l;
            suml2 += l * l;
            sumx2 += v * v;
        }
        return sumx2 - sumlx * sumlx / suml2;
    }

    private static double squaredError(float[] a, float[] b) {
        double e = 0;
        for (int i = 0; i < a.length; i++) {
            e += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
        }
        return e;
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 176, 37, 5})
    void randomWeightsStayWithinTheErrorBoundOfEachType(int in) {
        SplittableRandom rnd = new SplittableRandom(in);
        int out = 48;
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() * 0.02);
        }
        for (StorageType t : StorageType.values()) {
            CompactMatrix m = CompactMatrix.encode("w", w, out, in, t);
            float[] back = m.dequantize();
            double err = relativeError(w, back);
            assertTrue(err <= MAX_RELATIVE_ERROR.get(t), t + " in=" + in + ": relative error " + err);
            for (int r = 0; r < out; r += 7) {
                for (int k = 0; k < in; k += 3) {
                    assertEquals(back[r * in + k], m.weight(r, k), t + " weight(" + r + ", " + k + ")");
                }
            }
        }
        assertArrayEquals(w, CompactMatrix.roundTrip(w, out, in, StorageType.F32));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-neox-tiny", "llama-family/llama-tiny", "llama-family/qwen2-tiny",
            "llama-family/gemma2-tiny"})
    void fixtureMatricesStayWithinTheErrorBoundOfEachType(String fixture) {
        try (Checkpoint ckpt = Checkpoint.open(fixture(fixture))) {
            TensorSource src = ckpt.tensors();
            int checked = 0;
            for (String name : src.names()) {
                TensorInfo info = src.info(name);
                if (info.shape().length != 2 || info.shape()[0] < 16) {
                    continue;
                }
                float[] w = src.floats(name);
                for (StorageType t : StorageType.values()) {
                    CompactMatrix m = CompactMatrix.fromSource(src, name, t);
                    assertEquals(info.shape()[0], m.outFeatures());
                    double err = relativeError(w, m.dequantize());
                    assertTrue(err <= MAX_RELATIVE_ERROR.get(t), fixture + " " + name + " " + t + ": " + err);
                    // a checkpoint stored in this 16-bit type is kept exactly
                    if (t.name().equals(info.dtype().name())) {
                        assertEquals(0.0, err, fixture + " " + name);
                    }
                }
                checked++;
            }
            assertTrue(checked >= 5, "matrices checked: " + checked);
        }
    }

    @Test
    void storageIsCompact() {
        float[] w = new float[64 * 256];
        assertEquals(4L * w.length, CompactMatrix.encode("w", w, 64, 256, StorageType.F32).storageBytes());
        assertEquals(2L * w.length, CompactMatrix.encode("w", w, 64, 256, StorageType.BF16).storageBytes());
        assertEquals(w.length + 2L * w.length / 32, CompactMatrix.encode("w", w, 64, 256, StorageType.INT8)
                .storageBytes());
        assertEquals(w.length / 2 + 2L * w.length / 32, CompactMatrix.encode("w", w, 64, 256, StorageType.INT4)
                .storageBytes());
    }

    /** Encoding block of rows by block of rows gives the same matrix as encoding it whole; sizes are predicted. */
    @Test
    void encodingByBlocksOfRowsEqualsEncodingWhole() {
        SplittableRandom random = new SplittableRandom(5);
        int out = 13;
        int in = 40;                                    // a short last group
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        for (StorageType t : StorageType.values()) {
            CompactMatrix whole = CompactMatrix.encode("w", w, out, in, t);
            int[] reads = new int[1];
            CompactMatrix blocks = CompactMatrix.encodeRows("w", out, in, t, (r, n, dst) -> {
                reads[0]++;
                System.arraycopy(w, r * in, dst, 0, n * in);
            }, new float[3 * in + 7]);
            assertEquals(5, reads[0], t + ": blocks of 3 rows");
            assertArrayEquals(whole.dequantize(), blocks.dequantize(), t.toString());
            assertEquals(whole.storageBytes(), blocks.storageBytes(), t.toString());
            assertEquals(whole.storageBytes(), CompactMatrix.storageBytes(t, out, in), t.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> CompactMatrix.encodeRows("w", out, in, StorageType.INT8,
                (r, n, dst) -> { }, new float[in - 1]));
    }

    /**
     * The panel layout held in memory gives back the saved row-major blocks exactly, and packing those again gives
     * the same matrix: shapes with a partial last panel (out not a multiple of 16), a short last group and an odd
     * input size (the last INT4 pair half empty).
     */
    @Test
    void savedBlocksPackAndUnpackExactly() {
        SplittableRandom random = new SplittableRandom(8);
        for (int[] shape : new int[][]{{1, 32}, {17, 37}, {33, 64}, {5, 1}, {40, 70}}) {
            int out = shape[0];
            int in = shape[1];
            float[] w = new float[out * in];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) random.nextGaussian();
            }
            for (StorageType t : new StorageType[]{StorageType.INT8, StorageType.INT4}) {
                CompactMatrix m = CompactMatrix.encode("w", w, out, in, t);
                byte[] q = m.storedQuants();
                short[] d = m.storedScales();
                int groups = (in + 31) / 32;
                assertEquals(out * groups * (t == StorageType.INT8 ? 32 : 16), q.length, t + " " + out + "x" + in);
                assertEquals(out * groups, d.length);
                float[] back = m.dequantize();
                for (int r = 0; r < out; r++) {         // the saved layout's formula for every weight
                    for (int k = 0; k < in; k++) {
                        int g = k / 32;
                        int i = k % 32;
                        int level = t == StorageType.INT8 ? q[(r * groups + g) * 32 + i]
                                : ((q[(r * groups + g) * 16 + (i & 15)] >> (i < 16 ? 0 : 4)) & 0xf) - 8;
                        assertEquals(level * HalfFloats.halfToFloat(d[r * groups + g]), back[r * in + k],
                                t + " " + out + "x" + in + " [" + r + ", " + k + "]");
                    }
                }
                CompactMatrix again = CompactMatrix.ofBlocks("w", t, out, in, q, d);
                assertArrayEquals(back, again.dequantize(), t.toString());
                assertArrayEquals(q, again.storedQuants(), t.toString());
                assertArrayEquals(d, again.storedScales(), t.toString());
            }
        }
    }

    /** Stacking whole panels (the fused projections of real shapes) and single rows give the encoded stack. */
    @Test
    void stackedRowsEqualTheEncodedStack() {
        SplittableRandom random = new SplittableRandom(4);
        int in = 45;
        float[] a = new float[32 * in];
        float[] b = new float[20 * in];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) random.nextGaussian();
        }
        for (StorageType t : StorageType.values()) {
            CompactMatrix ma = CompactMatrix.encode("a", a, 32, in, t);
            CompactMatrix mb = CompactMatrix.encode("b", b, 20, in, t);
            float[] ab = new float[52 * in];                    // a's rows 16..31, b, a's rows 0..15
            System.arraycopy(a, 16 * in, ab, 0, 16 * in);
            System.arraycopy(b, 0, ab, 16 * in, 20 * in);
            System.arraycopy(a, 0, ab, 36 * in, 16 * in);
            CompactMatrix whole = CompactMatrix.encode("ab", ab, 52, in, t);
            CompactMatrix panels = CompactMatrix.stackRows("ab", java.util.List.of(
                    new CompactMatrix.RowRange(ma, 16, 16), new CompactMatrix.RowRange(mb, 0, 20),
                    new CompactMatrix.RowRange(ma, 0, 16)));
            assertArrayEquals(whole.dequantize(), panels.dequantize(), t.toString());
            float[] ba = new float[52 * in];                    // b, then a: b's partial last panel in the middle
            System.arraycopy(b, 0, ba, 0, 20 * in);
            System.arraycopy(a, 0, ba, 20 * in, 32 * in);
            CompactMatrix rows = CompactMatrix.stackRows("ba", java.util.List.of(
                    new CompactMatrix.RowRange(mb, 0, 20), new CompactMatrix.RowRange(ma, 0, 32)));
            assertArrayEquals(CompactMatrix.encode("ba", ba, 52, in, t).dequantize(), rows.dequantize(), t.toString());
            float[] aThenB = new float[52 * in];                // a, then b: b's partial last panel copied whole
            System.arraycopy(a, 0, aThenB, 0, 32 * in);
            System.arraycopy(b, 0, aThenB, 32 * in, 20 * in);
            CompactMatrix lastPanel = CompactMatrix.stackRows("ab", java.util.List.of(
                    new CompactMatrix.RowRange(ma, 0, 32), new CompactMatrix.RowRange(mb, 0, 20)));
            CompactMatrix expected = CompactMatrix.encode("ab", aThenB, 52, in, t);
            assertArrayEquals(expected.dequantize(), lastPanel.dequantize(), t.toString());
            assertEquals(expected.storageBytes(), lastPanel.storageBytes(), t.toString());
        }
    }

    @Test
    void badWeightsAreRefusedWithTheirPosition() {
        float[] w = new float[8];
        w[5] = Float.NaN;
        var e = assertThrows(IllegalArgumentException.class, () -> CompactMatrix.encode("layer.w", w, 2, 4,
                StorageType.INT8));
        assertEquals("layer.w: weight [1, 1] = NaN is not finite", e.getMessage());
        w[5] = 70000f;
        e = assertThrows(IllegalArgumentException.class, () -> CompactMatrix.encode("layer.w", w, 2, 4,
                StorageType.F16));
        assertTrue(e.getMessage().startsWith("layer.w: weight [1, 1] = 70000.0 is out of float16 range"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CompactMatrix.encode("w", w, 3, 4, StorageType.F32));
    }

    static double relativeError(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            den += (double) a[i] * a[i];
        }
        return Math.sqrt(num / den);
    }

    static Path fixture(String name) {
        return Path.of("src/test/resources/fixtures").resolve(name);
    }
}
