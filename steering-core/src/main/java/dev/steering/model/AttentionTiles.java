package dev.steering.model;


/**
 * The inner loops of a prefill's attention products ({@link SmallBatchedMatmul} with more than a few query rows),
 * on Java arrays. Both are sums of FMAs in a fixed order per output element, whatever the tiling, the vector width
 * or the number of rows and keys, so a row's result depends on nothing else (batched = one by one, and left padding
 * adds zero-weight terms that change nothing):
 * <ul>
 *   <li>{@link #scores}: {@code c[i, j] = fma(q[i, d−1], kᵀ[d−1, j], … fma(q[i, 0], kᵀ[0, j], 0))};</li>
 *   <li>{@link #context}: {@code c[i, x] = fma(w[i, t−1], v[t−1, x], … fma(w[i, 0], v[0, x], 0))}, in key
 *   order.</li>
 * </ul>
 * The Vector API version ({@link VectorAttentionTiles}, when the vector kernels are loaded) computes four query rows
 * at a time in registers and gives the same bits as this scalar one ({@link Math#fma} rounds as a lane's FMA does).
 */
class AttentionTiles {
    private static final AttentionTiles KERNEL = choose();

    /** The tiles in use. */
    static AttentionTiles shared() {
        return KERNEL;
    }

    /** {@code c[i·t + j] = Σ_k q[i·d + k] · kt[k·t + j]} for {@code i < s}, {@code j < t}. */
    void scores(float[] q, float[] kt, float[] c, int s, int d, int t) {
        java.util.Arrays.fill(c, 0, s * t, 0f);
        for (int i = 0; i < s; i++) {
            for (int k = 0; k < d; k++) {
                float a = q[i * d + k];
                int row = k * t;
                int at = i * t;
                for (int j = 0; j < t; j++) {
                    c[at + j] = Math.fma(a, kt[row + j], c[at + j]);
                }
            }
        }
    }

    /** {@code c[i·d + x] = Σ_j w[i·t + j] · v[j·d + x]} for {@code i < s}, {@code x < d}, j in order. */
    void context(float[] w, float[] v, float[] c, int s, int t, int d) {
        java.util.Arrays.fill(c, 0, s * d, 0f);
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < t; j++) {
                float a = w[i * t + j];
                int row = j * d;
                int at = i * d;
                for (int x = 0; x < d; x++) {
                    c[at + x] = Math.fma(a, v[row + x], c[at + x]);
                }
            }
        }
    }

    /**
     * Whether these are the Vector API tiles. The scalar loops' FMAs do not vectorise (a prefill's products took
     * ~10x libnd4j's time with them), so without the Vector API a prefill's products stay with libnd4j.
     */
    boolean vectorized() {
        return false;
    }

    /** A short name ({@code scalar}, {@code vector-api-512bit}, ...). */
    String name() {
        return "scalar";
    }

    private static AttentionTiles choose() {
        return JavaKernels.vectorOr(AttentionTiles.class, "VectorAttentionTiles", new AttentionTiles());
    }
}
