package dev.steering.model.compact;

import java.nio.ByteBuffer;

/**
 * The pure-Java kernel, used when the Vector API module is absent. A block of output columns is decoded once and
 * transposed into per-thread arrays {@code t[k][c]} (one small array per input index); then each activation row
 * adds {@code x[r, k] · t[k]} into a row accumulator: an axpy over whole, zero-based arrays, the loop form HotSpot's
 * SuperWord pass turns into SIMD code (a dot product would not be vectorised: it would reorder a float sum, and
 * loops over offset slices of arrays were not vectorised either). So the weights are read once per call whatever
 * the row count, four rows sharing each load of {@code t[k]}.
 */
final class ScalarKernel implements ColumnKernel {
    /**
     * Columns per block: one size for every matrix, so the per-thread arrays are reused across matrices (they grow
     * only with the largest input size seen).
     */
    static final int BLOCK_COLUMNS = 64;

    /** Per-thread work arrays, grown on demand (never per call once warm). */
    private static final class Work {
        float[][] t = new float[0][];
        float[] row = new float[0];
        final float[][] acc = new float[4][0];
    }

    private final ThreadLocal<Work> work = ThreadLocal.withInitial(Work::new);

    @Override
    public int scratchFloats(CompactMatrix w, int rows) {
        return 0;
    }

    private Work work(int in) {
        Work wk = work.get();
        if (wk.t.length < in) {
            wk.t = new float[in][BLOCK_COLUMNS];
            wk.row = new float[in];
            for (int i = 0; i < 4; i++) {
                wk.acc[i] = new float[BLOCK_COLUMNS];
            }
        }
        return wk;
    }

    @Override
    public void columns(CompactMatrix w, float[] x, int xOff, int rows, float[] y, int yOff, int from, int to,
                        float[] unused) {
        int in = w.inFeatures();
        int out = w.outFeatures();
        int nbMax = BLOCK_COLUMNS;
        Work wk = work(in);
        float[][] t = wk.t;
        float[] row = wk.row;
        float[] acc0 = wk.acc[0], acc1 = wk.acc[1], acc2 = wk.acc[2], acc3 = wk.acc[3];
        for (int c0 = from; c0 < to; c0 += nbMax) {
            int nb = Math.min(nbMax, to - c0);
            for (int c = 0; c < nb; c++) {
                w.decodeRow(c0 + c, row, 0);
                for (int k = 0; k < in; k++) {
                    t[k][c] = row[k];
                }
            }
            for (int c = nb; c < nbMax; c++) {
                for (int k = 0; k < in; k++) {
                    t[k][c] = 0f; // a short last block: the padding columns add nothing
                }
            }
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                java.util.Arrays.fill(acc0, 0f);
                java.util.Arrays.fill(acc1, 0f);
                java.util.Arrays.fill(acc2, 0f);
                java.util.Arrays.fill(acc3, 0f);
                int xb = xOff + r * in;
                for (int k = 0; k < in; k++) {
                    axpy4(acc0, acc1, acc2, acc3, x[xb + k], x[xb + in + k], x[xb + 2 * in + k],
                            x[xb + 3 * in + k], t[k]);
                }
                store(acc0, y, yOff + r * out + c0, nb);
                store(acc1, y, yOff + (r + 1) * out + c0, nb);
                store(acc2, y, yOff + (r + 2) * out + c0, nb);
                store(acc3, y, yOff + (r + 3) * out + c0, nb);
            }
            for (; r < rows; r++) {
                java.util.Arrays.fill(acc0, 0f);
                int xb = xOff + r * in;
                for (int k = 0; k < in; k++) {
                    axpy(acc0, x[xb + k], t[k]);
                }
                store(acc0, y, yOff + r * out + c0, nb);
            }
        }
    }

    private static void axpy(float[] acc, float a, float[] v) {
        for (int c = 0; c < acc.length; c++) {
            acc[c] += a * v[c];
        }
    }

    private static void axpy4(float[] acc0, float[] acc1, float[] acc2, float[] acc3, float a0, float a1, float a2,
                              float a3, float[] v) {
        for (int c = 0; c < v.length; c++) {
            float wc = v[c];
            acc0[c] += a0 * wc;
            acc1[c] += a1 * wc;
            acc2[c] += a2 * wc;
            acc3[c] += a3 * wc;
        }
    }

    private static void store(float[] acc, float[] y, int at, int n) {
        System.arraycopy(acc, 0, y, at, n);
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public void dots(ByteBuffer a, int aAt, ByteBuffer b, int bAt, int bStride, int n, int k, ByteBuffer c, int cAt) {
        for (int j = 0; j < n; j++) {
            int row = bAt + j * bStride;
            float s = 0;
            for (int i = 0; i < k; i++) {
                s += a.getFloat(4 * (aAt + i)) * b.getFloat(4 * (row + i));
            }
            c.putFloat(4 * (cAt + j), s);
        }
    }

    @Override
    public void weightedRows(ByteBuffer w, int wAt, ByteBuffer b, int bAt, int bStride, int t, int k, ByteBuffer c,
                             int cAt) {
        for (int i = 0; i < k; i++) {
            float s = 0;
            for (int j = 0; j < t; j++) {
                s += w.getFloat(4 * (wAt + j)) * b.getFloat(4 * (bAt + j * bStride + i));
            }
            c.putFloat(4 * (cAt + i), s);
        }
    }
}
