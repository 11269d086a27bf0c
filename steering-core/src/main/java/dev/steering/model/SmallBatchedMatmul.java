package dev.steering.model;

import dev.steering.model.compact.CompactKernels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * <p>Applies to rank-4 F32 products without a transposed left operand, whose operands have unit stride along their
 * last axis, with at most {@value #MAX_QUERIES} query rows and {@value #MAX_FMAS} multiply-adds (prefill stays
 * native); {@link #applies} says whether a call qualifies.
 */
final class SmallBatchedMatmul {
    /** Largest product (multiply-adds) computed here. */
    static final long MAX_FMAS = 1L << 24;
    /**
     * Most query rows per batch × head computed here: a decode step has one (a few with grouped-query attention);
     * a prefill's larger products ran faster in libnd4j.
     */
    static final long MAX_QUERIES = 8;

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
        return a.size(2) <= MAX_QUERIES && a.size(0) * a.size(1) * a.size(2) * k * n <= MAX_FMAS
                && addressable(a) && addressable(b);
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

    /** The whole data buffer of {@code x} in native byte order (indices in elements from its start). */
    private static ByteBuffer buffer(INDArray x) {
        return x.data().asNio().order(ByteOrder.nativeOrder());
    }
}
