package dev.steering.model;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link RowKernels}: softmax and moments over the last axis against double-precision references and libnd4j. */
class RowKernelsTest {
    /** A decode step's scores, a prefill's, rows longer than a block, and rank 1 and 2. */
    private static final long[][] SHAPES = {{8, 12, 1, 33}, {8, 12, 32, 32}, {3, 5000}, {7}, {256, 768}, {2, 1, 5, 9}};

    /**
     * Within 3 ulps of the exact softmax of the F32 differences {@code x − max} (the subtraction any F32 softmax
     * makes, libnd4j's too; its rounding adds a relative error up to {@code |x − max|·2⁻²⁴}).
     */
    @Test
    void softmaxIsWithinThreeUlpsOfTheExactOne() {
        Nd4j.getRandom().setSeed(11);
        for (long[] shape : SHAPES) {
            INDArray x = Nd4j.randn(DataType.FLOAT, shape).muli(8);
            INDArray out = Nd4j.create(DataType.FLOAT, shape);
            RowKernels.softmax(x, out);
            float[] xs = x.data().asFloat();
            float[] got = out.data().asFloat();
            int n = (int) shape[shape.length - 1];
            double worst = 0;
            for (int at = 0; at < xs.length; at += n) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = at; j < at + n; j++) {
                    max = Math.max(max, xs[j]);
                }
                double sum = 0;
                for (int j = at; j < at + n; j++) {
                    sum += Math.exp((float) (xs[j] - max));
                }
                for (int j = at; j < at + n; j++) {
                    double want = Math.exp((float) (xs[j] - max)) / sum;
                    float w = (float) want;
                    if (w >= Float.MIN_NORMAL) {
                        worst = Math.max(worst, Math.abs(got[j] - want) / Math.ulp(w));
                    } else {
                        assertTrue(Math.abs(got[j] - want) <= Float.MIN_NORMAL, "tiny weight at " + j);
                    }
                }
            }
            assertTrue(worst <= 3, java.util.Arrays.toString(shape) + ": " + worst + " ulps");
            INDArray nd = Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax(x, x.ulike(), -1))[0];
            float[] lib = nd.data().asFloat();
            for (int i = 0; i < lib.length; i++) {                 // libnd4j sums in F32: a looser bound
                assertEquals(lib[i], got[i], 1e-5 * lib[i] + 1e-9, "libnd4j's softmax " + java.util.Arrays.toString(shape));
            }
        }
    }

    /** Masked (−∞) scores give 0; a row with only −∞, or a NaN or +∞, gives NaN throughout, as libnd4j's does. */
    @Test
    void softmaxTreatsInfinitiesAndNaNAsLibnd4jDoes() {
        float ni = Float.NEGATIVE_INFINITY;
        INDArray x = Nd4j.createFromArray(new float[][]{{ni, ni, ni, ni, ni}, {1, ni, 2, ni, 3},
                {-1e9f, -1e9f, 0, 1, 2}, {Float.NaN, 1, 2, 3, 4}, {Float.POSITIVE_INFINITY, 1, 2, 3, 4},
                {-1e9f, -1e9f, -1e9f, -1e9f, -1e9f}});
        INDArray out = x.ulike();
        RowKernels.softmax(x, out);
        INDArray nd = Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax(x, x.ulike(), -1))[0];
        for (int r = 0; r < x.rows(); r++) {
            for (int j = 0; j < 5; j++) {
                float want = nd.getFloat(r, j);
                float got = out.getFloat(r, j);
                assertEquals(Float.isNaN(want), Float.isNaN(got), "NaN at " + r + "," + j);
                if (!Float.isNaN(want)) {
                    assertEquals(want, got, 1e-6, "at " + r + "," + j);
                }
            }
        }
        assertEquals(0f, out.getFloat(1, 1));
        assertEquals(0.2f, out.getFloat(5, 0), 1e-7);
    }

    /** A row's result is the same whatever rows surround it and however many there are (batched = one by one). */
    @Test
    void rowsDoNotDependOnTheOtherRows() {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.randn(DataType.FLOAT, 256, 768);
        INDArray all = x.ulike();
        RowKernels.softmax(x, all);
        INDArray mean = Nd4j.create(DataType.FLOAT, 256, 1);
        INDArray var = Nd4j.create(DataType.FLOAT, 256, 1);
        RowKernels.moments(x, mean, var);
        for (int r : new int[]{0, 5, 255}) {
            INDArray one = x.getRow(r).dup().reshape(1, 768);
            INDArray o = one.ulike();
            RowKernels.softmax(one, o);
            assertArrayEquals(all.getRow(r).dup().data().asFloat(), o.data().asFloat(), 0f, "softmax row " + r);
            INDArray m = Nd4j.create(DataType.FLOAT, 1, 1);
            INDArray v = Nd4j.create(DataType.FLOAT, 1, 1);
            RowKernels.moments(one, m, v);
            assertEquals(mean.getFloat(r), m.getFloat(0), 0f);
            assertEquals(var.getFloat(r), v.getFloat(0), 0f);
        }
    }

    @Test
    void momentsAreTheRoundedDoublePrecisionOnesAndMatchLibnd4j() {
        Nd4j.getRandom().setSeed(5);
        for (long[] shape : SHAPES) {
            INDArray x = Nd4j.randn(DataType.FLOAT, shape).muli(3).addi(100);    // an offset: cancellation
            long[] ms = RowKernels.momentsShape(x, true);
            INDArray mean = Nd4j.create(DataType.FLOAT, ms);
            INDArray var = Nd4j.create(DataType.FLOAT, ms);
            RowKernels.moments(x, mean, var);
            float[] xs = x.data().asFloat();
            int n = (int) shape[shape.length - 1];
            for (int r = 0; r < xs.length / n; r++) {
                java.math.BigDecimal s = java.math.BigDecimal.ZERO;
                for (int j = r * n; j < (r + 1) * n; j++) {
                    s = s.add(new java.math.BigDecimal(xs[j]));
                }
                double m = s.doubleValue() / n;
                double q = 0;
                for (int j = r * n; j < (r + 1) * n; j++) {
                    q += (xs[j] - m) * (xs[j] - m);
                }
                assertEquals((float) m, mean.getFloat(r), Math.ulp((float) m), "mean of row " + r);
                assertEquals((float) (q / n), var.getFloat(r), Math.ulp((float) (q / n)), "variance of row " + r);
            }
            SameDiff sd = SameDiff.create();
            SDVariable in = sd.constant(x);
            SDVariable[] mv = sd.math.moments(in, new int[]{-1}, true);
            var nd = sd.output(java.util.Map.of(), mv[0].name(), mv[1].name());
            assertTrue(nd.get(mv[0].name()).equalsWithEps(mean, 1e-4), "libnd4j's mean");
            assertTrue(nd.get(mv[1].name()).equalsWithEps(var, 1e-4), "libnd4j's variance");
        }
    }

    /** The executor runs both in Java only for the last axis; other axes and kinds stay with libnd4j. */
    @Test
    void coversTheLastAxisOnly() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 5);
        SDVariable last = sd.nn.softmax(x, -1);
        SDVariable first = sd.nn.softmax(x, 0);
        SDVariable[] mv = sd.math.moments(x, new int[]{-1}, false);
        INDArray xs = Nd4j.randn(DataType.FLOAT, 4, 5);
        var ops = sd.getOps();
        assertEquals(RowKernels.Kind.SOFTMAX, RowKernels.kindOf(ops.get(last.getCreator().getOwnName()).getOp(), 1, 1));
        assertTrue(RowKernels.lastAxis(last.getCreator(), xs));
        assertTrue(!RowKernels.lastAxis(first.getCreator(), xs));
        assertEquals(RowKernels.Kind.MOMENTS, RowKernels.kindOf(mv[0].getCreator(), 1, 2));
        assertArrayEquals(new long[]{4}, RowKernels.momentsShape(xs, RowKernels.keepDims(mv[0].getCreator())));
        var want = sd.output(java.util.Map.of("x", xs), last.name(), first.name(), mv[0].name(), mv[1].name());
        try (GraphExecutor ex = new GraphExecutor(sd, Kernels.JAVA)) {
            var got = ex.output(java.util.Map.of("x", xs), last.name(), first.name(), mv[0].name(), mv[1].name());
            for (String k : want.keySet()) {
                assertArrayEquals(want.get(k).shape(), got.get(k).shape(), k);
                assertTrue(want.get(k).equalsWithEps(got.get(k), 1e-6), k);
            }
        }
    }
}
