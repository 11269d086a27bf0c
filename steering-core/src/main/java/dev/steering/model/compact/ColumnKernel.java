package dev.steering.model.compact;

/**
 * Computes the output columns {@code [from, to)} of {@code y[rows, out] = x[rows, in] · Wᵀ} (row-major x and y,
 * bounds already checked). Implementations keep no state, so one instance serves every thread.
 */
interface ColumnKernel {

    /**
     * @param scratch per-thread space of at least {@link #scratchFloats} floats
     */
    void columns(CompactMatrix w, float[] x, int xOff, int rows, float[] y, int yOff, int from, int to,
                 float[] scratch);

    /** Floats of scratch {@link #columns} needs for this matrix and row count. */
    int scratchFloats(CompactMatrix w, int rows);

    /** A short name for logs and benchmarks. */
    String name();
}
