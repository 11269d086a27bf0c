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
 * <p>Storage. F32: {@code float[out·in]}, row-major (one matrix row = one output feature). The other types are
 * packed at encoding in <b>panels</b> of {@value #PANEL} consecutive rows (output features; the last panel padded
 * with zero rows), so that the kernels read {@value #PANEL} output features at one input index as one contiguous
 * run ({@code p = r / 16}, {@code c = r % 16}, {@code G = ceil(in / 32)} groups of 32 inputs per row):
 * <ul>
 * <li>{@link StorageType#BF16}, {@link StorageType#F16}: {@code int[panels·ceil(in/2)·16]} of raw 16-bit patterns,
 * two inputs per int: {@code [(p·ceil(in/2) + k/2)·16 + c]} holds {@code W[r, k]} in its low half for even
 * {@code k}, in its high half for odd {@code k} (a missing last odd input is zero);</li>
 * <li>{@link StorageType#INT8}: {@code byte[panels·in·16]}, {@code [(p·in + k)·16 + c]}, and
 * {@code short[panels·G·16]} F16 scales, {@code [(p·G + g)·16 + c]}: {@code W[r, k] = q · scale(r, k / 32)};</li>
 * <li>{@link StorageType#INT4}: {@code byte[panels·ceil(in/2)·16]} with two levels per byte, laid out as the
 * 16-bit pairs above (low nibble even {@code k}, high nibble odd {@code k}), and scales as INT8:
 * {@code W[r, k] = (q − 8) · scale} (levels encoded with a least-squares scale search, see {@code q40}).</li>
 * </ul>
 * Quantization groups are those of ggml's Q8_0 / Q4_0 ({@value StorageType#GROUP} inputs of one row, the last one
 * padded with zeros); {@link #storedQuants} and {@link #storedScales} give them in the row-major block layout of a
 * saved quantized checkpoint ({@link QuantizedSafeTensors}), which {@link #ofBlocks} packs again.
 * Each array is one Java array, so a matrix holds fewer than 2³¹ storage elements (a 256000 × 3584 embedding
 * fits). An F32 matrix may instead be a {@linkplain #viewF32 view} of row-major floats held elsewhere (an ND4J
 * array's native memory), so that the decode kernels run over F32 weights without a copy.
 */
public final class CompactMatrix {
    private static final int GROUP = StorageType.GROUP;
    /** INT4 scale search: candidates {@code s = -SCALE_STEPS..SCALE_STEPS}. */
    private static final int SCALE_STEPS = 9;
    private static final int SCALE_CANDIDATES = 2 * SCALE_STEPS + 1;
    /** Rows (output features) per panel of the packed layouts. */
    static final int PANEL = 16;

    private final StorageType type;
    private final int out;
    private final int in;
    private final int groups;
    /** Input pairs per row, {@code ceil(in / 2)} (BF16, F16, INT4). */
    private final int pairsPerRow;
    final float[] f32;
    /** The weights of an F32 {@linkplain #viewF32 view} (absolute reads only), else null. */
    final FloatBuffer f32View;
    /** BF16/F16: two 16-bit weights per int, packed in panels (see the class comment), else null. */
    final int[] pairs;
    /** INT8/INT4: the levels, packed in panels, else null. */
    final byte[] quants;
    /** INT8/INT4: the F16 group scales, packed in panels, else null. */
    final short[] scales;

    private CompactMatrix(StorageType type, int out, int in, float[] f32, FloatBuffer f32View, int[] pairs,
                          byte[] quants, short[] scales) {
        this.type = type;
        this.out = out;
        this.in = in;
        this.groups = (in + GROUP - 1) / GROUP;
        this.pairsPerRow = (in + 1) / 2;
        this.f32 = f32;
        this.f32View = f32View;
        this.pairs = pairs;
        this.quants = quants;
        this.scales = scales;
    }

    /** Panels of {@value #PANEL} rows ({@code ceil(out / 16)}). */
    private static int panels(int out) {
        return (out + PANEL - 1) / PANEL;
    }

    /** BF16/F16 {@link #pairs}, INT4 {@link #quants}: the element holding {@code W[r, k]} (and {@code W[r, k^1]}). */
    int pairIndex(int r, int k) {
        return ((r >>> 4) * pairsPerRow + (k >>> 1)) * PANEL + (r & 15);
    }

    /** INT8 {@link #quants}: the level of {@code W[r, k]}. */
    int int8Index(int r, int k) {
        return ((r >>> 4) * in + k) * PANEL + (r & 15);
    }

    /** {@link #scales}: the scale of row r's group g. */
    int scaleIndex(int r, int g) {
        return ((r >>> 4) * groups + g) * PANEL + (r & 15);
    }

    /** The elements of one panel in {@link #pairs} or {@link #quants} (the offset of panel p is p times this). */
    int panelStride() {
        return (type == StorageType.INT8 ? in : pairsPerRow) * PANEL;
    }

    /** The elements of one panel in {@link #scales}. */
    int scalePanelStride() {
        return groups * PANEL;
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
     * A quantized matrix from stored blocks ({@link StorageType#INT8} or {@link StorageType#INT4} in the row-major
     * block layout of a saved quantized checkpoint, see {@link #storedQuants}): the very levels and scales, packed
     * into panels (the arrays are not kept).
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
        CompactMatrix m = allocate(what, out, in, type);
        byte[] block = new byte[type == StorageType.INT8 ? GROUP : GROUP / 2];
        for (int r = 0; r < out; r++) {
            for (int g = 0; g < groups; g++) {
                int at = (r * (int) groups + g) * block.length;
                System.arraycopy(quants, at, block, 0, block.length);
                m.putBlock(r, g, block, scales[r * (int) groups + g]);
            }
        }
        return m;
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
        int at = 0;
        for (RowRange p : parts) {
            CompactMatrix m = p.matrix();
            if (m.type == StorageType.F32) {
                System.arraycopy(m.f32, p.first() * m.in, out.f32, at * m.in, p.count() * m.in);
            } else if (p.first() % PANEL == 0 && at % PANEL == 0 && (p.count() % PANEL == 0
                    || p.first() + p.count() == m.out && at + p.count() == rows)) {
                out.copyPanelsFrom(m, p.first() / PANEL, at / PANEL, panels(p.count()));
            } else {
                for (int r = 0; r < p.count(); r++) {
                    out.copyRowFrom(m, p.first() + r, at + r);
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
        long rows = (long) panels(out) * PANEL;
        long pairs = (in + 1) / 2;
        return switch (type) {
            case F32 -> 4L * out * in;
            case BF16, F16 -> 4L * rows * pairs;
            case INT8 -> rows * in + 2 * rows * groups;
            case INT4 -> rows * pairs + 2 * rows * groups;
        };
    }

    /** A matrix with zeroed storage for {@link #encodeBlock}. */
    private static CompactMatrix allocate(String what, int out, int in, StorageType type) {
        Objects.requireNonNull(type, "type");
        if (out <= 0 || in <= 0) {
            throw new IllegalArgumentException(what + ": shape [" + out + ", " + in + "] must be positive");
        }
        int groups = (in + GROUP - 1) / GROUP;
        long rows = (long) panels(out) * PANEL;
        long elements = switch (type) {
            case F32 -> (long) out * in;
            case BF16, F16, INT4 -> rows * ((in + 1) / 2);
            case INT8 -> rows * in;
        };
        if (elements > Integer.MAX_VALUE - 8 || rows * groups > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(what + ": [" + out + ", " + in + "] is too large for one matrix");
        }
        int n = (int) elements;
        return switch (type) {
            case F32 -> new CompactMatrix(type, out, in, new float[n], null, null, null, null);
            case BF16, F16 -> new CompactMatrix(type, out, in, null, null, new int[n], null, null);
            case INT8 -> new CompactMatrix(type, out, in, null, null, null, new byte[n],
                    new short[(int) rows * groups]);
            case INT4 -> {
                byte[] q = new byte[n];
                Arrays.fill(q, (byte) 0x88);            // level 8 = weight 0 wherever no weight is stored
                yield new CompactMatrix(type, out, in, null, null, null, q, new short[(int) rows * groups]);
            }
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
                boolean bf16 = type == StorageType.BF16;
                for (int r = 0; r < rows; r++) {
                    int at = pairIndex(firstRow + r, 0);
                    for (int k = 0; k < in; k += 2, at += PANEL) {
                        float even = w[r * in + k];
                        float odd = k + 1 < in ? w[r * in + k + 1] : 0f;
                        short lo = bf16 ? HalfFloats.floatToBf16(even) : HalfFloats.floatToHalf(even);
                        short hi = bf16 ? HalfFloats.floatToBf16(odd) : HalfFloats.floatToHalf(odd);
                        pairs[at] = (lo & 0xffff) | (hi << 16);
                    }
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
                    byte[] q = new byte[groupBytes];
                    for (int r = from; r < to; r++) {
                        int row = firstRow + r;
                        for (int g = 0; g < groups; g++) {
                            int n = Math.min(GROUP, in - g * GROUP);
                            Arrays.fill(block, 0f);
                            System.arraycopy(w, r * in + g * GROUP, block, 0, n);
                            short d = type == StorageType.INT8 ? q80(block, q, 0) : q40(block, q, 0);
                            putBlock(row, g, q, d);
                        }
                    }
                });
    }

    /** The 16-bit pattern of weight {@code [r, k]} of a BF16/F16 matrix. */
    private short half(int r, int k) {
        return (short) (pairs[pairIndex(r, k)] >>> (16 * (k & 1)));
    }

    /** The level of INT4 weight {@code [r, k]}, 0..15 ({@code q}; the weight is {@code (q − 8)·scale}). */
    private int nibble(int r, int k) {
        return (quants[pairIndex(r, k)] >> (4 * (k & 1))) & 0xf;
    }

    /**
     * Stores row r's group g, given in the saved block layout (Q8_0: 32 levels; Q4_0: 16 bytes, byte i holding
     * inputs i and i + 16 of the group in its low and high nibble), with its F16 scale. Inputs past {@code in}
     * (a short last group) are not stored.
     */
    private void putBlock(int r, int g, byte[] block, short scale) {
        scales[scaleIndex(r, g)] = scale;
        int n = Math.min(GROUP, in - g * GROUP);
        for (int i = 0; i < n; i++) {
            int k = g * GROUP + i;
            if (type == StorageType.INT8) {
                quants[int8Index(r, k)] = block[i];
            } else {
                int level = i < GROUP / 2 ? block[i] & 0xf : (block[i - GROUP / 2] >> 4) & 0xf;
                int at = pairIndex(r, k);
                int shift = 4 * (k & 1);
                quants[at] = (byte) ((quants[at] & ~(0xf << shift)) | (level << shift));
            }
        }
    }

    /** Row r's group g in the saved block layout (see {@link #putBlock}); the padding of a short last group zero. */
    private void getBlock(int r, int g, byte[] block) {
        Arrays.fill(block, (byte) 0);
        int n = Math.min(GROUP, in - g * GROUP);
        for (int i = 0; i < n; i++) {
            int k = g * GROUP + i;
            if (type == StorageType.INT8) {
                block[i] = quants[int8Index(r, k)];
            } else {
                int level = nibble(r, k);
                block[i & 15] |= (byte) (i < GROUP / 2 ? level : level << 4);
            }
        }
        if (type == StorageType.INT4) {
            for (int i = n; i < GROUP; i++) {
                block[i & 15] |= (byte) (i < GROUP / 2 ? 8 : 8 << 4);    // padding: level 8, weight 0
            }
        }
    }

    /** Copies row {@code from} of {@code m} (same type and width) to row {@code to} of this matrix. */
    private void copyRowFrom(CompactMatrix m, int from, int to) {
        int perRow = panelStride() / PANEL;
        int src = from / PANEL * panelStride() + from % PANEL;
        int dst = to / PANEL * panelStride() + to % PANEL;
        for (int i = 0; i < perRow; i++, src += PANEL, dst += PANEL) {
            if (pairs != null) {
                pairs[dst] = m.pairs[src];
            } else {
                quants[dst] = m.quants[src];
            }
        }
        if (type.grouped()) {
            for (int g = 0; g < groups; g++) {
                scales[scaleIndex(to, g)] = m.scales[m.scaleIndex(from, g)];
            }
        }
    }

    /** Copies {@code count} whole panels of {@code m} (same type and width) from panel {@code from} to {@code to}. */
    private void copyPanelsFrom(CompactMatrix m, int from, int to, int count) {
        int n = panelStride();
        if (pairs != null) {
            System.arraycopy(m.pairs, from * n, pairs, to * n, count * n);
        } else {
            System.arraycopy(m.quants, from * n, quants, to * n, count * n);
            int ns = scalePanelStride();
            System.arraycopy(m.scales, from * ns, scales, to * ns, count * ns);
        }
    }

    /**
     * The levels in the row-major block layout of a saved quantized checkpoint ({@code [out, G·32]} bytes for
     * INT8, {@code [out, G·16]} for INT4, see {@link #putBlock}): a copy.
     *
     * @throws IllegalStateException if this matrix is not INT8 or INT4
     */
    byte[] storedQuants() {
        requireGrouped();
        int groupBytes = type == StorageType.INT8 ? GROUP : GROUP / 2;
        byte[] dst = new byte[out * groups * groupBytes];
        byte[] block = new byte[groupBytes];
        for (int r = 0; r < out; r++) {
            for (int g = 0; g < groups; g++) {
                getBlock(r, g, block);
                System.arraycopy(block, 0, dst, (r * groups + g) * groupBytes, groupBytes);
            }
        }
        return dst;
    }

    /** The F16 scales row-major, {@code [out, G]}, as a saved quantized checkpoint holds them: a copy. */
    short[] storedScales() {
        requireGrouped();
        short[] dst = new short[out * groups];
        for (int r = 0; r < out; r++) {
            for (int g = 0; g < groups; g++) {
                dst[r * groups + g] = scales[scaleIndex(r, g)];
            }
        }
        return dst;
    }

    private void requireGrouped() {
        if (!type.grouped()) {
            throw new IllegalStateException(this + " holds no quantized blocks");
        }
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
            case BF16 -> HalfFloats.bf16ToFloat(half(r, k));
            case F16 -> HalfFloats.halfToFloat(half(r, k));
            case INT8 -> quants[int8Index(r, k)] * HalfFloats.halfToFloat(scales[scaleIndex(r, k / GROUP)]);
            case INT4 -> (nibble(r, k) - 8) * HalfFloats.halfToFloat(scales[scaleIndex(r, k / GROUP)]);
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
                for (int k = 0; k < in; k++) {
                    dst[off + k] = HalfFloats.bf16ToFloat(half(r, k));
                }
            }
            case F16 -> {
                for (int k = 0; k < in; k++) {
                    dst[off + k] = HalfFloats.halfToFloat(half(r, k));
                }
            }
            case INT8 -> {
                for (int g = 0; g < groups; g++) {
                    float d = HalfFloats.halfToFloat(scales[scaleIndex(r, g)]);
                    int n = Math.min(GROUP, in - g * GROUP);
                    for (int i = 0, k = g * GROUP; i < n; i++, k++) {
                        dst[off + k] = quants[int8Index(r, k)] * d;
                    }
                }
            }
            case INT4 -> {
                for (int g = 0; g < groups; g++) {
                    float d = HalfFloats.halfToFloat(scales[scaleIndex(r, g)]);
                    int n = Math.min(GROUP, in - g * GROUP);
                    for (int i = 0, k = g * GROUP; i < n; i++, k++) {
                        dst[off + k] = (nibble(r, k) - 8) * d;
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
        n += pairs == null ? 0 : 4L * pairs.length;
        n += quants == null ? 0 : quants.length;
        n += scales == null ? 0 : 2L * scales.length;
        return n;
    }

    @Override
    public String toString() {
        return "CompactMatrix[" + out + ", " + in + "] " + type;
    }
}
