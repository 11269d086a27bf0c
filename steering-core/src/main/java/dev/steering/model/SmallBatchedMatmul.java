package dev.steering.model;

import dev.steering.model.compact.CompactKernels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The attention products of a decode step, {@code [b, h, s, d] × [b, h, t, d]ᵀ} and {@code [b, h, s, t] × [b, h, t,
 * d]}, in Java. libnd4j's batched matmul walks every element through generic index arithmetic (~1.5 GFLOP/s here,
 * ~1.7 ms per product at batch 32), and a decode step has two per layer; these loops read the strided views (the
 * permuted queries, the KV cache prefix) in place through {@link CompactKernels#dots} and {@link CompactKernels#weightedRows} (vectorised
 * when the Vector API kernel is loaded), with the batch × heads products split over the cores on the threads of
 * {@link CompactKernels#shares}, which stay awake between the products of a step (a parallel stream's pool thread
 * took 50-80 µs to wake for each of them).
 *
 * <p>A prefill's products (more than {@value #MAX_QUERIES} query rows) run per batch × head on Java arrays: the keys
 * (transposed) or values and blocks of {@value #QUERY_BLOCK} query rows are copied in, and {@link AttentionTiles}
 * computes four rows at a time in vector registers (libnd4j took ~4.5 ms for each of a batch-8 prefill's two
 * kinds of product, pythia-160m, 32 tokens).
 *
 * <p>Applies to rank-4 F32 products without a transposed left operand, whose operands have unit stride along their
 * last axis: with at most {@value #MAX_QUERIES} query rows and {@value #MAX_FMAS} multiply-adds, or more query rows
 * and keys × head size of at most {@value #MAX_KEYS_BY_DIM} when the Vector API tiles are loaded
 * ({@link AttentionTiles#vectorized}); {@link #applies} says whether a call qualifies.
 */
final class SmallBatchedMatmul {
    /** Largest product (multiply-adds) computed here. */
    static final long MAX_FMAS = 1L << 24;
    /**
     * Most query rows per batch × head computed here: a decode step has one (a few with grouped-query attention);
     * a prefill's larger products ran faster in libnd4j.
     */
    static final long MAX_QUERIES = 8;
    /** Query rows per block of a prefill product. */
    static final int QUERY_BLOCK = 64;
    /** Largest keys × head size (the copied keys or values of one batch × head) of a prefill product here. */
    static final long MAX_KEYS_BY_DIM = 1 << 22;

    private SmallBatchedMatmul() {
    }

    /** Whether {@code a × b} (b transposed if {@code transB}) can run here. */
    static boolean applies(INDArray a, INDArray b, boolean transA, boolean transB) {
        if (!JavaKernels.available() || transA || a.rank() != 4 || b.rank() != 4 || a.dataType() != DataType.FLOAT
                || b.dataType() != DataType.FLOAT || a.isEmpty() || b.isEmpty()
                || a.stride(3) != 1 || b.stride(3) != 1) {
            return false;
        }
        for (int i = 0; i < 2; i++) {
            if (a.size(i) != b.size(i)) {
                return false;                                       // no broadcasting of batch axes here
            }
        }
        long k = a.size(3);
        if ((transB ? b.size(3) : b.size(2)) != k) {
            return false;
        }
        long n = transB ? b.size(2) : b.size(3);
        boolean small = a.size(2) <= MAX_QUERIES && a.size(0) * a.size(1) * a.size(2) * k * n <= MAX_FMAS;
        boolean prefill = a.size(2) > MAX_QUERIES && k * n <= MAX_KEYS_BY_DIM && AttentionTiles.shared().vectorized();
        return (small || prefill) && addressable(a) && addressable(b);
    }

    /** Whether a byte buffer can span x's data (the kernels index it with ints). */
    private static boolean addressable(INDArray x) {
        return x.data().length() * x.data().getElementSize() < Integer.MAX_VALUE;
    }

    /** The result shape {@code [b, h, s, n]}. */
    static long[] outputShape(INDArray a, INDArray b, boolean transB) {
        return new long[]{a.size(0), a.size(1), a.size(2), transB ? b.size(2) : b.size(3)};
    }

    /** {@code c = a × b} (or {@code a × bᵀ}); {@code c} is a fresh row-major array of {@link #outputShape}. */
    static void run(INDArray a, INDArray b, boolean transB, INDArray c) {
        JavaKernels.checkBounds(a, b, c);
        long batch = a.size(0);
        long heads = a.size(1);
        long s = a.size(2);
        long k = a.size(3);
        long n = transB ? b.size(2) : b.size(3);
        long bk = transB ? b.size(3) : b.size(2);
        if (b.size(0) != batch || b.size(1) != heads || bk != k
                || !java.util.Arrays.equals(c.shape(), new long[]{batch, heads, s, n})) {
            throw new IllegalArgumentException("batched matmul of " + java.util.Arrays.toString(a.shape()) + " and "
                    + java.util.Arrays.toString(b.shape()) + (transB ? "ᵀ" : "") + " into "
                    + java.util.Arrays.toString(c.shape()));
        }
        if (s > MAX_QUERIES) {
            prefill(a, b, transB, c);
            return;
        }
        ByteBuffer da = buffer(a);
        ByteBuffer db = buffer(b);
        ByteBuffer dc = buffer(c);
        long[] sa = a.stride();
        long[] sb = b.stride();
        int rowB = Math.toIntExact(sb[2]);
        CompactKernels kernels = CompactKernels.shared();
        kernels.shares((int) (batch * heads), bh -> {
            long i0 = bh / heads;
            long i1 = bh % heads;
            int baseA = Math.toIntExact(a.offset() + i0 * sa[0] + i1 * sa[1]);
            int baseB = Math.toIntExact(b.offset() + i0 * sb[0] + i1 * sb[1]);
            int baseC = Math.toIntExact(c.offset() + (long) bh * s * n);
            for (int i = 0; i < s; i++) {
                int rowA = baseA + Math.toIntExact(i * sa[2]);
                if (transB) {                       // c[i, j] = a[i, :] · b[j, :]
                    kernels.dots(da, rowA, db, baseB, rowB, (int) n, (int) k, dc, baseC + (int) (i * n));
                } else {                            // c[i, :] = Σ_t a[i, t] · b[t, :]
                    kernels.weightedRows(da, rowA, db, baseB, rowB, (int) k, (int) n, dc, baseC + (int) (i * n));
                }
            }
        });
    }

    /** Per thread: a block of query rows, the keys (transposed) or values, a block of results. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    /**
     * A prefill's product (see the class comment): per batch × head, on the threads of {@link CompactKernels#shares};
     * the caller has checked shapes and bounds.
     */
    private static void prefill(INDArray a, INDArray b, boolean transB, INDArray c) {
        int heads = (int) a.size(1);
        int s = (int) a.size(2);
        int k = (int) a.size(3);
        int n = (int) (transB ? b.size(2) : b.size(3));
        int bk = (int) (transB ? b.size(3) : b.size(2));
        FloatBuffer fa = buffer(a).asFloatBuffer();
        FloatBuffer fb = buffer(b).asFloatBuffer();
        FloatBuffer fc = buffer(c).asFloatBuffer();
        long[] sa = a.stride();
        long[] sb = b.stride();
        AttentionTiles tiles = AttentionTiles.shared();
        CompactKernels.shared().shares((int) (a.size(0) * heads), bh -> {
            long i0 = bh / heads;
            long i1 = bh % heads;
            long baseA = a.offset() + i0 * sa[0] + i1 * sa[1];
            long baseB = b.offset() + i0 * sb[0] + i1 * sb[1];
            long baseC = c.offset() + (long) bh * s * n;
            int block = Math.min(s, QUERY_BLOCK);
            float[][] t = scratch(block * k, k * n, Math.max(block * n, transB ? n * k : 0));
            float[] rows = t[0];
            float[] other = t[1];
            float[] out = t[2];
            int rowB = bk;                                      // b's rows as read: [bk][n] contiguous
            int bRows = transB ? n : bk;                        // keys [n][k] (then transposed) or values [bk][n]
            int bWidth = transB ? k : n;
            copyRows(fb, baseB, sb[2], bRows, bWidth, transB ? out : other);
            if (transB) {                                       // kᵀ [k][n], through the result block's array
                float[] keys = out;
                if (keys.length < n * k) {
                    throw new IllegalStateException("scratch of " + keys.length + " for " + n + " keys");
                }
                for (int j = 0; j < n; j++) {
                    for (int x = 0; x < k; x++) {
                        other[x * n + j] = keys[j * k + x];
                    }
                }
            }
            for (int i = 0; i < s; i += block) {
                int m = Math.min(block, s - i);
                copyRows(fa, baseA + i * sa[2], sa[2], m, k, rows);
                if (transB) {
                    tiles.scores(rows, other, out, m, k, n);
                } else {
                    tiles.context(rows, other, out, m, rowB, n);
                }
                fc.put(Math.toIntExact(baseC + (long) i * n), out, 0, m * n);
            }
        });
    }

    /**
     * {@code rows} rows of {@code width} floats, {@code stride} apart from {@code at}, into {@code dst} (row-major):
     * one bulk copy when they are contiguous (a batch × head of an own array or of a cache prefix), else one per row.
     */
    private static void copyRows(FloatBuffer src, long at, long stride, int rows, int width, float[] dst) {
        if (stride == width || rows == 1) {
            src.get(Math.toIntExact(at), dst, 0, rows * width);
            return;
        }
        for (int r = 0; r < rows; r++) {
            src.get(Math.toIntExact(at + r * stride), dst, r * width, width);
        }
    }

    /** This thread's scratch arrays, grown to at least these sizes. */
    private static float[][] scratch(int rows, int other, int out) {
        float[][] t = SCRATCH.get();
        if (t[0].length < rows || t[1].length < other || t[2].length < out) {
            t = new float[][]{new float[Math.max(rows, t[0].length)], new float[Math.max(other, t[1].length)],
                    new float[Math.max(out, t[2].length)]};
            SCRATCH.set(t);
        }
        return t;
    }

    /** The whole data buffer of {@code x} in native byte order (indices in elements from its start). */
    private static ByteBuffer buffer(INDArray x) {
        return x.data().asNio().order(ByteOrder.nativeOrder());
    }
}
