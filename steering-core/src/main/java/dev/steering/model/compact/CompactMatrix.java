package dev.steering.model.compact;

import dev.steering.weights.TensorInfo;
import dev.steering.weights.TensorSource;
import dev.steering.weights.WeightsException;
import java.nio.FloatBuffer;
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
 * fits). An F32 matrix may instead be a {@linkplain #viewF32 view} of row-major floats held elsewhere (an ND4J
 * array's native memory), so that the decode kernels run over F32 weights without a copy.
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
    /** The weights of an F32 {@linkplain #viewF32 view} (absolute reads only), else null. */
    final FloatBuffer f32View;
    final short[] halves;
    final byte[] quants;
    final short[] scales;

    private CompactMatrix(StorageType type, int out, int in, float[] f32, short[] halves, byte[] quants,
                          short[] scales) {
        this(type, out, in, f32, null, halves, quants, scales);
    }

    private CompactMatrix(StorageType type, int out, int in, float[] f32, FloatBuffer f32View, short[] halves,
                          byte[] quants, short[] scales) {
        this.type = type;
        this.out = out;
        this.in = in;
        this.groups = (in + GROUP - 1) / GROUP;
        this.f32 = f32;
        this.f32View = f32View;
        this.halves = halves;
        this.quants = quants;
        this.scales = scales;
    }

    /**
     * An F32 matrix over the row-major floats {@code rowMajor[position … position + out·in)}, not copied: the caller
     * keeps that memory alive and unchanged for as long as the view is used (reading freed native memory crashes the
     * JVM).
     *
     * @throws IllegalArgumentException if the shape is not positive or the buffer holds fewer than {@code out·in}
     *                                  floats; the message names {@code what}
     */
    public static CompactMatrix viewF32(String what, FloatBuffer rowMajor, int out, int in) {
        if (out <= 0 || in <= 0) {
            throw new IllegalArgumentException(what + ": shape [" + out + ", " + in + "] must be positive");
        }
        if (rowMajor.remaining() < (long) out * in) {
            throw new IllegalArgumentException(what + ": " + rowMajor.remaining() + " floats for shape [" + out + ", "
                    + in + "]");
        }
        FloatBuffer view = rowMajor.slice(rowMajor.position(), out * in).asReadOnlyBuffer();
        return new CompactMatrix(StorageType.F32, out, in, null, view, null, null, null);
    }

    /**
     * A quantized matrix over stored blocks ({@link StorageType#INT8} or {@link StorageType#INT4}, the layout
     * described above), not copied: the arrays become this matrix's storage (a saved quantized checkpoint).
     *
     * @throws IllegalArgumentException if the type is not grouped or an array's length does not fit the shape; the
     *                                  message names {@code what}
     */
    static CompactMatrix ofBlocks(String what, StorageType type, int out, int in, byte[] quants, short[] scales) {
        if (!type.grouped() || out <= 0 || in <= 0) {
            throw new IllegalArgumentException(what + ": expected a positive shape of a grouped type, found " + type
                    + " [" + out + ", " + in + "]");
        }
        long groups = (in + GROUP - 1) / GROUP;
        long qBytes = out * groups * (type == StorageType.INT8 ? GROUP : GROUP / 2);
        if (quants.length != qBytes || scales.length != out * groups) {
            throw new IllegalArgumentException(what + ": " + quants.length + " quant bytes and " + scales.length
                    + " scales for " + type + " [" + out + ", " + in + "], expected " + qBytes + " and "
                    + out * groups);
        }
        return new CompactMatrix(type, out, in, null, null, quants, scales);
    }

    /**
     * Rows {@code [first, first + count)} of a matrix.
     *
     * @param matrix a matrix with its own storage (not a {@linkplain #viewF32 view})
     * @param first  the first row
     * @param count  the number of rows
     */
    public record RowRange(CompactMatrix matrix, int first, int count) {
        /** Checks the range against the matrix. */
        public RowRange {
            Objects.requireNonNull(matrix, "matrix");
            Objects.checkFromIndexSize(first, count, matrix.out);
        }
    }

    /**
     * The matrix whose rows are these runs of rows, in order: the same storage, copied (rows are encoded
     * independently, so stacking the encoded rows of several matrices equals encoding the stacked rows).
     *
     * @throws IllegalArgumentException if the parts differ in type or width, are views, or hold no rows; the message
     *                                  names {@code what}
     */
    public static CompactMatrix stackRows(String what, java.util.List<RowRange> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException(what + ": no rows to stack");
        }
        CompactMatrix first = parts.get(0).matrix();
        int rows = 0;
        for (RowRange p : parts) {
            CompactMatrix m = p.matrix();
            if (m.type != first.type || m.in != first.in || m.f32View != null) {
                throw new IllegalArgumentException(what + ": cannot stack " + m + " under " + first
                        + (m.f32View != null ? " (a view)" : ""));
            }
            rows += p.count();
        }
        CompactMatrix out = allocate(what, rows, first.in, first.type);
        int perRow = first.type.grouped() ? first.groups * (first.type == StorageType.INT8 ? GROUP : GROUP / 2)
                : first.in;
        int at = 0;
        for (RowRange p : parts) {
            CompactMatrix m = p.matrix();
            switch (m.type) {
                case F32 -> System.arraycopy(m.f32, p.first() * perRow, out.f32, at * perRow, p.count() * perRow);
                case BF16, F16 -> System.arraycopy(m.halves, p.first() * perRow, out.halves, at * perRow,
                        p.count() * perRow);
                case INT8, INT4 -> {
                    System.arraycopy(m.quants, p.first() * perRow, out.quants, at * perRow, p.count() * perRow);
                    System.arraycopy(m.scales, p.first() * m.groups, out.scales, at * m.groups,
                            p.count() * m.groups);
                }
            }
            at += p.count();
        }
        return out;
    }

    /** Values a block of rows of {@link #encodeRows} reads at once by default (a 16 MiB F32 buffer). */
    public static final int BLOCK_VALUES = 1 << 22;

    /**
     * Supplies the F32 rows of a matrix being encoded ({@link #encodeRows}): writes rows
     * {@code [firstRow, firstRow + rows)}, row-major, to {@code dst[0 .. rows·in)}.
     */
    @FunctionalInterface
    public interface RowReader {
        /** Writes rows {@code [firstRow, firstRow + rows)} to {@code dst[0 ..]}. */
        void read(int firstRow, int rows, float[] dst);
    }

    /**
     * Encodes row-major F32 weights {@code w[out·in]} (which are not kept: the matrix owns its own storage).
     *
     * @param what names the weights in errors (a tensor name)
     * @throws IllegalArgumentException if the length does not match, a weight is not finite, or (F16) a weight
     *                                  is too large for half precision; the message names {@code what}
     */
    public static CompactMatrix encode(String what, float[] w, int out, int in, StorageType type) {
        if (out > 0 && in > 0 && (long) out * in != w.length) {
            throw new IllegalArgumentException(what + ": " + w.length + " values for shape [" + out + ", " + in + "]");
        }
        CompactMatrix m = allocate(what, out, in, type);
        m.encodeBlock(what, w, 0, out);
        return m;
    }

    /**
     * Encodes a matrix read block of rows by block of rows through one F32 buffer, so that the matrix never
     * exists in F32 as a whole and nothing per block is left to the garbage collector: a block is
     * {@code max(1, buffer.length / in)} rows (see {@link #blockValues}).
     *
     * @param what   names the weights in errors (a tensor name)
     * @param rows   the F32 rows
     * @param buffer the block buffer, at least {@code in} values (overwritten)
     * @throws IllegalArgumentException as {@link #encode(String, float[], int, int, StorageType)}
     */
    public static CompactMatrix encodeRows(String what, int out, int in, StorageType type, RowReader rows,
                                           float[] buffer) {
        CompactMatrix m = allocate(what, out, in, type);
        if (buffer.length < in) {
            throw new IllegalArgumentException(what + ": a block buffer of " + buffer.length + " values is shorter "
                    + "than one row (" + in + ")");
        }
        int block = Math.min(out, buffer.length / in);
        for (int r = 0; r < out; r += block) {
            int n = Math.min(block, out - r);
            rows.read(r, n, buffer);
            m.encodeBlock(what, buffer, r, n);
        }
        return m;
    }

    /** The size of a block buffer for an {@code [out, in]} matrix: whole rows, about {@link #BLOCK_VALUES} values. */
    public static int blockValues(int out, int in) {
        return Math.min(out, Math.max(1, BLOCK_VALUES / in)) * in;
    }

    /** The bytes {@link #storageBytes()} of an {@code [out, in]} matrix of this type will be (the arrays below). */
    public static long storageBytes(StorageType type, int out, int in) {
        long groups = (in + GROUP - 1) / GROUP;
        return switch (type) {
            case F32 -> 4L * out * in;
            case BF16, F16 -> 2L * out * in;
            case INT8, INT4 -> out * groups * (type == StorageType.INT8 ? GROUP : GROUP / 2) + 2 * out * groups;
        };
    }

    /** A matrix with zeroed storage for {@link #encodeBlock}. */
    private static CompactMatrix allocate(String what, int out, int in, StorageType type) {
        Objects.requireNonNull(type, "type");
        if (out <= 0 || in <= 0) {
            throw new IllegalArgumentException(what + ": shape [" + out + ", " + in + "] must be positive");
        }
        int groups = (in + GROUP - 1) / GROUP;
        long padded = (long) out * groups * GROUP;
        if (padded > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(what + ": [" + out + ", " + in + "] is too large for one matrix");
        }
        int groupBytes = type == StorageType.INT8 ? GROUP : GROUP / 2;
        return switch (type) {
            case F32 -> new CompactMatrix(type, out, in, new float[out * in], null, null, null);
            case BF16, F16 -> new CompactMatrix(type, out, in, null, new short[out * in], null, null);
            case INT8, INT4 -> new CompactMatrix(type, out, in, null, null, new byte[out * groups * groupBytes],
                    new short[out * groups]);
        };
    }

    /**
     * Encodes rows {@code [firstRow, firstRow + rows)} from {@code w[0 .. rows·in)} into this matrix's storage
     * (only while the matrix is being built).
     */
    private void encodeBlock(String what, float[] w, int firstRow, int rows) {
        int n = rows * in;
        for (int i = 0; i < n; i++) {
            float v = w[i];
            if (!Float.isFinite(v) || (type == StorageType.F16 && Math.abs(v) >= HalfFloats.HALF_LIMIT)) {
                throw new IllegalArgumentException(what + ": weight [" + (firstRow + i / in) + ", " + i % in + "] = "
                        + v + (Float.isFinite(v) ? " is out of float16 range (|w| < 65504)" : " is not finite"));
            }
        }
        int base = firstRow * in;
        switch (type) {
            case F32 -> System.arraycopy(w, 0, f32, base, n);
            case BF16, F16 -> {
                for (int i = 0; i < n; i++) {
                    halves[base + i] = type == StorageType.BF16 ? HalfFloats.floatToBf16(w[i])
                            : HalfFloats.floatToHalf(w[i]);
                }
            }
            case INT8, INT4 -> quantize(w, firstRow, rows);
        }
    }

    /** Encodes the blocks, rows split over the kernels' pool (INT4's scale search costs ~19 passes per block). */
    private void quantize(float[] w, int firstRow, int rows) {
        int groupBytes = type == StorageType.INT8 ? GROUP : GROUP / 2;
        CompactKernels.shared().forRows(rows, (long) in * (type == StorageType.INT4 ? 2 * SCALE_CANDIDATES : 1),
                (from, to) -> {
                    float[] block = new float[GROUP];
                    for (int r = from; r < to; r++) {
                        int row = firstRow + r;
                        for (int g = 0; g < groups; g++) {
                            int n = Math.min(GROUP, in - g * GROUP);
                            Arrays.fill(block, 0f);
                            System.arraycopy(w, r * in + g * GROUP, block, 0, n);
                            int qOff = (row * groups + g) * groupBytes;
                            scales[row * groups + g] = type == StorageType.INT8 ? q80(block, quants, qOff)
                                    : q40(block, quants, qOff);
                        }
                    }
                });
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
     * Reads checkpoint tensor {@code name} (2-D, {@code [out, in]}, stored F32, F16 or BF16) and encodes it, a block
     * of rows at a time through {@code buffer} ({@link #encodeRows}): the tensor is never whole in F32.
     *
     * @throws WeightsException naming the tensor if it is missing or not 2-D
     */
    public static CompactMatrix fromSource(TensorSource source, String name, StorageType type, float[] buffer) {
        TensorInfo info = source.info(name);
        long[] shape = info.shape();
        if (shape.length != 2 || shape[0] > Integer.MAX_VALUE || shape[1] > Integer.MAX_VALUE) {
            throw new WeightsException(name + ": expected a 2-D [out, in] matrix, found " + Arrays.toString(shape));
        }
        int in = (int) shape[1];
        try {
            return encodeRows(name, (int) shape[0], in, type,
                    (r, n, dst) -> source.floats(name, (long) r * in, dst, 0, n * in), buffer);
        } catch (IllegalArgumentException e) {
            throw new WeightsException(e.getMessage());
        }
    }

    /** As {@link #fromSource(TensorSource, String, StorageType, float[])} with a buffer of its own. */
    public static CompactMatrix fromSource(TensorSource source, String name, StorageType type) {
        long[] shape = source.info(name).shape();
        int buffer = shape.length == 2 && shape[0] > 0 && shape[1] > 0 && shape[1] <= Integer.MAX_VALUE
                ? blockValues((int) Math.min(shape[0], Integer.MAX_VALUE), (int) shape[1]) : 1;
        return fromSource(source, name, type, new float[buffer]);
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
            case F32 -> f32 != null ? f32[r * in + k] : f32View.get(r * in + k);
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
            case F32 -> copyF32Row(r, dst, off);
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

    /** Row r of an F32 matrix (array or view) to {@code dst[off…]}. */
    void copyF32Row(int r, float[] dst, int off) {
        if (f32 != null) {
            System.arraycopy(f32, r * in, dst, off, in);
        } else {
            f32View.get(r * in, dst, off, in);
        }
    }

    /** Quantization groups per row ({@code ceil(in / 32)}). */
    int groups() {
        return groups;
    }

    /** Bytes held: weights plus scales (none for a {@linkplain #viewF32 view}, whose floats are held elsewhere). */
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
