package dev.steering.model;

import dev.steering.model.compact.CompactKernels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The attention products of a decode step, {@code [b, h, s, d] × [b, h, t, d]ᵀ} and {@code [b, h, s, t] × [b, h, t,
 * d]}, in Java. libnd4j's batched matmul walks every element through generic index arithmetic (~1.5 GFLOP/s here,
 * ~1.7 ms per product at batch 32), and a decode step has two per layer; these loops read the strided views (the
 * permuted queries, the KV cache prefix) in place, with the batch × heads products split over the cores (on the threads of
 * {@link CompactKernels#shares}, which stay awake between the products of a step: a parallel stream's pool thread
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
        return a.size(2) <= MAX_QUERIES && a.size(0) * a.size(1) * a.size(2) * k * n <= MAX_FMAS;
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
        long pa = JavaKernels.address(a);
        long pb = JavaKernels.address(b);
        long pc = JavaKernels.address(c);
        long[] sa = a.stride();
        long[] sb = b.stride();
        CompactKernels.shared().shares((int) (batch * heads), bh -> {
            long i0 = bh / heads;
            long i1 = bh % heads;
            long baseA = pa + 4 * (i0 * sa[0] + i1 * sa[1]);
            long baseB = pb + 4 * (i0 * sb[0] + i1 * sb[1]);
            long baseC = pc + 4 * ((long) bh * s * n);
            for (long i = 0; i < s; i++) {
                long rowA = baseA + 4 * i * sa[2];
                long rowC = baseC + 4 * i * n;
                if (transB) {                       // c[i, j] = a[i, :] · b[j, :]
                    for (long j = 0; j < n; j++) {
                        JavaKernels.putFloat(rowC + 4 * j, dot(rowA, baseB + 4 * j * sb[2], k));
                    }
                } else {                            // c[i, :] = Σ_t a[i, t] · b[t, :]
                    for (long j = 0; j < n; j++) {
                        JavaKernels.putFloat(rowC + 4 * j, 0f);
                    }
                    for (long t = 0; t < k; t++) {
                        float w = JavaKernels.getFloat(rowA + 4 * t);
                        long rowB = baseB + 4 * t * sb[2];
                        for (long j = 0; j < n; j++) {
                            long at = rowC + 4 * j;
                            JavaKernels.putFloat(at, JavaKernels.getFloat(at)
                                    + w * JavaKernels.getFloat(rowB + 4 * j));
                        }
                    }
                }
            }
        });
    }

    /** {@code Σ x[i]·y[i]} over {@code len} contiguous floats, four partial sums for instruction-level parallelism. */
    private static float dot(long x, long y, long len) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        long i = 0;
        for (; i + 4 <= len; i += 4) {
            long ox = x + 4 * i;
            long oy = y + 4 * i;
            s0 += JavaKernels.getFloat(ox) * JavaKernels.getFloat(oy);
            s1 += JavaKernels.getFloat(ox + 4) * JavaKernels.getFloat(oy + 4);
            s2 += JavaKernels.getFloat(ox + 8) * JavaKernels.getFloat(oy + 8);
            s3 += JavaKernels.getFloat(ox + 12) * JavaKernels.getFloat(oy + 12);
        }
        for (; i < len; i++) {
            s0 += JavaKernels.getFloat(x + 4 * i) * JavaKernels.getFloat(y + 4 * i);
        }
        return (s0 + s1) + (s2 + s3);
    }
}
