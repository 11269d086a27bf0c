package dev.steering.model.compact;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernel on the incubator Vector API ({@code jdk.incubator.vector}); loaded by {@link CompactKernels} only when
 * that module is in the boot layer.
 *
 * <p>BF16, F16, INT8 and INT4 weights are read in their panel layout ({@link CompactMatrix}: 16 output features
 * side by side at each input index) and decoded straight into registers: a weight vector holds one input's weights
 * of {@code L} consecutive output features, and each activation row adds {@code x[r, k]·w} into an accumulator
 * vector of those features. There is no lane reduction and no scratch copy of the weights; every output
 * {@code y[r, j]} is the chain {@code acc = fma(W[j, k], x[r, k], acc)} for {@code k = 0, 1, …} in order, whatever
 * the tile, so a row's result does not depend on the other rows of the call or on the split. Tiles: 8 rows × 2
 * weight vectors (16 accumulators; fewer rows repeat the last one), and 1 row × 4 vectors for a single row. The F16
 * group scales of INT8/INT4 are decoded once per tile into scratch and multiplied into each weight vector.
 *
 * <p>F32 weights (a Java array, used in place, or a view, copied block by block into scratch) keep row-major tiles
 * with lane reductions, 4 activation rows × 4 columns, then 1 row × 4 columns: up to
 * {@value CompactKernels#DECODE_ROWS} rows over small blocks (~32 KiB, L1), more rows over ~256 KiB blocks (L2)
 * with the input dimension in blocks of at most {@value #KC_MAX}.
 */
final class VectorKernel implements ColumnKernel {
    private static final int GROUP = StorageType.GROUP;
    private static final int PANEL = CompactMatrix.PANEL;
    private static final VectorSpecies<Float> F = VectorWidth.FLOATS;
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final int BLOCK_FLOATS = 64 * 1024;
    private static final int DECODE_BLOCK_FLOATS = 8 * 1024;
    /** Largest input-dimension block of the prefill tiles (4 KiB per activation row). */
    private static final int KC_MAX = 1024;
    /** Activation rows of the wide tile. */
    private static final int TILE_ROWS = 8;
    /** F16 magnitude bits (after shifting) times this are the float: exponent bias 127 − 15 = 112. */
    private static final float HALF_TO_FLOAT = 0x1p112f;
    /** Keeps the sign, exponent and mantissa of a half shifted into float position (bits 31, 23-27, 13-22). */
    private static final int HALF_BITS = 0x8fffe000;

    /** True if this CPU's preferred float vector has 8 or 16 lanes (the shapes these loops are written for). */
    static boolean supported() {
        return L == 8 || L == 16;
    }

    @Override
    public String name() {
        return "vector-api-" + L * 32 + "bit";
    }

    /** Columns per decoded block at prefill: ~256 KiB of F32 weights, so that every row tile finds them in L2. */
    static int blockColumns(int in) {
        return Math.max(8, Math.min(256, BLOCK_FLOATS / in) & ~7);
    }

    /** Columns per decoded block at decode: ~32 KiB of F32 weights, so that the row tiles find them in L1. */
    static int decodeColumns(int in) {
        return Math.max(4, Math.min(64, DECODE_BLOCK_FLOATS / in) & ~3);
    }

    /** True if the inputs come in pairs (BF16, F16, INT4) and the last pair lacks its odd input. */
    private static boolean oddPairs(CompactMatrix w) {
        return w.type() != StorageType.INT8 && w.inFeatures() % 2 == 1;
    }

    /**
     * Scratch. F32 view: a block of copied columns. Other types: the F32 group scales of a tile's weight vectors
     * (INT8/INT4), then for an odd input size of a paired type the activation rows with a zero appended to each.
     */
    @Override
    public int scratchFloats(CompactMatrix w, int rows) {
        if (w.type() == StorageType.F32) {
            if (w.f32 != null) {
                return 0;
            }
            int nb = rows <= CompactKernels.DECODE_ROWS ? decodeColumns(w.inFeatures()) : blockColumns(w.inFeatures());
            return nb * w.inFeatures();
        }
        int scales = w.type().grouped() ? 4 * w.groups() * L : 0;
        return scales + (oddPairs(w) ? rows * (w.inFeatures() + 1) : 0);
    }

    @Override
    public void columns(CompactMatrix w, float[] x, int xOff, int rows, float[] y, int yOff, int from, int to,
                        float[] scratch) {
        if (w.type() == StorageType.F32) {
            columnsF32(w, x, xOff, rows, y, yOff, from, to, scratch);
        } else {
            packed(w, x, xOff, rows, y, yOff, from, to, scratch);
        }
    }

    private void columnsF32(CompactMatrix w, float[] x, int xOff, int rows, float[] y, int yOff, int from, int to,
                            float[] scratch) {
        int in = w.inFeatures();
        int out = w.outFeatures();
        boolean decode = rows <= CompactKernels.DECODE_ROWS;
        int nbMax = decode ? decodeColumns(in) : blockColumns(in);
        // at decode the whole input dimension is one block: all rows of a tile fit in L1/L2 anyway
        int kc = decode ? in : inputBlock(in);
        for (int c0 = from; c0 < to; c0 += nbMax) {
            int nb = Math.min(nbMax, to - c0);
            if (w.f32 != null) {
                tiles(w.f32, c0 * in, nb, in, kc, x, xOff, rows, y, yOff + c0, out);
            } else {
                for (int c = 0; c < nb; c++) {
                    w.copyF32Row(c0 + c, scratch, c * in);
                }
                tiles(scratch, 0, nb, in, kc, x, xOff, rows, y, yOff + c0, out);
            }
        }
    }

    // ---- register tiles over F32 (or decoded) weights ----

    /**
     * The input-block size of the prefill tiles: the input dimension split into equal blocks of at most
     * {@value #KC_MAX}, a multiple of the vector length, so that a 4-row activation tile and 4 weight rows stay in L1.
     */
    private static int inputBlock(int in) {
        int blocks = (in + KC_MAX - 1) / KC_MAX;
        return ((in + blocks - 1) / blocks + L - 1) / L * L;
    }

    /**
     * y[r, c] for c &lt; cols, r &lt; rows, with weights row c at {@code w[wOff + c·in]}; y's column 0 at yOff. The input
     * dimension runs in blocks of {@code kc} (partial sums of later blocks are added into y). Tiles of 4 rows × 4
     * columns (16 accumulators: 25 % faster than 4 × 2 at 8 rows), then 1 row × 4 columns for the rows left over,
     * then single dot products: every one of them computes
     * a given (row, column) with the same operations in the same order (FMA over the vector chunks, lane sum, scalar
     * tail), so a row's result never depends on the other rows of the call (batched = one by one).
     */
    private static void tiles(float[] w, int wOff, int cols, int in, int kc, float[] x, int xOff, int rows,
                              float[] y, int yOff, int yStride) {
        for (int k0 = 0; k0 < in; k0 += kc) {
            int k1 = Math.min(in, k0 + kc);
            boolean add = k0 > 0;
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                int c = 0;
                for (; c + 4 <= cols; c += 4) {
                    tile4x4(w, wOff + c * in, in, k0, k1, x, xOff + r * in, y, yOff + r * yStride + c, yStride, add);
                }
                for (; c < cols; c++) {
                    for (int rr = r; rr < r + 4; rr++) {
                        store(y, yOff + rr * yStride + c, dot(w, wOff + c * in + k0, x, xOff + rr * in + k0, k1 - k0),
                                add);
                    }
                }
            }
            for (; r < rows; r++) {
                int c = 0;
                for (; c + 4 <= cols; c += 4) {
                    tile1x4(w, wOff + c * in, in, k0, k1, x, xOff + r * in, y, yOff + r * yStride + c, add);
                }
                for (; c < cols; c++) {
                    store(y, yOff + r * yStride + c, dot(w, wOff + c * in + k0, x, xOff + r * in + k0, k1 - k0), add);
                }
            }
        }
    }

    private static void store(float[] y, int at, float v, boolean add) {
        y[at] = add ? y[at] + v : v;
    }

    private static void tile4x4(float[] w, int w0, int in, int k0, int k1, float[] x, int x0, float[] y, int y0,
                                int ys, boolean add) {
        int w1 = w0 + in;
        int w2 = w1 + in;
        int w3 = w2 + in;
        int x1 = x0 + in;
        int x2 = x1 + in;
        int x3 = x2 + in;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00,
                a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int end = k1 - (k1 - k0) % L;
        for (int k = k0; k < end; k += L) {
            FloatVector v0 = FloatVector.fromArray(F, w, w0 + k);
            FloatVector v1 = FloatVector.fromArray(F, w, w1 + k);
            FloatVector v2 = FloatVector.fromArray(F, w, w2 + k);
            FloatVector v3 = FloatVector.fromArray(F, w, w3 + k);
            FloatVector u = FloatVector.fromArray(F, x, x0 + k);
            a00 = v0.fma(u, a00);
            a01 = v1.fma(u, a01);
            a02 = v2.fma(u, a02);
            a03 = v3.fma(u, a03);
            u = FloatVector.fromArray(F, x, x1 + k);
            a10 = v0.fma(u, a10);
            a11 = v1.fma(u, a11);
            a12 = v2.fma(u, a12);
            a13 = v3.fma(u, a13);
            u = FloatVector.fromArray(F, x, x2 + k);
            a20 = v0.fma(u, a20);
            a21 = v1.fma(u, a21);
            a22 = v2.fma(u, a22);
            a23 = v3.fma(u, a23);
            u = FloatVector.fromArray(F, x, x3 + k);
            a30 = v0.fma(u, a30);
            a31 = v1.fma(u, a31);
            a32 = v2.fma(u, a32);
            a33 = v3.fma(u, a33);
        }
        finish4(w, w0, in, end, k1, x, x0, y, y0, add, a00, a01, a02, a03);
        finish4(w, w0, in, end, k1, x, x1, y, y0 + ys, add, a10, a11, a12, a13);
        finish4(w, w0, in, end, k1, x, x2, y, y0 + 2 * ys, add, a20, a21, a22, a23);
        finish4(w, w0, in, end, k1, x, x3, y, y0 + 3 * ys, add, a30, a31, a32, a33);
    }

    /**
     * Stores one activation row's sums with weight rows {@code w0, w0 + in, …, w0 + 3·in}: each accumulator's lane
     * sum plus the scalar tail {@code [end, k1)}, at {@code y[y0 … y0 + 3]}.
     */
    private static void finish4(float[] w, int w0, int in, int end, int k1, float[] x, int xr, float[] y, int y0,
                                boolean add, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD),
                s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (int k = end; k < k1; k++) {
            float u = x[xr + k];
            s0 += w[w0 + k] * u;
            s1 += w[w0 + in + k] * u;
            s2 += w[w0 + 2 * in + k] * u;
            s3 += w[w0 + 3 * in + k] * u;
        }
        store(y, y0, s0, add);
        store(y, y0 + 1, s1, add);
        store(y, y0 + 2, s2, add);
        store(y, y0 + 3, s3, add);
    }

    private static void tile1x4(float[] w, int w0, int in, int k0, int k1, float[] x, int x0, float[] y, int y0,
                                boolean add) {
        int w1 = w0 + in;
        int w2 = w1 + in;
        int w3 = w2 + in;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int end = k1 - (k1 - k0) % L;
        for (int k = k0; k < end; k += L) {
            FloatVector u = FloatVector.fromArray(F, x, x0 + k);
            a0 = FloatVector.fromArray(F, w, w0 + k).fma(u, a0);
            a1 = FloatVector.fromArray(F, w, w1 + k).fma(u, a1);
            a2 = FloatVector.fromArray(F, w, w2 + k).fma(u, a2);
            a3 = FloatVector.fromArray(F, w, w3 + k).fma(u, a3);
        }
        finish4(w, w0, in, end, k1, x, x0, y, y0, add, a0, a1, a2, a3);
    }

    private static float dot(float[] w, int w0, float[] x, int x0, int in) {
        FloatVector a = FloatVector.zero(F);
        int end = in - in % L;
        for (int k = 0; k < end; k += L) {
            a = FloatVector.fromArray(F, w, w0 + k).fma(FloatVector.fromArray(F, x, x0 + k), a);
        }
        float s = a.reduceLanes(VectorOperators.ADD);
        for (int k = end; k < in; k++) {
            s += w[w0 + k] * x[x0 + k];
        }
        return s;
    }

    // ---- packed weights (BF16, F16, INT8, INT4): decoded into registers ----

    /**
     * Columns {@code [from, to)} over packed weights: the weight vectors of the share two by two, each pair against
     * the activation rows eight at a time (a last group of 2-7 rows repeats its last row, computing it twice), or
     * four (F16, INT4: two) at a time against a single row; then the columns past the last whole vector one by one
     * ({@link #column}, the same chain in scalar code).
     */
    private static void packed(CompactMatrix w, float[] x, int xOff, int rows, float[] y, int yOff, int from, int to,
                               float[] scratch) {
        int in = w.inFeatures();
        int out = w.outFeatures();
        StorageType t = w.type();
        int scaleFloats = t.grouped() ? w.groups() * L : 0;
        float[] xs = x;
        int xBase = xOff;
        int xStride = in;
        if (oddPairs(w)) {                  // a zero input after each row meets the zero weight of the last pair
            xs = scratch;
            xBase = 4 * scaleFloats;
            xStride = in + 1;
            for (int r = 0; r < rows; r++) {
                System.arraycopy(x, xOff + r * in, scratch, xBase + r * xStride, in);
                scratch[xBase + r * xStride + in] = 0f;
            }
        }
        int kEnd = t == StorageType.INT8 ? in : in + in % 2;
        int vFrom = from / L;
        int vTo = to / L;
        int[] xr = new int[TILE_ROWS];
        int[] yr = new int[TILE_ROWS];
        if (rows == 1) {
            switch (t) {
                case BF16 -> rowBf16(w, vFrom, vTo, kEnd, xs, xBase, y, yOff);
                case F16 -> rowF16(w, vFrom, vTo, kEnd, xs, xBase, y, yOff);
                case INT8 -> rowInt8(w, vFrom, vTo, scratch, scaleFloats, kEnd, xs, xBase, y, yOff);
                case INT4 -> rowInt4(w, vFrom, vTo, scratch, scaleFloats, kEnd, xs, xBase, y, yOff);
                default -> throw new IllegalStateException(t.toString());
            }
        } else {
            for (int v = vFrom; v < vTo; v += 2) {
                int v1 = Math.min(v + 1, vTo - 1);
                if (t.grouped()) {
                    decodeScales(w, v, scratch, 0);
                    decodeScales(w, v1, scratch, scaleFloats);
                }
                int b0 = base(w, v);
                int b1 = base(w, v1);
                int c0 = v * L;
                int c1 = v1 * L;
                for (int r0 = 0; r0 < rows; r0 += TILE_ROWS) {
                    for (int i = 0; i < TILE_ROWS; i++) {
                        int r = Math.min(r0 + i, rows - 1);
                        xr[i] = xBase + r * xStride;
                        yr[i] = yOff + r * out;
                    }
                    switch (t) {
                        case BF16 -> tile8x2Bf16(w.pairs, b0, b1, kEnd, xs, xr, y, yr, c0, c1);
                        case F16 -> tile8x2F16(w.pairs, b0, b1, kEnd, xs, xr, y, yr, c0, c1);
                        case INT8 -> tile8x2Int8(w.quants, b0, b1, scratch, scaleFloats, kEnd, xs, xr, y, yr, c0, c1);
                        case INT4 -> tile8x2Int4(w.quants, b0, b1, scratch, scaleFloats, kEnd, xs, xr, y, yr, c0, c1);
                        default -> throw new IllegalStateException(t.toString());
                    }
                }
            }
        }
        for (int j = vTo * L; j < to; j++) {
            for (int r = 0; r < rows; r++) {
                y[yOff + r * out + j] = column(w, j, xs, xBase + r * xStride, kEnd);
            }
        }
    }

    /** Weight vector v's first element in the packed array: its panel's offset plus its lane offset in the panel. */
    private static int base(CompactMatrix w, int v) {
        int c = v * L;
        return c / PANEL * w.panelStride() + c % PANEL;
    }

    /** The F16 scales of weight vector v, group after group ({@code L} floats each), as floats into dst[at…]. */
    private static void decodeScales(CompactMatrix w, int v, float[] dst, int at) {
        int c = v * L;
        int from = c / PANEL * w.scalePanelStride() + c % PANEL;
        for (int g = 0; g < w.groups(); g++) {
            f16(w.scales, from + g * PANEL).intoArray(dst, at + g * L);
        }
    }

    /** The scales of weight vectors v0…v3 into dst[0…], dst[stride…], dst[2·stride…], dst[3·stride…]. */
    private static void decodeScales(CompactMatrix w, int v0, int v1, int v2, int v3, float[] dst, int stride) {
        for (int i = 0; i < 4; i++) {
            decodeScales(w, i == 0 ? v0 : i == 1 ? v1 : i == 2 ? v2 : v3, dst, i * stride);
        }
    }

    /**
     * {@code y[r, j]} for one output feature j past the last whole weight vector: the same chain as a vector lane
     * ({@code fma} over {@code k < kEnd} in order, the zero input of an odd size included).
     */
    private static float column(CompactMatrix w, int j, float[] x, int x0, int kEnd) {
        float acc = 0f;
        for (int k = 0; k < kEnd; k++) {
            acc = Math.fma(w.weight(j, k), x[x0 + k], acc);
        }
        return acc;
    }

    /** 8 rows × BF16 weight vectors at {@code b0}, {@code b1} (input pairs). */
    private static void tile8x2Bf16(int[] h, int b0, int b1, int kEnd, float[] x, int[] xr, float[] y, int[] yr,
                                   int c0, int c1) {
        int x0 = xr[0], x1 = xr[1], x2 = xr[2], x3 = xr[3], x4 = xr[4], x5 = xr[5], x6 = xr[6], x7 = xr[7];
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
                a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (int k = 0; k < kEnd; k += 2) {
            IntVector p0 = IntVector.fromArray(I, h, b0 + k * (PANEL / 2));
            IntVector p1 = IntVector.fromArray(I, h, b1 + k * (PANEL / 2));
            FloatVector w0 = bf16Even(p0);
            FloatVector w1 = bf16Even(p1);
            FloatVector u;
            u = FloatVector.broadcast(F, x[x0 + k]);
            a00 = w0.fma(u, a00);
            a01 = w1.fma(u, a01);
            u = FloatVector.broadcast(F, x[x1 + k]);
            a10 = w0.fma(u, a10);
            a11 = w1.fma(u, a11);
            u = FloatVector.broadcast(F, x[x2 + k]);
            a20 = w0.fma(u, a20);
            a21 = w1.fma(u, a21);
            u = FloatVector.broadcast(F, x[x3 + k]);
            a30 = w0.fma(u, a30);
            a31 = w1.fma(u, a31);
            u = FloatVector.broadcast(F, x[x4 + k]);
            a40 = w0.fma(u, a40);
            a41 = w1.fma(u, a41);
            u = FloatVector.broadcast(F, x[x5 + k]);
            a50 = w0.fma(u, a50);
            a51 = w1.fma(u, a51);
            u = FloatVector.broadcast(F, x[x6 + k]);
            a60 = w0.fma(u, a60);
            a61 = w1.fma(u, a61);
            u = FloatVector.broadcast(F, x[x7 + k]);
            a70 = w0.fma(u, a70);
            a71 = w1.fma(u, a71);
            w0 = bf16Odd(p0);
            w1 = bf16Odd(p1);
            int k1 = k + 1;
            u = FloatVector.broadcast(F, x[x0 + k1]);
            a00 = w0.fma(u, a00);
            a01 = w1.fma(u, a01);
            u = FloatVector.broadcast(F, x[x1 + k1]);
            a10 = w0.fma(u, a10);
            a11 = w1.fma(u, a11);
            u = FloatVector.broadcast(F, x[x2 + k1]);
            a20 = w0.fma(u, a20);
            a21 = w1.fma(u, a21);
            u = FloatVector.broadcast(F, x[x3 + k1]);
            a30 = w0.fma(u, a30);
            a31 = w1.fma(u, a31);
            u = FloatVector.broadcast(F, x[x4 + k1]);
            a40 = w0.fma(u, a40);
            a41 = w1.fma(u, a41);
            u = FloatVector.broadcast(F, x[x5 + k1]);
            a50 = w0.fma(u, a50);
            a51 = w1.fma(u, a51);
            u = FloatVector.broadcast(F, x[x6 + k1]);
            a60 = w0.fma(u, a60);
            a61 = w1.fma(u, a61);
            u = FloatVector.broadcast(F, x[x7 + k1]);
            a70 = w0.fma(u, a70);
            a71 = w1.fma(u, a71);
        }
        a00.intoArray(y, yr[0] + c0);
        a01.intoArray(y, yr[0] + c1);
        a10.intoArray(y, yr[1] + c0);
        a11.intoArray(y, yr[1] + c1);
        a20.intoArray(y, yr[2] + c0);
        a21.intoArray(y, yr[2] + c1);
        a30.intoArray(y, yr[3] + c0);
        a31.intoArray(y, yr[3] + c1);
        a40.intoArray(y, yr[4] + c0);
        a41.intoArray(y, yr[4] + c1);
        a50.intoArray(y, yr[5] + c0);
        a51.intoArray(y, yr[5] + c1);
        a60.intoArray(y, yr[6] + c0);
        a61.intoArray(y, yr[6] + c1);
        a70.intoArray(y, yr[7] + c0);
        a71.intoArray(y, yr[7] + c1);
    }

    /** 8 rows × F16 weight vectors at {@code b0}, {@code b1} (input pairs). */
    private static void tile8x2F16(int[] h, int b0, int b1, int kEnd, float[] x, int[] xr, float[] y, int[] yr,
                                   int c0, int c1) {
        int x0 = xr[0], x1 = xr[1], x2 = xr[2], x3 = xr[3], x4 = xr[4], x5 = xr[5], x6 = xr[6], x7 = xr[7];
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
                a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (int k = 0; k < kEnd; k += 2) {
            IntVector p0 = IntVector.fromArray(I, h, b0 + k * (PANEL / 2));
            IntVector p1 = IntVector.fromArray(I, h, b1 + k * (PANEL / 2));
            FloatVector w0 = f16Even(p0);
            FloatVector w1 = f16Even(p1);
            FloatVector u;
            u = FloatVector.broadcast(F, x[x0 + k]);
            a00 = w0.fma(u, a00);
            a01 = w1.fma(u, a01);
            u = FloatVector.broadcast(F, x[x1 + k]);
            a10 = w0.fma(u, a10);
            a11 = w1.fma(u, a11);
            u = FloatVector.broadcast(F, x[x2 + k]);
            a20 = w0.fma(u, a20);
            a21 = w1.fma(u, a21);
            u = FloatVector.broadcast(F, x[x3 + k]);
            a30 = w0.fma(u, a30);
            a31 = w1.fma(u, a31);
            u = FloatVector.broadcast(F, x[x4 + k]);
            a40 = w0.fma(u, a40);
            a41 = w1.fma(u, a41);
            u = FloatVector.broadcast(F, x[x5 + k]);
            a50 = w0.fma(u, a50);
            a51 = w1.fma(u, a51);
            u = FloatVector.broadcast(F, x[x6 + k]);
            a60 = w0.fma(u, a60);
            a61 = w1.fma(u, a61);
            u = FloatVector.broadcast(F, x[x7 + k]);
            a70 = w0.fma(u, a70);
            a71 = w1.fma(u, a71);
            w0 = f16Odd(p0);
            w1 = f16Odd(p1);
            int k1 = k + 1;
            u = FloatVector.broadcast(F, x[x0 + k1]);
            a00 = w0.fma(u, a00);
            a01 = w1.fma(u, a01);
            u = FloatVector.broadcast(F, x[x1 + k1]);
            a10 = w0.fma(u, a10);
            a11 = w1.fma(u, a11);
            u = FloatVector.broadcast(F, x[x2 + k1]);
            a20 = w0.fma(u, a20);
            a21 = w1.fma(u, a21);
            u = FloatVector.broadcast(F, x[x3 + k1]);
            a30 = w0.fma(u, a30);
            a31 = w1.fma(u, a31);
            u = FloatVector.broadcast(F, x[x4 + k1]);
            a40 = w0.fma(u, a40);
            a41 = w1.fma(u, a41);
            u = FloatVector.broadcast(F, x[x5 + k1]);
            a50 = w0.fma(u, a50);
            a51 = w1.fma(u, a51);
            u = FloatVector.broadcast(F, x[x6 + k1]);
            a60 = w0.fma(u, a60);
            a61 = w1.fma(u, a61);
            u = FloatVector.broadcast(F, x[x7 + k1]);
            a70 = w0.fma(u, a70);
            a71 = w1.fma(u, a71);
        }
        a00.intoArray(y, yr[0] + c0);
        a01.intoArray(y, yr[0] + c1);
        a10.intoArray(y, yr[1] + c0);
        a11.intoArray(y, yr[1] + c1);
        a20.intoArray(y, yr[2] + c0);
        a21.intoArray(y, yr[2] + c1);
        a30.intoArray(y, yr[3] + c0);
        a31.intoArray(y, yr[3] + c1);
        a40.intoArray(y, yr[4] + c0);
        a41.intoArray(y, yr[4] + c1);
        a50.intoArray(y, yr[5] + c0);
        a51.intoArray(y, yr[5] + c1);
        a60.intoArray(y, yr[6] + c0);
        a61.intoArray(y, yr[6] + c1);
        a70.intoArray(y, yr[7] + c0);
        a71.intoArray(y, yr[7] + c1);
    }

    /** 8 rows × INT4 weight vectors at {@code b0}, {@code b1} (input pairs), scales at sc[0…] and sc[s1…]. */
    private static void tile8x2Int4(byte[] q, int b0, int b1, float[] sc, int s1, int kEnd, float[] x, int[] xr,
                                    float[] y, int[] yr, int c0, int c1) {
        int x0 = xr[0], x1 = xr[1], x2 = xr[2], x3 = xr[3], x4 = xr[4], x5 = xr[5], x6 = xr[6], x7 = xr[7];
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
                a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (int k = 0; k < kEnd; k += 2) {
            ByteVector p0 = ByteVector.fromArray(B, q, b0 + k * (PANEL / 2));
            ByteVector p1 = ByteVector.fromArray(B, q, b1 + k * (PANEL / 2));
            FloatVector d0 = FloatVector.fromArray(F, sc, (k >>> 5) * L);
            FloatVector d1 = FloatVector.fromArray(F, sc, s1 + (k >>> 5) * L);
            FloatVector w0 = lowNibbles(p0).mul(d0);
            FloatVector w1 = lowNibbles(p1).mul(d1);
            FloatVector u;
            u = FloatVector.broadcast(F, x[x0 + k]);
            a00 = w0.fma(u, a00);
            a01 = w1.fma(u, a01);
            u = FloatVector.broadcast(F, x[x1 + k]);
            a10 = w0.fma(u, a10);
            a11 = w1.fma(u, a11);
            u = FloatVector.broadcast(F, x[x2 + k]);
            a20 = w0.fma(u, a20);
            a21 = w1.fma(u, a21);
            u = FloatVector.broadcast(F, x[x3 + k]);
            a30 = w0.fma(u, a30);
            a31 = w1.fma(u, a31);
            u = FloatVector.broadcast(F, x[x4 + k]);
            a40 = w0.fma(u, a40);
            a41 = w1.fma(u, a41);
            u = FloatVector.broadcast(F, x[x5 + k]);
            a50 = w0.fma(u, a50);
            a51 = w1.fma(u, a51);
            u = FloatVector.broadcast(F, x[x6 + k]);
            a60 = w0.fma(u, a60);
            a61 = w1.fma(u, a61);
            u = FloatVector.broadcast(F, x[x7 + k]);
            a70 = w0.fma(u, a70);
            a71 = w1.fma(u, a71);
            w0 = highNibbles(p0).mul(d0);
            w1 = highNibbles(p1).mul(d1);
            int k1 = k + 1;
            u = FloatVector.broadcast(F, x[x0 + k1]);
            a00 = w0.fma(u, a00);
            a01 = w1.fma(u, a01);
            u = FloatVector.broadcast(F, x[x1 + k1]);
            a10 = w0.fma(u, a10);
            a11 = w1.fma(u, a11);
            u = FloatVector.broadcast(F, x[x2 + k1]);
            a20 = w0.fma(u, a20);
            a21 = w1.fma(u, a21);
            u = FloatVector.broadcast(F, x[x3 + k1]);
            a30 = w0.fma(u, a30);
            a31 = w1.fma(u, a31);
            u = FloatVector.broadcast(F, x[x4 + k1]);
            a40 = w0.fma(u, a40);
            a41 = w1.fma(u, a41);
            u = FloatVector.broadcast(F, x[x5 + k1]);
            a50 = w0.fma(u, a50);
            a51 = w1.fma(u, a51);
            u = FloatVector.broadcast(F, x[x6 + k1]);
            a60 = w0.fma(u, a60);
            a61 = w1.fma(u, a61);
            u = FloatVector.broadcast(F, x[x7 + k1]);
            a70 = w0.fma(u, a70);
            a71 = w1.fma(u, a71);
        }
        a00.intoArray(y, yr[0] + c0);
        a01.intoArray(y, yr[0] + c1);
        a10.intoArray(y, yr[1] + c0);
        a11.intoArray(y, yr[1] + c1);
        a20.intoArray(y, yr[2] + c0);
        a21.intoArray(y, yr[2] + c1);
        a30.intoArray(y, yr[3] + c0);
        a31.intoArray(y, yr[3] + c1);
        a40.intoArray(y, yr[4] + c0);
        a41.intoArray(y, yr[4] + c1);
        a50.intoArray(y, yr[5] + c0);
        a51.intoArray(y, yr[5] + c1);
        a60.intoArray(y, yr[6] + c0);
        a61.intoArray(y, yr[6] + c1);
        a70.intoArray(y, yr[7] + c0);
        a71.intoArray(y, yr[7] + c1);
    }

    /** 8 rows × INT8 weight vectors at {@code b0}, {@code b1}, their scales at sc[0…] and sc[s1…]. */
    private static void tile8x2Int8(byte[] q, int b0, int b1, float[] sc, int s1, int kEnd, float[] x, int[] xr,
                                    float[] y, int[] yr, int c0, int c1) {
        int x0 = xr[0], x1 = xr[1], x2 = xr[2], x3 = xr[3], x4 = xr[4], x5 = xr[5], x6 = xr[6], x7 = xr[7];
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
                a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (int k = 0; k < kEnd; k++) {
            int g = (k >>> 5) * L;
            FloatVector w0 = i8(q, b0 + k * PANEL).mul(FloatVector.fromArray(F, sc, g));
            FloatVector w1 = i8(q, b1 + k * PANEL).mul(FloatVector.fromArray(F, sc, s1 + g));
            FloatVector u;
            u = FloatVector.broadcast(F, x[x0 + k]);
            a00 = w0.fma(u, a00);
            a01 = w1.fma(u, a01);
            u = FloatVector.broadcast(F, x[x1 + k]);
            a10 = w0.fma(u, a10);
            a11 = w1.fma(u, a11);
            u = FloatVector.broadcast(F, x[x2 + k]);
            a20 = w0.fma(u, a20);
            a21 = w1.fma(u, a21);
            u = FloatVector.broadcast(F, x[x3 + k]);
            a30 = w0.fma(u, a30);
            a31 = w1.fma(u, a31);
            u = FloatVector.broadcast(F, x[x4 + k]);
            a40 = w0.fma(u, a40);
            a41 = w1.fma(u, a41);
            u = FloatVector.broadcast(F, x[x5 + k]);
            a50 = w0.fma(u, a50);
            a51 = w1.fma(u, a51);
            u = FloatVector.broadcast(F, x[x6 + k]);
            a60 = w0.fma(u, a60);
            a61 = w1.fma(u, a61);
            u = FloatVector.broadcast(F, x[x7 + k]);
            a70 = w0.fma(u, a70);
            a71 = w1.fma(u, a71);
        }
        a00.intoArray(y, yr[0] + c0);
        a01.intoArray(y, yr[0] + c1);
        a10.intoArray(y, yr[1] + c0);
        a11.intoArray(y, yr[1] + c1);
        a20.intoArray(y, yr[2] + c0);
        a21.intoArray(y, yr[2] + c1);
        a30.intoArray(y, yr[3] + c0);
        a31.intoArray(y, yr[3] + c1);
        a40.intoArray(y, yr[4] + c0);
        a41.intoArray(y, yr[4] + c1);
        a50.intoArray(y, yr[5] + c0);
        a51.intoArray(y, yr[5] + c1);
        a60.intoArray(y, yr[6] + c0);
        a61.intoArray(y, yr[6] + c1);
        a70.intoArray(y, yr[7] + c0);
        a71.intoArray(y, yr[7] + c1);
    }

    /** One activation row against the BF16 weight vectors {@code [vFrom, vTo)}, four at a time. */
    private static void rowBf16(CompactMatrix w, int vFrom, int vTo, int kEnd, float[] x, int x0, float[] y,
                                int yOff) {
        int[] h = w.pairs;
        for (int v = vFrom; v < vTo; v += 4) {
            int v1 = Math.min(v + 1, vTo - 1);
            int v2 = Math.min(v + 2, vTo - 1);
            int v3 = Math.min(v + 3, vTo - 1);
            int b0 = base(w, v);
            int b1 = base(w, v1);
            int b2 = base(w, v2);
            int b3 = base(w, v3);
            int y0 = yOff + v * L;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int k = 0; k < kEnd; k += 2) {
                IntVector p0 = IntVector.fromArray(I, h, b0 + k * (PANEL / 2));
                IntVector p1 = IntVector.fromArray(I, h, b1 + k * (PANEL / 2));
                IntVector p2 = IntVector.fromArray(I, h, b2 + k * (PANEL / 2));
                IntVector p3 = IntVector.fromArray(I, h, b3 + k * (PANEL / 2));
                FloatVector u = FloatVector.broadcast(F, x[x0 + k]);
                a0 = bf16Even(p0).fma(u, a0);
                a1 = bf16Even(p1).fma(u, a1);
                a2 = bf16Even(p2).fma(u, a2);
                a3 = bf16Even(p3).fma(u, a3);
                u = FloatVector.broadcast(F, x[x0 + k + 1]);
                a0 = bf16Odd(p0).fma(u, a0);
                a1 = bf16Odd(p1).fma(u, a1);
                a2 = bf16Odd(p2).fma(u, a2);
                a3 = bf16Odd(p3).fma(u, a3);
            }
            a0.intoArray(y, y0);
            a1.intoArray(y, y0 + (v1 - v) * L);
            a2.intoArray(y, y0 + (v2 - v) * L);
            a3.intoArray(y, y0 + (v3 - v) * L);
        }
    }

    /**
     * One activation row against the F16 weight vectors {@code [vFrom, vTo)}, two at a time (four would pass C2's
     * node limit with this decoding and run with boxed vectors).
     */
    private static void rowF16(CompactMatrix w, int vFrom, int vTo, int kEnd, float[] x, int x0, float[] y,
                                int yOff) {
        int[] h = w.pairs;
        for (int v = vFrom; v < vTo; v += 2) {
            int v1 = Math.min(v + 1, vTo - 1);
            int b0 = base(w, v);
            int b1 = base(w, v1);
            int y0 = yOff + v * L;
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            for (int k = 0; k < kEnd; k += 2) {
                IntVector p0 = IntVector.fromArray(I, h, b0 + k * (PANEL / 2));
                IntVector p1 = IntVector.fromArray(I, h, b1 + k * (PANEL / 2));
                FloatVector u = FloatVector.broadcast(F, x[x0 + k]);
                a0 = f16Even(p0).fma(u, a0);
                a1 = f16Even(p1).fma(u, a1);
                u = FloatVector.broadcast(F, x[x0 + k + 1]);
                a0 = f16Odd(p0).fma(u, a0);
                a1 = f16Odd(p1).fma(u, a1);
            }
            a0.intoArray(y, y0);
            a1.intoArray(y, y0 + (v1 - v) * L);
        }
    }

    /**
     * One activation row against the INT4 weight vectors {@code [vFrom, vTo)}, two at a time (four would pass C2's
     * node limit with this decoding and run with boxed vectors).
     */
    private static void rowInt4(CompactMatrix w, int vFrom, int vTo, float[] sc, int ss, int kEnd, float[] x,
                                int x0, float[] y, int yOff) {
        byte[] q = w.quants;
        for (int v = vFrom; v < vTo; v += 2) {
            int v1 = Math.min(v + 1, vTo - 1);
            decodeScales(w, v, sc, 0);
            decodeScales(w, v1, sc, ss);
            int b0 = base(w, v);
            int b1 = base(w, v1);
            int y0 = yOff + v * L;
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            for (int k = 0; k < kEnd; k += 2) {
                ByteVector p0 = ByteVector.fromArray(B, q, b0 + k * (PANEL / 2));
                ByteVector p1 = ByteVector.fromArray(B, q, b1 + k * (PANEL / 2));
                int g = (k >>> 5) * L;
                FloatVector d0 = FloatVector.fromArray(F, sc, g);
                FloatVector d1 = FloatVector.fromArray(F, sc, ss + g);
                FloatVector u = FloatVector.broadcast(F, x[x0 + k]);
                a0 = lowNibbles(p0).mul(d0).fma(u, a0);
                a1 = lowNibbles(p1).mul(d1).fma(u, a1);
                u = FloatVector.broadcast(F, x[x0 + k + 1]);
                a0 = highNibbles(p0).mul(d0).fma(u, a0);
                a1 = highNibbles(p1).mul(d1).fma(u, a1);
            }
            a0.intoArray(y, y0);
            a1.intoArray(y, y0 + (v1 - v) * L);
        }
    }

    /** One activation row against the INT8 weight vectors {@code [vFrom, vTo)}, four at a time. */
    private static void rowInt8(CompactMatrix w, int vFrom, int vTo, float[] sc, int ss, int kEnd, float[] x,
                                int x0, float[] y, int yOff) {
        byte[] q = w.quants;
        for (int v = vFrom; v < vTo; v += 4) {
            int v1 = Math.min(v + 1, vTo - 1);
            int v2 = Math.min(v + 2, vTo - 1);
            int v3 = Math.min(v + 3, vTo - 1);
            decodeScales(w, v, v1, v2, v3, sc, ss);
            int b0 = base(w, v);
            int b1 = base(w, v1);
            int b2 = base(w, v2);
            int b3 = base(w, v3);
            int y0 = yOff + v * L;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int k = 0; k < kEnd; k++) {
                int g = (k >>> 5) * L;
                FloatVector u = FloatVector.broadcast(F, x[x0 + k]);
                a0 = i8(q, b0 + k * PANEL).mul(FloatVector.fromArray(F, sc, g)).fma(u, a0);
                a1 = i8(q, b1 + k * PANEL).mul(FloatVector.fromArray(F, sc, ss + g)).fma(u, a1);
                a2 = i8(q, b2 + k * PANEL).mul(FloatVector.fromArray(F, sc, 2 * ss + g)).fma(u, a2);
                a3 = i8(q, b3 + k * PANEL).mul(FloatVector.fromArray(F, sc, 3 * ss + g)).fma(u, a3);
            }
            a0.intoArray(y, y0);
            a1.intoArray(y, y0 + (v1 - v) * L);
            a2.intoArray(y, y0 + (v2 - v) * L);
            a3.intoArray(y, y0 + (v3 - v) * L);
        }
    }

    // ---- weight decoding (the formulas of CompactMatrix.weight / HalfFloats, on L lanes) ----

    /** BF16 weights of the even input of each pair (the low halves). */
    private static FloatVector bf16Even(IntVector p) {
        return p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** BF16 weights of the odd input of each pair (the high halves). */
    private static FloatVector bf16Odd(IntVector p) {
        return p.and(0xffff0000).reinterpretAsFloats();
    }

    /**
     * F16 weights of the even input of each pair: the half moved to the top (bits 16-31), shifted arithmetically
     * by 3 so that exponent and mantissa land in float position, the sign's copies cleared, times 2¹¹² (exact for
     * normal and subnormal halves, as {@link HalfFloats#halfToFloat}).
     */
    private static FloatVector f16Even(IntVector p) {
        return f16Odd(p.lanewise(VectorOperators.LSHL, 16));
    }

    /** F16 weights of the odd input of each pair (the high halves; see {@link #f16Even}). */
    private static FloatVector f16Odd(IntVector p) {
        return p.lanewise(VectorOperators.ASHR, 3).and(HALF_BITS).reinterpretAsFloats().mul(HALF_TO_FLOAT);
    }

    /** {@code L} F16 values (the scales) as floats. */
    private static FloatVector f16(short[] h, int off) {
        IntVector i = (IntVector) ShortVector.fromArray(S, h, off).convertShape(VectorOperators.S2I, I, 0);
        return f16Even(i);
    }

    private static FloatVector i8(byte[] q, int off) {
        return (FloatVector) ByteVector.fromArray(B, q, off).convertShape(VectorOperators.B2F, F, 0);
    }

    private static FloatVector lowNibbles(ByteVector b) {
        return (FloatVector) b.and((byte) 0x0f).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }

    private static FloatVector highNibbles(ByteVector b) {
        return (FloatVector) b.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0f).sub((byte) 8)
                .convertShape(VectorOperators.B2F, F, 0);
    }

    // ---- decode attention (over native memory) ----

    private static FloatVector load(ByteBuffer b, int at) {
        return FloatVector.fromByteBuffer(F, b, 4 * at, ByteOrder.nativeOrder());
    }

    @Override
    public void dots(ByteBuffer a, int aAt, ByteBuffer b, int bAt, int bStride, int n, int k, ByteBuffer c, int cAt) {
        int end = k - k % L;
        int j = 0;
        for (; j + 4 <= n; j += 4) {                    // four key rows at a time: four independent FMA chains
            int r0 = bAt + j * bStride;
            int r1 = r0 + bStride;
            int r2 = r1 + bStride;
            int r3 = r2 + bStride;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int i = 0; i < end; i += L) {
                FloatVector q = load(a, aAt + i);
                s0 = load(b, r0 + i).fma(q, s0);
                s1 = load(b, r1 + i).fma(q, s1);
                s2 = load(b, r2 + i).fma(q, s2);
                s3 = load(b, r3 + i).fma(q, s3);
            }
            c.putFloat(4 * (cAt + j), dotTail(a, aAt, b, r0, end, k, s0));
            c.putFloat(4 * (cAt + j + 1), dotTail(a, aAt, b, r1, end, k, s1));
            c.putFloat(4 * (cAt + j + 2), dotTail(a, aAt, b, r2, end, k, s2));
            c.putFloat(4 * (cAt + j + 3), dotTail(a, aAt, b, r3, end, k, s3));
        }
        for (; j < n; j++) {
            int r = bAt + j * bStride;
            FloatVector s0 = FloatVector.zero(F);
            for (int i = 0; i < end; i += L) {
                s0 = load(b, r + i).fma(load(a, aAt + i), s0);
            }
            c.putFloat(4 * (cAt + j), dotTail(a, aAt, b, r, end, k, s0));
        }
    }

    /** The lane sum of {@code acc} plus the scalar tail {@code [end, k)} of one dot product. */
    private static float dotTail(ByteBuffer a, int aAt, ByteBuffer b, int row, int end, int k, FloatVector acc) {
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (int i = end; i < k; i++) {
            s += b.getFloat(4 * (row + i)) * a.getFloat(4 * (aAt + i));
        }
        return s;
    }

    @Override
    public void weightedRows(ByteBuffer w, int wAt, ByteBuffer b, int bAt, int bStride, int t, int k, ByteBuffer c,
                             int cAt) {
        int end = k - k % L;
        for (int i = 0; i < end; i += L) {
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < t; j++) {
                s = load(b, bAt + j * bStride + i).fma(FloatVector.broadcast(F, w.getFloat(4 * (wAt + j))), s);
            }
            s.intoByteBuffer(c, 4 * (cAt + i), ByteOrder.nativeOrder());
        }
        for (int i = end; i < k; i++) {
            float s = 0;
            for (int j = 0; j < t; j++) {
                s += w.getFloat(4 * (wAt + j)) * b.getFloat(4 * (bAt + j * bStride + i));
            }
            c.putFloat(4 * (cAt + i), s);
        }
    }
}
