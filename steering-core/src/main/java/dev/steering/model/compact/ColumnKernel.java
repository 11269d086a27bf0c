package dev.steering.model.compact;

import java.nio.ByteBuffer;

/**
 * Computes the output columns {@code [from, to)} of {@code y[rows, out] = x[rows, in] · Wᵀ} (row-major x and y,
 * bounds already checked), and the two vector primitives of a decode step's attention. Implementations keep no
 * state, so one instance serves every thread.
 */
interface ColumnKernel {

    /**
     * @param scratch per-thread space of at least {@link #scratchFloats} floats
     */
    void columns(CompactMatrix w, float[] x, int xOff, int rows, float[] y, int yOff, int from, int to,
                 float[] scratch);

    /** Floats of scratch {@link #columns} needs for this matrix and row count. */
    int scratchFloats(CompactMatrix w, int rows);

    /**
     * {@code c[cAt + j] = Σ_{i<k} a[aAt + i] · b[bAt + j·bStride + i]} for {@code j < n}: a query row against key
     * rows. Buffers in native byte order, indices in floats; the caller has checked the bounds.
     */
    void dots(ByteBuffer a, int aAt, ByteBuffer b, int bAt, int bStride, int n, int k, ByteBuffer c, int cAt);

    /**
     * {@code c[cAt + i] = Σ_{j<t} w[wAt + j] · b[bAt + j·bStride + i]} for {@code i < k}: attention weights times
     * value rows. Buffers in native byte order, indices in floats; the caller has checked the bounds.
     */
    void weightedRows(ByteBuffer w, int wAt, ByteBuffer b, int bAt, int bStride, int t, int k, ByteBuffer c,
                      int cAt);

    /** A short name for logs and benchmarks. */
    String name();
}
