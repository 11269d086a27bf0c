package dev.steering.model.compact;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernel on the incubator Vector API ({@code jdk.incubator.vector}); loaded by {@link CompactKernels} only when
 * that module is in the boot layer. One FMA accumulator per (row, column) pair, F32 throughout.
 *
 * <p>Up to {@value #FUSED_MAX_ROWS} rows (decode): per output column the weights are decoded in registers and
 * multiplied with four activation rows at a time (then one at a time for the rest), so each column's weights come
 * from memory once and from L1 for the further row tiles. More rows (prefill): a block of columns is decoded into
 * scratch (F32 weights are used in place) and a 4-row × 2-column register tile runs over it.
 */
final class VectorKernel implements ColumnKernel {
    static final int FUSED_MAX_ROWS = 16;
    private static final int GROUP = StorageType.GROUP;
    private static final VectorSpecies<Float> F = species(System.getProperty("steering.vector.bits", ""));
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final int BLOCK_FLOATS = 64 * 1024;
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

    static int blockColumns(int in) {
        return Math.max(8, Math.min(256, BLOCK_FLOATS / in) & ~7);
    }

    @Override
    public int scratchFloats(CompactMatrix w, int rows) {
        return rows <= FUSED_MAX_ROWS || w.type() == StorageType.F32 ? 0 : blockColumns(w.inFeatures()) * w.inFeatures();
    }

    @Override
    public void columns(CompactMatrix w, float[] x, int xOff, int rows, float[] y, int yOff, int from, int to,
                        float[] scratch) {
        int in = w.inFeatures();
        int out = w.outFeatures();
        if (rows <= FUSED_MAX_ROWS) {
            for (int j = from; j < to; j++) {
                int r = 0;
                for (; r + 4 <= rows; r += 4) {
                    fused4(w, j, x, xOff + r * in, in, y, yOff + r * out + j, out);
                }
                for (; r < rows; r++) {
                    y[yOff + r * out + j] = fused1(w, j, x, xOff + r * in);
                }
            }
        } else {
            // column blocks of ~256 KiB of F32 weights, so that every row tile finds them in L2
            int nbMax = blockColumns(in);
            for (int c0 = from; c0 < to; c0 += nbMax) {
                int nb = Math.min(nbMax, to - c0);
                if (w.type() == StorageType.F32) {
                    tiles(w.f32, c0 * in, nb, in, x, xOff, rows, y, yOff + c0, out);
                } else {
                    for (int c = 0; c < nb; c++) {
                        decodeRow(w, c0 + c, scratch, c * in);
                    }
                    tiles(scratch, 0, nb, in, x, xOff, rows, y, yOff + c0, out);
                }
            }
        }
    }

    // ---- prefill: register tiles over F32 weights ----

    /**
     * y[r, c] for c < cols, r < rows, with weights row c at {@code w[wOff + c·in]}; y's column 0 at yOff. The input
     * dimension is split into equal blocks of at most {@value #KC_MAX}, so that a 4-row activation tile and a
     * column pair stay in L1 while the column pairs run over the tile (partial sums are added into y).
     */
    private static void tiles(float[] w, int wOff, int cols, int in, float[] x, int xOff, int rows, float[] y,
                              int yOff, int yStride) {
        int blocks = (in + KC_MAX - 1) / KC_MAX;
        int kc = ((in + blocks - 1) / blocks + L - 1) / L * L;
        for (int k0 = 0; k0 < in; k0 += kc) {
            int k1 = Math.min(in, k0 + kc);
            boolean add = k0 > 0;
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                int c = 0;
                for (; c + 2 <= cols; c += 2) {
                    tile4x2(w, wOff + c * in, in, k0, k1, x, xOff + r * in, y, yOff + r * yStride + c, yStride, add);
                }
                for (; c < cols; c++) {
                    for (int rr = r; rr < r + 4; rr++) {
                        store(y, yOff + rr * yStride + c, dot(w, wOff + c * in + k0, x, xOff + rr * in + k0, k1 - k0),
                                add);
                    }
                }
            }
            for (; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    store(y, yOff + r * yStride + c, dot(w, wOff + c * in + k0, x, xOff + r * in + k0, k1 - k0), add);
                }
            }
        }
    }

    private static void store(float[] y, int at, float v, boolean add) {
        y[at] = add ? y[at] + v : v;
    }

    private static void tile4x2(float[] w, int w0, int in, int k0, int k1, float[] x, int x0, float[] y, int y0,
                                int ys, boolean add) {
        int w1 = w0 + in;
        int x1 = x0 + in;
        int x2 = x1 + in;
        int x3 = x2 + in;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
                a31 = a00;
        int end = k1 - (k1 - k0) % L;
        for (int k = k0; k < end; k += L) {
            FloatVector v0 = FloatVector.fromArray(F, w, w0 + k);
            FloatVector v1 = FloatVector.fromArray(F, w, w1 + k);
            FloatVector u = FloatVector.fromArray(F, x, x0 + k);
            a00 = v0.fma(u, a00);
            a01 = v1.fma(u, a01);
            u = FloatVector.fromArray(F, x, x1 + k);
            a10 = v0.fma(u, a10);
            a11 = v1.fma(u, a11);
            u = FloatVector.fromArray(F, x, x2 + k);
            a20 = v0.fma(u, a20);
            a21 = v1.fma(u, a21);
            u = FloatVector.fromArray(F, x, x3 + k);
            a30 = v0.fma(u, a30);
            a31 = v1.fma(u, a31);
        }
        float s00 = a00.reduceLanes(VectorOperators.ADD), s01 = a01.reduceLanes(VectorOperators.ADD),
                s10 = a10.reduceLanes(VectorOperators.ADD), s11 = a11.reduceLanes(VectorOperators.ADD),
                s20 = a20.reduceLanes(VectorOperators.ADD), s21 = a21.reduceLanes(VectorOperators.ADD),
                s30 = a30.reduceLanes(VectorOperators.ADD), s31 = a31.reduceLanes(VectorOperators.ADD);
        for (int k = end; k < k1; k++) {
            float v0 = w[w0 + k], v1 = w[w1 + k];
            s00 += v0 * x[x0 + k];
            s01 += v1 * x[x0 + k];
            s10 += v0 * x[x1 + k];
            s11 += v1 * x[x1 + k];
            s20 += v0 * x[x2 + k];
            s21 += v1 * x[x2 + k];
            s30 += v0 * x[x3 + k];
            s31 += v1 * x[x3 + k];
        }
        store(y, y0, s00, add);
        store(y, y0 + 1, s01, add);
        store(y, y0 + ys, s10, add);
        store(y, y0 + ys + 1, s11, add);
        store(y, y0 + 2 * ys, s20, add);
        store(y, y0 + 2 * ys + 1, s21, add);
        store(y, y0 + 3 * ys, s30, add);
        store(y, y0 + 3 * ys + 1, s31, add);
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

    /** Decodes matrix row j into dst[off..off+in). */
    private static void decodeRow(CompactMatrix w, int j, float[] dst, int off) {
        int in = w.inFeatures();
        switch (w.type()) {
            case F32 -> System.arraycopy(w.f32, j * in, dst, off, in);
            case BF16, F16 -> {
                boolean bf = w.type() == StorageType.BF16;
                int base = j * in;
                int end = in - in % L;
                for (int k = 0; k < end; k += L) {
                    (bf ? bf16(w.halves, base + k) : f16(w.halves, base + k)).intoArray(dst, off + k);
                }
                for (int k = end; k < in; k++) {
                    dst[off + k] = w.weight(j, k);
                }
            }
            case INT8, INT4 -> {
                int groups = w.groups();
                int full = in / GROUP;
                boolean q8 = w.type() == StorageType.INT8;
                for (int g = 0; g < full; g++) {
                    float d = HalfFloats.halfToFloat(w.scales[j * groups + g]);
                    int k0 = off + g * GROUP;
                    if (q8) {
                        int qb = (j * groups + g) * GROUP;
                        for (int p = 0; p < GROUP; p += L) {
                            i8(w.quants, qb + p).mul(d).intoArray(dst, k0 + p);
                        }
                    } else {
                        int qb = (j * groups + g) * (GROUP / 2);
                        for (int p = 0; p < GROUP / 2; p += L) {
                            ByteVector b = ByteVector.fromArray(B, w.quants, qb + p);
                            lowNibbles(b).mul(d).intoArray(dst, k0 + p);
                            highNibbles(b).mul(d).intoArray(dst, k0 + GROUP / 2 + p);
                        }
                    }
                }
                for (int k = full * GROUP; k < in; k++) {
                    dst[off + k] = w.weight(j, k);
                }
            }
        }
    }

    // ---- decode: fused decoding and dot products ----

    /** y[y0 + r·ys] = Σ_k W[j, k] · x[x0 + r·in + k] for r < 4 (one small method per type, so C2 inlines the
     *  Vector API calls in each: a single method over all types grew past the inlining limits and ran boxed). */
    private static void fused4(CompactMatrix w, int j, float[] x, int x0, int in, float[] y, int y0, int ys) {
        switch (w.type()) {
            case F32 -> f32x4(w, j, x, x0, in, y, y0, ys);
            case BF16 -> bf16x4(w, j, x, x0, in, y, y0, ys);
            case F16 -> f16x4(w, j, x, x0, in, y, y0, ys);
            case INT8 -> i8x4(w, j, x, x0, in, y, y0, ys);
            case INT4 -> i4x4(w, j, x, x0, in, y, y0, ys);
        }
    }

    /** Σ_k W[j, k] · x[x0 + k]. */
    private static float fused1(CompactMatrix w, int j, float[] x, int x0) {
        return switch (w.type()) {
            case F32 -> dot(w.f32, j * w.inFeatures(), x, x0, w.inFeatures());
            case BF16 -> bf16x1(w, j, x, x0);
            case F16 -> f16x1(w, j, x, x0);
            case INT8 -> i8x1(w, j, x, x0);
            case INT4 -> i4x1(w, j, x, x0);
        };
    }

    private static void f32x4(CompactMatrix w, int j, float[] x, int x0, int in, float[] y, int y0, int ys) {
        int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int end = in - in % L;
        int base = j * in;
        for (int k = 0; k < end; k += L) {
            FloatVector v = FloatVector.fromArray(F, w.f32, base + k);
            a0 = v.fma(FloatVector.fromArray(F, x, x0 + k), a0);
            a1 = v.fma(FloatVector.fromArray(F, x, x1 + k), a1);
            a2 = v.fma(FloatVector.fromArray(F, x, x2 + k), a2);
            a3 = v.fma(FloatVector.fromArray(F, x, x3 + k), a3);
        }
        finish4(w, j, end, x, x0, in, y, y0, ys, a0, a1, a2, a3);
    }

    private static void bf16x4(CompactMatrix w, int j, float[] x, int x0, int in, float[] y, int y0, int ys) {
        int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int end = in - in % L;
        int base = j * in;
        for (int k = 0; k < end; k += L) {
            FloatVector v = bf16(w.halves, base + k);
            a0 = v.fma(FloatVector.fromArray(F, x, x0 + k), a0);
            a1 = v.fma(FloatVector.fromArray(F, x, x1 + k), a1);
            a2 = v.fma(FloatVector.fromArray(F, x, x2 + k), a2);
            a3 = v.fma(FloatVector.fromArray(F, x, x3 + k), a3);
        }
        finish4(w, j, end, x, x0, in, y, y0, ys, a0, a1, a2, a3);
    }

    private static void f16x4(CompactMatrix w, int j, float[] x, int x0, int in, float[] y, int y0, int ys) {
        int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int end = in - in % L;
        int base = j * in;
        for (int k = 0; k < end; k += L) {
            FloatVector v = f16(w.halves, base + k);
            a0 = v.fma(FloatVector.fromArray(F, x, x0 + k), a0);
            a1 = v.fma(FloatVector.fromArray(F, x, x1 + k), a1);
            a2 = v.fma(FloatVector.fromArray(F, x, x2 + k), a2);
            a3 = v.fma(FloatVector.fromArray(F, x, x3 + k), a3);
        }
        finish4(w, j, end, x, x0, in, y, y0, ys, a0, a1, a2, a3);
    }

    private static void i8x4(CompactMatrix w, int j, float[] x, int x0, int in, float[] y, int y0, int ys) {
        int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int groups = w.groups();
        int full = in / GROUP;
        for (int g = 0; g < full; g++) {
            float d = HalfFloats.halfToFloat(w.scales[j * groups + g]);
            int qb = (j * groups + g) * GROUP;
            int k0 = g * GROUP;
            for (int p = 0; p < GROUP; p += L) {
                FloatVector v = i8(w.quants, qb + p).mul(d);
                int k = k0 + p;
                a0 = v.fma(FloatVector.fromArray(F, x, x0 + k), a0);
                a1 = v.fma(FloatVector.fromArray(F, x, x1 + k), a1);
                a2 = v.fma(FloatVector.fromArray(F, x, x2 + k), a2);
                a3 = v.fma(FloatVector.fromArray(F, x, x3 + k), a3);
            }
        }
        finish4(w, j, full * GROUP, x, x0, in, y, y0, ys, a0, a1, a2, a3);
    }

    private static void i4x4(CompactMatrix w, int j, float[] x, int x0, int in, float[] y, int y0, int ys) {
        int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int groups = w.groups();
        int full = in / GROUP;
        for (int g = 0; g < full; g++) {
            float d = HalfFloats.halfToFloat(w.scales[j * groups + g]);
            int qb = (j * groups + g) * (GROUP / 2);
            int k0 = g * GROUP;
            for (int p = 0; p < GROUP / 2; p += L) {
                ByteVector b = ByteVector.fromArray(B, w.quants, qb + p);
                FloatVector v = lowNibbles(b).mul(d);
                int k = k0 + p;
                a0 = v.fma(FloatVector.fromArray(F, x, x0 + k), a0);
                a1 = v.fma(FloatVector.fromArray(F, x, x1 + k), a1);
                a2 = v.fma(FloatVector.fromArray(F, x, x2 + k), a2);
                a3 = v.fma(FloatVector.fromArray(F, x, x3 + k), a3);
                v = highNibbles(b).mul(d);
                k += GROUP / 2;
                a0 = v.fma(FloatVector.fromArray(F, x, x0 + k), a0);
                a1 = v.fma(FloatVector.fromArray(F, x, x1 + k), a1);
                a2 = v.fma(FloatVector.fromArray(F, x, x2 + k), a2);
                a3 = v.fma(FloatVector.fromArray(F, x, x3 + k), a3);
            }
        }
        finish4(w, j, full * GROUP, x, x0, in, y, y0, ys, a0, a1, a2, a3);
    }

    /** Reduces the four accumulators, adds the scalar tail from {@code end} and stores. */
    private static void finish4(CompactMatrix w, int j, int end, float[] x, int x0, int in, float[] y, int y0, int ys,
                                FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD),
                s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (int k = end; k < in; k++) {
            float v = w.weight(j, k);
            s0 += v * x[x0 + k];
            s1 += v * x[x0 + in + k];
            s2 += v * x[x0 + 2 * in + k];
            s3 += v * x[x0 + 3 * in + k];
        }
        y[y0] = s0;
        y[y0 + ys] = s1;
        y[y0 + 2 * ys] = s2;
        y[y0 + 3 * ys] = s3;
    }

    private static float bf16x1(CompactMatrix w, int j, float[] x, int x0) {
        int in = w.inFeatures();
        FloatVector a = FloatVector.zero(F);
        int end = in - in % L;
        for (int k = 0, base = j * in; k < end; k += L) {
            a = bf16(w.halves, base + k).fma(FloatVector.fromArray(F, x, x0 + k), a);
        }
        return finish1(w, j, end, x, x0, a);
    }

    private static float f16x1(CompactMatrix w, int j, float[] x, int x0) {
        int in = w.inFeatures();
        FloatVector a = FloatVector.zero(F);
        int end = in - in % L;
        for (int k = 0, base = j * in; k < end; k += L) {
            a = f16(w.halves, base + k).fma(FloatVector.fromArray(F, x, x0 + k), a);
        }
        return finish1(w, j, end, x, x0, a);
    }

    private static float i8x1(CompactMatrix w, int j, float[] x, int x0) {
        int groups = w.groups();
        int full = w.inFeatures() / GROUP;
        FloatVector a = FloatVector.zero(F);
        for (int g = 0; g < full; g++) {
            int qb = (j * groups + g) * GROUP;
            FloatVector ga = FloatVector.zero(F);
            for (int p = 0; p < GROUP; p += L) {
                ga = i8(w.quants, qb + p).fma(FloatVector.fromArray(F, x, x0 + g * GROUP + p), ga);
            }
            a = ga.fma(FloatVector.broadcast(F, HalfFloats.halfToFloat(w.scales[j * groups + g])), a);
        }
        return finish1(w, j, full * GROUP, x, x0, a);
    }

    private static float i4x1(CompactMatrix w, int j, float[] x, int x0) {
        int groups = w.groups();
        int full = w.inFeatures() / GROUP;
        FloatVector a = FloatVector.zero(F);
        for (int g = 0; g < full; g++) {
            int qb = (j * groups + g) * (GROUP / 2);
            FloatVector ga = FloatVector.zero(F);
            for (int p = 0; p < GROUP / 2; p += L) {
                ByteVector b = ByteVector.fromArray(B, w.quants, qb + p);
                int k = x0 + g * GROUP + p;
                ga = lowNibbles(b).fma(FloatVector.fromArray(F, x, k), ga);
                ga = highNibbles(b).fma(FloatVector.fromArray(F, x, k + GROUP / 2), ga);
            }
            a = ga.fma(FloatVector.broadcast(F, HalfFloats.halfToFloat(w.scales[j * groups + g])), a);
        }
        return finish1(w, j, full * GROUP, x, x0, a);
    }

    private static float finish1(CompactMatrix w, int j, int end, float[] x, int x0, FloatVector a) {
        float s = a.reduceLanes(VectorOperators.ADD);
        for (int k = end; k < w.inFeatures(); k++) {
            s += w.weight(j, k) * x[x0 + k];
        }
        return s;
    }
}
