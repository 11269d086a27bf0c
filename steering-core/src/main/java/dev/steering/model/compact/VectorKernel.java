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
 * that module is in the boot layer. F32 throughout: a block of output columns is decoded into scratch (F32 weights
 * in a Java array are used in place, those of a view copied) and register tiles run over it, 4 activation rows × 4 columns, then 1 row × 4 columns for the
 * rows left over (a batch-1 decode step), each with an FMA accumulator per (row, column) pair.
 *
 * <p>Up to {@value CompactKernels#DECODE_ROWS} rows (decode) the blocks are small (~32 KiB decoded, so the tiles read them from
 * L1) and the weights come from memory once per call. More rows (prefill): blocks of ~256 KiB (L2) and the input
 * dimension in blocks of at most {@value #KC_MAX}.
 */
final class VectorKernel implements ColumnKernel {
    private static final int GROUP = StorageType.GROUP;
    private static final VectorSpecies<Float> F = species(System.getProperty("steering.vector.bits", ""));
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final int BLOCK_FLOATS = 64 * 1024;
    private static final int DECODE_BLOCK_FLOATS = 8 * 1024;
    /** Largest input-dimension block of the prefill tiles (4 KiB per activation row). */
    private static final int KC_MAX = 1024;

    /**
     * The float species: the CPU's preferred one, or 256/512 bits when {@code -Dsteering.vector.bits} says so (for
     * testing the 8-lane code on a 16-lane CPU).
     */
    private static VectorSpecies<Float> species(String bits) {
        return switch (bits) {
            case "" -> FloatVector.SPECIES_PREFERRED;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("-Dsteering.vector.bits=" + bits + ": expected 256 or 512");
        };
    }

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

    /** Scratch: a decoded block of columns, then (INT8/INT4) the block's scales as floats. */
    @Override
    public int scratchFloats(CompactMatrix w, int rows) {
        if (w.f32 != null) {
            return 0;
        }
        int nb = rows <= CompactKernels.DECODE_ROWS ? decodeColumns(w.inFeatures()) : blockColumns(w.inFeatures());
        return nb * (w.inFeatures() + w.groups());
    }

    @Override
    public void columns(CompactMatrix w, float[] x, int xOff, int rows, float[] y, int yOff, int from, int to,
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
                int scalesAt = nb * in;
                if (w.type().grouped()) {
                    decodeScales(w, c0, nb, scratch, scalesAt);
                }
                for (int c = 0; c < nb; c++) {
                    decodeRow(w, c0 + c, scratch, c * in, scalesAt + c * w.groups());
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

    // ---- weight decoding (the formulas of CompactMatrix.decodeRow / HalfFloats, on L lanes) ----

    private static FloatVector bf16(short[] h, int off) {
        IntVector i = (IntVector) ShortVector.fromArray(S, h, off).convertShape(VectorOperators.S2I, I, 0);
        return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector f16(short[] h, int off) {
        IntVector i = (IntVector) ShortVector.fromArray(S, h, off).convertShape(VectorOperators.S2I, I, 0);
        FloatVector magnitude = i.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        return magnitude.reinterpretAsInts().or(i.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                .reinterpretAsFloats();
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
    /**
     * Decodes matrix row j into dst[off..off+in); one method per type, so C2 inlines the Vector API calls in each (a
     * single method over all types grew past the inlining limits and ran boxed, several times slower).
     */
    private static void decodeRow(CompactMatrix w, int j, float[] dst, int off, int scalesAt) {
        switch (w.type()) {
            case F32 -> w.copyF32Row(j, dst, off);
            case BF16 -> decodeBf16(w, j, dst, off);
            case F16 -> decodeF16(w, j, dst, off);
            case INT8 -> decodeInt8(w, j, dst, off, scalesAt);
            case INT4 -> decodeInt4(w, j, dst, off, scalesAt);
        }
    }

    /**
     * The F16 scales of rows {@code [j0, j0 + rows)} as floats into {@code dst[at…]} (row after row, {@code groups}
     * each): one vector conversion for the block instead of a scalar one per group.
     */
    private static void decodeScales(CompactMatrix w, int j0, int rows, float[] dst, int at) {
        int from = j0 * w.groups();
        int n = rows * w.groups();
        int end = n - n % L;
        for (int i = 0; i < end; i += L) {
            f16(w.scales, from + i).intoArray(dst, at + i);
        }
        for (int i = end; i < n; i++) {
            dst[at + i] = HalfFloats.halfToFloat(w.scales[from + i]);
        }
    }

    private static void decodeBf16(CompactMatrix w, int j, float[] dst, int off) {
        int in = w.inFeatures();
        int base = j * in;
        int end = in - in % L;
        for (int k = 0; k < end; k += L) {
            bf16(w.halves, base + k).intoArray(dst, off + k);
        }
        decodeTail(w, j, end, dst, off);
    }

    private static void decodeF16(CompactMatrix w, int j, float[] dst, int off) {
        int in = w.inFeatures();
        int base = j * in;
        int end = in - in % L;
        for (int k = 0; k < end; k += L) {
            f16(w.halves, base + k).intoArray(dst, off + k);
        }
        decodeTail(w, j, end, dst, off);
    }

    /** Row j of an INT8 matrix; its scales decoded at {@code dst[scalesAt…]}. */
    private static void decodeInt8(CompactMatrix w, int j, float[] dst, int off, int scalesAt) {
        int groups = w.groups();
        int full = w.inFeatures() / GROUP;
        for (int g = 0; g < full; g++) {
            float d = dst[scalesAt + g];
            int qb = (j * groups + g) * GROUP;
            int k0 = off + g * GROUP;
            for (int p = 0; p < GROUP; p += L) {
                i8(w.quants, qb + p).mul(d).intoArray(dst, k0 + p);
            }
        }
        decodeTail(w, j, full * GROUP, dst, off);
    }

    /** Row j of an INT4 matrix; its scales decoded at {@code dst[scalesAt…]}. */
    private static void decodeInt4(CompactMatrix w, int j, float[] dst, int off, int scalesAt) {
        int groups = w.groups();
        int full = w.inFeatures() / GROUP;
        for (int g = 0; g < full; g++) {
            float d = dst[scalesAt + g];
            int qb = (j * groups + g) * (GROUP / 2);
            int k0 = off + g * GROUP;
            for (int p = 0; p < GROUP / 2; p += L) {
                ByteVector b = ByteVector.fromArray(B, w.quants, qb + p);
                lowNibbles(b).mul(d).intoArray(dst, k0 + p);
                highNibbles(b).mul(d).intoArray(dst, k0 + GROUP / 2 + p);
            }
        }
        decodeTail(w, j, full * GROUP, dst, off);
    }

    /** The weights of row j from {@code from} on, one by one. */
    private static void decodeTail(CompactMatrix w, int j, int from, float[] dst, int off) {
        for (int k = from; k < w.inFeatures(); k++) {
            dst[off + k] = w.weight(j, k);
        }
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
