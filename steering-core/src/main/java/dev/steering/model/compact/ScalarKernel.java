package dev.steering.model.compact;

/**
 * The pure-Java kernel, used when the Vector API module is absent. A block of output columns is decoded once into
 * scratch, transposed ({@code s[k·nb + c]}); then each activation row adds {@code x[r, k] · s[k, ·]} to its
 * contiguous slice of y — an axpy over contiguous arrays, which HotSpot's SuperWord pass turns into SIMD code (a
 * dot product would not be vectorised: it would reorder a float sum). So the weights are read once per call
 * whatever the row count.
 */
final class ScalarKernel implements ColumnKernel {
    /** Target scratch size of a column block (floats): about 256 KiB, an L2 share. */
    private static final int BLOCK_FLOATS = 64 * 1024;

    static int blockColumns(int in) {
        return Math.max(16, Math.min(256, BLOCK_FLOATS / in) & ~15);
    }

    @Override
    public int scratchFloats(CompactMatrix w, int rows) {
        int in = w.inFeatures();
        return blockColumns(in) * in + in;
    }

    @Override
    public void columns(CompactMatrix w, float[] x, int xOff, int rows, float[] y, int yOff, int from, int to,
                        float[] s) {
        int in = w.inFeatures();
        int out = w.outFeatures();
        int nbMax = blockColumns(in);
        int rowBuf = nbMax * in;
        for (int c0 = from; c0 < to; c0 += nbMax) {
            int nb = Math.min(nbMax, to - c0);
            for (int c = 0; c < nb; c++) {
                w.decodeRow(c0 + c, s, rowBuf);
                for (int k = 0; k < in; k++) {
                    s[k * nb + c] = s[rowBuf + k];
                }
            }
            for (int r = 0; r < rows; r++) {
                int yb = yOff + r * out + c0;
                int xb = xOff + r * in;
                java.util.Arrays.fill(y, yb, yb + nb, 0f);
                for (int k = 0; k < in; k++) {
                    float a = x[xb + k];
                    int sb = k * nb;
                    for (int c = 0; c < nb; c++) {
                        y[yb + c] += a * s[sb + c];
                    }
                }
            }
        }
    }

    @Override
    public String name() {
        return "java";
    }
}
