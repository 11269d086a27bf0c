package dev.steering.model;

import java.nio.FloatBuffer;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;

/**
 * The two reductions over the last axis that every forward graph runs per layer, in Java: attention's
 * {@code softmax} and LayerNorm's {@code moments} (mean and biased variance). libnd4j's ops cost 70-100 µs of
 * fixed overhead per call (a decode step's arrays are tiny) and ran at ~1.3 ns per element on a prefill's scores.
 * Rows are independent and each is computed by itself in a fixed order, so a row's result does not depend on the
 * other rows, on how many there are, or on the split over the cores ({@link JavaKernels#inChunks}).
 *
 * <ul>
 *   <li>softmax: {@code e = exp(x − max)} by {@link FastExp} (within 2 ulps), the sum of a row in double (four
 *   interleaved partial sums, in a fixed order), {@code e / sum} in F32: within 3 ulps of the exact softmax of the
 *   F32 differences {@code x − max} (whose rounding, in any F32 softmax, adds up to {@code |x − max|·2⁻²⁴}
 *   relative). Like libnd4j, a row holding NaN
 *   or +∞, or only −∞, gives NaN throughout; −∞ elements of other rows give 0.</li>
 *   <li>moments: two passes in double (the mean, then the mean squared deviation from it), each rounded once to
 *   F32: the mean within an ulp of the exact one, the variance within an ulp of the double-precision one (libnd4j
 *   accumulates in F32).</li>
 * </ul>
 * Inputs are F32 row-major arrays of rank 1 to 4 (views of a buffer's prefix too, see {@link JavaKernels#suits}).
 */
final class RowKernels {
    /** Floats per block of rows read into a Java array (whole rows; a longer row is a block by itself). */
    private static final int BLOCK = 4096;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][BLOCK]);

    private RowKernels() {
    }

    /** The reduction an op is, if it runs here. */
    enum Kind { SOFTMAX, MOMENTS }

    /**
     * {@link Kind#SOFTMAX} for {@code softmax} along the last axis (given as {@code -1} or {@code rank − 1}),
     * {@link Kind#MOMENTS} for {@code moments} along it (its only input the array, {@code keepDims} its one boolean
     * argument); else null. Whether the axis is
     * the last one is checked again per call ({@link #lastAxis}).
     */
    static Kind kindOf(DifferentialFunction op, int inputs, int outputs) {
        if (!JavaKernels.available() || !(op instanceof DynamicCustomOp c) || inputs != 1 || c.iArgs().length != 1) {
            return null;
        }
        return switch (op.opName()) {
            case "softmax" -> outputs == 1 ? Kind.SOFTMAX : null;
            case "moments" -> outputs == 2 && c.bArgs().length == 1 && c.tArgs().length == 0 ? Kind.MOMENTS : null;
            default -> null;
        };
    }

    /** Whether {@code op}'s (single) axis is the last axis of {@code x}, an array the kernels read. */
    static boolean lastAxis(DifferentialFunction op, INDArray x) {
        long axis = ((DynamicCustomOp) op).iArgs()[0];
        return JavaKernels.suits(x) && x.rank() >= 1 && (axis == -1 || axis == x.rank() - 1)
                && x.length() < Integer.MAX_VALUE;
    }

    /** Whether a {@code moments} op keeps the reduced axis (as length 1): its one boolean argument. */
    static boolean keepDims(DifferentialFunction op) {
        return ((DynamicCustomOp) op).bArgs()[0];
    }

    /** The shape of moments' outputs for {@code x}: its shape with the last axis 1 (kept) or dropped. */
    static long[] momentsShape(INDArray x, boolean keepDims) {
        long[] s = x.shape().clone();                      // (shape() may be the array's own)
        if (keepDims) {
            s[s.length - 1] = 1;
            return s;
        }
        return java.util.Arrays.copyOf(s, s.length - 1);
    }

    /** {@code out = softmax(x)} along the last axis; out is a row-major F32 array of x's shape. */
    static void softmax(INDArray x, INDArray out) {
        JavaKernels.checkBounds(x, out);
        if (!JavaKernels.suits(x) || !JavaKernels.suits(out) || !java.util.Arrays.equals(x.shape(), out.shape())) {
            throw new IllegalArgumentException("softmax of " + java.util.Arrays.toString(x.shape()) + " into "
                    + java.util.Arrays.toString(out.shape()));
        }
        int n = Math.toIntExact(x.size(-1));
        FloatBuffer src = x.data().asNioFloat();
        FloatBuffer dst = out.data().asNioFloat();
        overRows(x.length() / n, n, (r0, r1) -> {
            int len = (r1 - r0) * n;
            float[][] t = scratch(len);
            float[] v = t[0];
            float[] e = t[1];
            src.get(r0 * n, v, 0, len);
            FastExp.Block loops = FastExp.loops();
            for (int at = 0; at < len; at += n) {
                loops.subtractMax(v, at, n);
            }
            loops.exp(v, e, len);
            for (int at = 0; at < len; at += n) {
                loops.divide(e, at, n, (float) sum(e, at, n));
            }
            dst.put(r0 * n, e, 0, len);
        });
    }

    /**
     * {@code mean} and {@code variance} (biased: the mean squared deviation) of each row of {@code x} along its
     * last axis, into row-major F32 arrays of one element per row (of {@link #momentsShape}).
     */
    static void moments(INDArray x, INDArray mean, INDArray variance) {
        JavaKernels.checkBounds(x, mean, variance);
        int n = Math.toIntExact(x.size(-1));
        long rows = x.length() / n;
        if (!JavaKernels.suits(x) || !JavaKernels.suits(mean) || !JavaKernels.suits(variance)
                || mean.length() != rows || variance.length() != rows) {
            throw new IllegalArgumentException("moments of " + java.util.Arrays.toString(x.shape()) + " into "
                    + java.util.Arrays.toString(mean.shape()) + " and " + java.util.Arrays.toString(variance.shape()));
        }
        FloatBuffer src = x.data().asNioFloat();
        FloatBuffer dm = mean.data().asNioFloat();
        FloatBuffer dv = variance.data().asNioFloat();
        overRows(rows, n, (r0, r1) -> {
            int len = (r1 - r0) * n;
            float[] v = scratch(len)[0];
            src.get(r0 * n, v, 0, len);
            for (int r = r0; r < r1; r++) {
                int at = (r - r0) * n;
                double m = sum(v, at, n) / n;
                dm.put(r, (float) m);
                dv.put(r, (float) (squares(v, at, n, m) / n));
            }
        });
    }

    /**
     * {@code Σ v[j]} over {@code v[at … at+n−1]} in double, in four interleaved partial sums (so the adds overlap)
     * added in a fixed order.
     */
    private static double sum(float[] v, int at, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = at;
        for (int end = at + n - n % 4; j < end; j += 4) {
            s0 += v[j];
            s1 += v[j + 1];
            s2 += v[j + 2];
            s3 += v[j + 3];
        }
        for (; j < at + n; j++) {
            s0 += v[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** {@code Σ (v[j] − m)²} over {@code v[at … at+n−1]}, as {@link #sum} adds. */
    private static double squares(float[] v, int at, int n, double m) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = at;
        for (int end = at + n - n % 4; j < end; j += 4) {
            double d0 = v[j] - m;
            double d1 = v[j + 1] - m;
            double d2 = v[j + 2] - m;
            double d3 = v[j + 3] - m;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; j < at + n; j++) {
            double d = v[j] - m;
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** A block of whole rows {@code [r0, r1)}. */
    private interface RowBlock {
        void run(int r0, int r1);
    }

    /**
     * Runs {@code body} over blocks of whole rows (as many as fit in {@value #BLOCK} floats, at least one), the blocks
     * split over the cores for large arrays.
     */
    private static void overRows(long rows, int n, RowBlock body) {
        long perBlock = Math.max(1, BLOCK / n);
        long blocks = (rows + perBlock - 1) / perBlock;
        JavaKernels.inChunks(blocks, perBlock * n, (from, to) -> {
            for (long b = from; b < to; b++) {
                body.run((int) (b * perBlock), (int) Math.min(rows, (b + 1) * perBlock));
            }
        });
    }

    /** This thread's two scratch arrays of at least {@code len} floats. */
    private static float[][] scratch(int len) {
        float[][] t = SCRATCH.get();
        if (t[0].length < len) {
            t = new float[][]{new float[len], new float[len]};
            SCRATCH.set(t);
        }
        return t;
    }
}
