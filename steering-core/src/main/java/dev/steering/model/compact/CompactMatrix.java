package dev.steering.model.compact;

import dev.steering.weights.TensorInfo;
import dev.steering.weights.TensorSource;
import dev.steering.weights.WeightsException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A weight matrix of shape {@code [out, in]} (the layout of PyTorch's {@code nn.Linear.weight}) held on the Java heap
 * at its compact size, and the product {@code y[rows, out] = x[rows, in] · Wᵀ} computed from that storage (F32
 * activations in and out, F32 accumulation; see {@link CompactKernels}). Immutable and thread-safe.
 *
 * <p>Storage, row-major (one matrix row = one output feature):
 * <ul>
 * <li>{@link StorageType#F32}: {@code float[out·in]};</li>
 * <li>{@link StorageType#BF16}, {@link StorageType#F16}: {@code short[out·in]} of raw 16-bit patterns;</li>
 * <li>{@link StorageType#INT8}: {@code byte[out·G·32]} and {@code short[out·G]} F16 scales, with
 * {@code G = ceil(in / 32)} groups per row (a short last group is padded with zeros);</li>
 * <li>{@link StorageType#INT4}: {@code byte[out·G·16]} (two weights per byte) and {@code short[out·G]} scales
 * (encoded with a least-squares scale search, see {@code q40}).</li>
 * </ul>
 * Each array is one Java array, so a matrix holds fewer than 2³¹ storage elements (a 256000 × 3584 embedding
 * fits).
 */
public final class CompactMatrix {
    private static final int GROUP = StorageType.GROUP;
    /** INT4 scale search: candidates {@code s = -SCALE_STEPS..SCALE_STEPS}. */
    private static final int SCALE_STEPS = 9;
    private static final int SCALE_CANDIDATES = 2 * SCALE_STEPS + 1;

    private final StorageType type;
    private final int out;
    private final int in;
    private final int groups;
    final float[] f32;
    final short[] halves;
    final byte[] quants;
    final short[] scales;

    private CompactMatrix(StorageType type, int out, int in, float[] f32, short[] halves, byte[] quants,
                          short[] scales) {
        this.type = type;
        this.out = out;
        this.in = in;
        this.groups = (in + GROUP - 1) / GROUP;
        this.f32 = f32;
        this.halves = halves;
        this.quants = quants;
        this.scales = scales;
    }

    /**
     * Encodes row-major F32 weights {@code w[out·in]} (which are not kept: the matrix owns its own storage).
     *
     * @param what names the weights in errors (a tensor name)
     * @throws IllegalArgumentException if the length does not match, a weight is not finite, or (F16) a weight
     *                                  is too large for half precision; the message names {@code what}
     */
    public static CompactMatrix encode(String what, float[] w, int out, int in, StorageType type) {
        return encode(what, w, out, in, type, true);
    }

    /** As {@link #encode(String, float[], int, int, StorageType)}; {@code copy = false} lets F32 keep {@code w}. */
    private static CompactMatrix encode(String what, float[] w, int out, int in, StorageType type, boolean copy) {
        Objects.requireNonNull(type, "type");
        if (out <= 0 || in <= 0) {
            throw new IllegalArgumentException(what + ": shape [" + out + ", " + in + "] must be positive");
        }
        if ((long) out * in != w.length) {
            throw new IllegalArgumentException(what + ": " + w.length + " values for shape [" + out + ", " + in + "]");
        }
        int groups = (in + GROUP - 1) / GROUP;
        long padded = (long) out * groups * GROUP;
        if (padded > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(what + ": [" + out + ", " + in + "] is too large for one matrix");
        }
        for (int i = 0; i < w.length; i++) {
            float v = w[i];
            if (!Float.isFinite(v) || (type == StorageType.F16 && Math.abs(v) >= HalfFloats.HALF_LIMIT)) {
                throw new IllegalArgumentException(what + ": weight [" + i / in + ", " + i % in + "] = " + v
                        + (Float.isFinite(v) ? " is out of float16 range (|w| < 65504)" : " is not finite"));
            }
        }
        return switch (type) {
            case F32 -> new CompactMatrix(type, out, in, copy ? w.clone() : w, null, null, null);
            case BF16, F16 -> {
                short[] h = new short[w.length];
                for (int i = 0; i < w.length; i++) {
                    h[i] = type == StorageType.BF16 ? HalfFloats.floatToBf16(w[i]) : HalfFloats.floatToHalf(w[i]);
                }
                yield new CompactMatrix(type, out, in, null, h, null, null);
            }
            case INT8, INT4 -> quantize(type, w, out, in, groups);
        };
    }

    /** Encodes the blocks, rows split over the kernels' pool (INT4's scale search costs ~19 passes per block). */
    private static CompactMatrix quantize(StorageType type, float[] w, int out, int in, int groups) {
        int groupBytes = type == StorageType.INT8 ? GROUP : GROUP / 2;
        byte[] q = new byte[out * groups * groupBytes];
        short[] s = new short[out * groups];
        CompactKernels.shared().forRows(out, (long) in * (type == StorageType.INT4 ? 2 * SCALE_CANDIDATES : 1),
                (from, to) -> {
                    float[] block = new float[GROUP];
                    for (int r = from; r < to; r++) {
                        for (int g = 0; g < groups; g++) {
                            int n = Math.min(GROUP, in - g * GROUP);
                            Arrays.fill(block, 0f);
                            System.arraycopy(w, r * in + g * GROUP, block, 0, n);
                            int qOff = (r * groups + g) * groupBytes;
                            s[r * groups + g] = type == StorageType.INT8 ? q80(block, q, qOff) : q40(block, q, qOff);
                        }
                    }
                });
        return new CompactMatrix(type, out, in, null, null, q, s);
    }

    /** One Q8_0 block (ggml {@code quantize_row_q8_0_ref}); returns the F16 scale. */
    private static short q80(float[] x, byte[] q, int off) {
        float amax = 0;
        for (float v : x) {
            amax = Math.max(amax, Math.abs(v));
        }
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        for (int i = 0; i < GROUP; i++) {
            q[off + i] = (byte) roundHalfAway(x[i] * id);
        }
        return HalfFloats.floatToHalf(d);
    }

    /**
     * One Q4_0 block with the scale chosen for least squared error; returns the F16 scale. With {@code m} the weight
     * of largest magnitude (sign kept), each of the {@value #SCALE_CANDIDATES} candidate inverse scales
     * {@code -(8 + 0.1·s)/m}, {@code s = -9..9}, rounds the block to {@code l = clamp(round(w·iscale), -8, 7)}; the
     * block's scale is then the least-squares fit {@code d = Σ w·l / Σ l²} of those levels, and the candidate whose
     * fit leaves the smallest squared error ({@code Σ w² − (Σ w·l)² / Σ l²}) is kept: {@code q = l + 8},
     * {@code w ≈ (q − 8)·d}. This is ggml's {@code make_qx_quants(32, 8, x, L, rmse_type = 2)} (the search llama.cpp's
     * Q6_K/Q3_K use, and its Q4_0 with an importance matrix); {@code s = 0} gives the levels of
     * {@code quantize_row_q4_0_ref} ({@code d = m / -8}, which the search can only improve on).
     */
    private static short q40(float[] x, byte[] q, int off) {
        float amax = 0;
        float max = 0;
        for (float v : x) {
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        if (amax == 0) {
            Arrays.fill(q, off, off + GROUP / 2, (byte) 0x88);
            return 0;
        }
        float bestIscale = 0;
        float bestGain = -1;
        float bestScale = 0;
        for (int s = -SCALE_STEPS; s <= SCALE_STEPS; s++) {
            float iscale = -(8 + 0.1f * s) / max;
            float sumlx = 0;
            int suml2 = 0;
            for (float v : x) {
                int l = level(v, iscale);
                sumlx += v * l;
                suml2 += l * l;
            }
            // squared error of the fit = Σw² − sumlx²/suml2: the largest sumlx²/suml2 wins (the first on ties)
            float gain = sumlx * sumlx / suml2;
            if (suml2 > 0 && gain > bestGain) {
                bestGain = gain;
                bestIscale = iscale;
                bestScale = sumlx / suml2;
            }
        }
        for (int i = 0; i < GROUP / 2; i++) {
            int lo = level(x[i], bestIscale) + 8;
            int hi = level(x[i + GROUP / 2], bestIscale) + 8;
            q[off + i] = (byte) (lo | (hi << 4));
        }
        return HalfFloats.floatToHalf(bestScale);
    }

    /**
     * The Q4_0 level of weight {@code v} at inverse scale {@code iscale}: {@code clamp(round(v·iscale), -8, 7)}, halves
     * rounded up, computed as {@code quantize_row_q4_0_ref} does ({@code trunc(v·iscale + 8.5) - 8}; the truncation
     * of the positive sum is a floor).
     */
    private static int level(float v, float iscale) {
        return Math.max(0, Math.min(15, (int) (v * iscale + 8.5f))) - 8;
    }

    /** C's {@code roundf}: to nearest, halves away from zero. */
    private static int roundHalfAway(float v) {
        return v >= 0 ? (int) (v + 0.5f) : -(int) (-v + 0.5f);
    }

    /**
     * Reads checkpoint tensor {@code name} (2-D, {@code [out, in]}, stored F32, F16 or BF16) and encodes it. At most
     * this tensor is held in F32 at once, besides the result.
     *
     * @throws WeightsException naming the tensor if it is missing or not 2-D
     */
    public static CompactMatrix fromSource(TensorSource source, String name, StorageType type) {
        TensorInfo info = source.info(name);
        long[] shape = info.shape();
        if (shape.length != 2 || shape[0] > Integer.MAX_VALUE || shape[1] > Integer.MAX_VALUE) {
            throw new WeightsException(name + ": expected a 2-D [out, in] matrix, found " + Arrays.toString(shape));
        }
        try {
            return encode(name, source.floats(name), (int) shape[0], (int) shape[1], type, false);
        } catch (IllegalArgumentException e) {
            throw new WeightsException(e.getMessage());
        }
    }

    /**
     * The F32 values this matrix stands for (what the kernels multiply by), row-major {@code [out·in]}: for a test
     * or a fallback, {@code encode(w, type).dequantize()} is the "fake-quantized" copy of {@code w}.
     */
    public float[] dequantize() {
        float[] w = new float[out * in];
        for (int r = 0; r < out; r++) {
            decodeRow(r, w, r * in);
        }
        return w;
    }

    /** The F32 round trip {@code encode(w, type).dequantize()} of row-major weights {@code w[out·in]}. */
    public static float[] roundTrip(float[] w, int out, int in, StorageType type) {
        return encode("weights", w, out, in, type).dequantize();
    }

    /** The F32 value of weight {@code [r, k]} (the same formulas as {@link #decodeRow}). */
    float weight(int r, int k) {
        return switch (type) {
            case F32 -> f32[r * in + k];
            case BF16 -> HalfFloats.bf16ToFloat(halves[r * in + k]);
            case F16 -> HalfFloats.halfToFloat(halves[r * in + k]);
            case INT8 -> quants[r * groups * GROUP + k] * HalfFloats.halfToFloat(scales[r * groups + k / GROUP]);
            case INT4 -> {
                int i = k % GROUP;
                int b = quants[(r * groups + k / GROUP) * (GROUP / 2) + (i & 15)];
                int nib = i < GROUP / 2 ? b & 0xf : (b >> 4) & 0xf;
                yield (nib - 8) * HalfFloats.halfToFloat(scales[r * groups + k / GROUP]);
            }
        };
    }

    /**
     * Writes the {@code in} F32 values of matrix row {@code r} (the values the kernels multiply by) to
     * {@code dst[off..]}: an embedding lookup.
     *
     * @throws IndexOutOfBoundsException if {@code r} is not a row or {@code dst} is too short
     */
    public void decodeRow(int r, float[] dst, int off) {
        Objects.checkIndex(r, out);
        Objects.checkFromIndexSize(off, in, dst.length);
        switch (type) {
            case F32 -> System.arraycopy(f32, r * in, dst, off, in);
            case BF16 -> {
                for (int k = 0, base = r * in; k < in; k++) {
                    dst[off + k] = HalfFloats.bf16ToFloat(halves[base + k]);
                }
            }
            case F16 -> {
                for (int k = 0, base = r * in; k < in; k++) {
                    dst[off + k] = HalfFloats.halfToFloat(halves[base + k]);
                }
            }
            case INT8 -> {
                for (int g = 0; g < groups; g++) {
                    float d = HalfFloats.halfToFloat(scales[r * groups + g]);
                    int base = (r * groups + g) * GROUP;
                    int n = Math.min(GROUP, in - g * GROUP);
                    for (int i = 0; i < n; i++) {
                        dst[off + g * GROUP + i] = quants[base + i] * d;
                    }
                }
            }
            case INT4 -> {
                for (int g = 0; g < groups; g++) {
                    float d = HalfFloats.halfToFloat(scales[r * groups + g]);
                    int base = (r * groups + g) * (GROUP / 2);
                    int n = Math.min(GROUP, in - g * GROUP);
                    for (int i = 0; i < n; i++) {
                        int b = quants[base + (i & 15)];
                        int nib = i < GROUP / 2 ? b & 0xf : (b >> 4) & 0xf;
                        dst[off + g * GROUP + i] = (nib - 8) * d;
                    }
                }
            }
        }
    }

    /**
     * {@code y[yOff + r·out + j] = Σ_k x[xOff + r·in + k] · W[j, k]} for {@code r < rows}: x is {@code [rows, in]}
     * and y {@code [rows, out]}, both row-major and contiguous. Runs on the shared kernel pool (see
     * {@link CompactKernels}).
     *
     * @throws IndexOutOfBoundsException if either array is too short
     */
    public void matmul(float[] x, int xOff, int rows, float[] y, int yOff) {
        CompactKernels.shared().matmul(this, x, xOff, rows, y, yOff);
    }

    /** The storage type. */
    public StorageType type() {
        return type;
    }

    /** Output features (rows of the matrix). */
    public int outFeatures() {
        return out;
    }

    /** Input features (columns of the matrix). */
    public int inFeatures() {
        return in;
    }

    /** Quantization groups per row ({@code ceil(in / 32)}). */
    int groups() {
        return groups;
    }

    /** Bytes held: weights plus scales. */
    public long storageBytes() {
        long n = 0;
        n += f32 == null ? 0 : 4L * f32.length;
        n += halves == null ? 0 : 2L * halves.length;
        n += quants == null ? 0 : quants.length;
        n += scales == null ? 0 : 2L * scales.length;
        return n;
    }

    @Override
    public String toString() {
        return "CompactMatrix[" + out + ", " + in + "] " + type;
    }
}
