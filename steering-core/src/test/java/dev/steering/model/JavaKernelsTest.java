package dev.steering.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarAdd;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarSubtraction;
import org.nd4j.linalg.api.ops.impl.transforms.floating.RSqrt;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.autodiff.functions.DifferentialFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java kernels give what libnd4j gives, for every broadcasting pattern the forward graphs use. */
class JavaKernelsTest {
    private static final long[][][] PAIRS = {
            {{8, 768}, {8, 768}},           // same shape
            {{8, 768}, {1, 768}},           // bias row
            {{1, 768}, {8, 768}},           // bias first
            {{8, 768}, {8, 1}},             // per-row statistic (LayerNorm, edit mask)
            {{2, 12, 1, 9}, {2, 1, 1, 9}},  // attention scores + mask
            {{2, 3, 5}, {5}},               // rank 3 with a rank-1 operand
            {{4, 1, 6}, {1, 5, 1}},         // both broadcast
            {{7}, {7}},
            {{64, 768}, {1, 768}},          // large enough to be split over the cores
            {{2, 12, 16, 128}, {2, 1, 16, 128}},
            {{256, 3072}, {1, 3072}},       // a prefill's bias add: split over the cores, rows in blocks
            {{3, 5000}, {3, 1}},            // rows longer than a block
            {{1, 5000}, {1, 5000}}};

    @Test
    void binaryOpsEqualLibnd4jBitForBit() {
        Nd4j.getRandom().setSeed(7);
        for (long[][] p : PAIRS) {
            INDArray a = Nd4j.randn(DataType.FLOAT, p[0]);
            INDArray b = Nd4j.randn(DataType.FLOAT, p[1]);
            check(new AddOp(a, b), JavaKernels.Kind.ADD, a, b);
            check(new SubOp(a, b), JavaKernels.Kind.SUB, a, b);
            check(new MulOp(a, b), JavaKernels.Kind.MUL, a, b);
        }
    }

    @Test
    void scalarOpsAndRsqrtEqualLibnd4j() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, 3072).addi(0.01);          // split over the cores
        assertEquals(JavaKernels.Kind.ADD_SCALAR, JavaKernels.kindOf(new ScalarAdd(x, 1e-5)));
        runBoth(new ScalarAdd(x, null, x.ulike(), 1e-5), JavaKernels.Kind.ADD_SCALAR, 0, x);
        runBoth(new ScalarMultiplication(x, null, x.ulike(), 0.7071067811865476), JavaKernels.Kind.MUL_SCALAR, 0, x);
        runBoth(new ScalarSubtraction(x, null, x.ulike(), 3.5), JavaKernels.Kind.SUB_SCALAR, 0, x);
        // the scalar as a second input array, as SameDiff feeds it
        INDArray[] withScalar = {x, Nd4j.scalar(DataType.FLOAT, 2.5f)};
        INDArray z = Nd4j.create(DataType.FLOAT, 16, 3072);
        JavaKernels.run(JavaKernels.Kind.MUL_SCALAR, new ScalarMultiplication(x, 0), withScalar, z);
        assertArrayEquals(x.mul(2.5f).data().asFloat(), z.data().asFloat());
        runBoth(new RSqrt(x, x.ulike()), JavaKernels.Kind.RSQRT, 2e-7, x);
    }

    @Test
    void erfIsWithinThreeTenMillionthsOfLibnd4jsAtAnySize() {
        for (long[] shape : new long[][]{{8, 3072}, {256, 3072}}) {              // a decode step, a prefill
            INDArray x = Nd4j.randn(DataType.FLOAT, shape).muli(3);
            x.putScalar(0, 0f);
            x.putScalar(1, 9f);
            x.putScalar(2, -1e-4f);
            var op = new org.nd4j.linalg.api.ops.impl.transforms.strict.Erf(x, x.ulike());
            assertEquals(JavaKernels.Kind.ERF, JavaKernels.kindOf(op));
            assertNotNull(JavaKernels.outputShape(JavaKernels.Kind.ERF, new INDArray[]{x}));
            runBoth(op, JavaKernels.Kind.ERF, 0, x, 3.5e-7);
        }
        assertEquals(0f, JavaKernels.erf(0f));
        assertEquals(1f, JavaKernels.erf(10f));
        // the vectorisable block loop equals the scalar formula bit for bit, signed zeros, infinities and NaN too
        float[] special = {0f, -0f, 1e-45f, -1e-45f, 1e-30f, 0.5f, -3f, 40f, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN};
        INDArray big = Nd4j.randn(DataType.FLOAT, 3, 5000).muli(2);
        for (int i = 0; i < special.length; i++) {
            big.putScalar(i, special[i]);
        }
        INDArray z = Nd4j.create(DataType.FLOAT, 3, 5000);
        JavaKernels.run(JavaKernels.Kind.ERF, null, new INDArray[]{big}, z);
        float[] in = big.data().asFloat();
        float[] got = z.data().asFloat();
        for (int i = 0; i < in.length; i++) {
            assertEquals(Float.floatToIntBits(JavaKernels.erf(in[i])), Float.floatToIntBits(got[i]), "erf(" + in[i] + ")");
        }
        assertEquals(-JavaKernels.erf(0.7f), JavaKernels.erf(-0.7f));
    }

    /**
     * The F32 erf against a double-precision reference over every 1009th F32 value up to 4.5 and every value near the
     * switch between its two forms (2) and near its clamp (3.92): within 3e-7 below 2, within 8e-8 from 2 on, odd.
     */
    @Test
    void erfIsWithinItsBoundOfTheReference() {
        int two = Float.floatToIntBits(2f);
        int clamp = Float.floatToIntBits(3.92f);
        java.util.stream.IntStream bits = java.util.stream.IntStream.concat(
                java.util.stream.IntStream.iterate(0, b -> b < Float.floatToIntBits(4.5f), b -> b + 1009),
                java.util.stream.IntStream.concat(java.util.stream.IntStream.range(two - 20000, two + 20000),
                        java.util.stream.IntStream.range(clamp - 20000, clamp + 20000)));
        double[] worst = new double[2];
        bits.forEach(b -> {
            float x = Float.intBitsToFloat(b);
            double err = Math.abs(JavaKernels.erf(x) - org.apache.commons.math3.special.Erf.erf(x));
            worst[x < 2 ? 0 : 1] = Math.max(worst[x < 2 ? 0 : 1], err);
            assertEquals(Float.floatToIntBits(-JavaKernels.erf(x)), Float.floatToIntBits(JavaKernels.erf(-x)), "odd at " + x);
        });
        assertTrue(worst[0] <= 3e-7, "below 2: " + worst[0]);
        assertTrue(worst[1] <= 8e-8, "from 2 on: " + worst[1]);
        assertTrue(worst[0] > 1e-8, "the sample reaches the F32 rounding: " + worst[0]);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(JavaKernels.erf(-0f)));
        assertEquals(1f, JavaKernels.erf(Float.POSITIVE_INFINITY));
        assertEquals(-1f, JavaKernels.erf(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(JavaKernels.erf(Float.NaN)));
    }

    /** A fused program (exact GELU of a biased product, as the executor fuses it) gives its ops' results bit for bit. */
    @Test
    void programEqualsItsOpsOneAfterAnother() {
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.randn(DataType.FLOAT, 64, 3072).muli(2);                // split over the cores
        INDArray bias = Nd4j.randn(DataType.FLOAT, 1, 3072);
        var half = new ScalarMultiplication(x, 0.5);
        var sqrtHalf = new ScalarMultiplication(x, 0.7071067811865476);
        var one = new ScalarAdd(x, 1.0);
        JavaKernels.Instr[] gelu = {
                JavaKernels.instr(JavaKernels.Kind.ADD, null, -1, -2),                  // r0 = x + bias
                JavaKernels.instr(JavaKernels.Kind.MUL_SCALAR, sqrtHalf, 0, JavaKernels.NONE),
                JavaKernels.instr(JavaKernels.Kind.ERF, null, 1, JavaKernels.NONE),
                JavaKernels.instr(JavaKernels.Kind.ADD_SCALAR, one, 2, JavaKernels.NONE),
                JavaKernels.instr(JavaKernels.Kind.MUL, null, 0, 3),                    // r0 read twice
                JavaKernels.instr(JavaKernels.Kind.MUL_SCALAR, half, 4, JavaKernels.NONE)};
        INDArray fused = Nd4j.create(DataType.FLOAT, 64, 3072);
        JavaKernels.evaluate(gelu, new INDArray[]{x, bias}, fused);

        INDArray r0 = Nd4j.create(DataType.FLOAT, 64, 3072);
        JavaKernels.run(JavaKernels.Kind.ADD, null, new INDArray[]{x, bias}, r0);
        INDArray t = Nd4j.create(DataType.FLOAT, 64, 3072);
        INDArray u = Nd4j.create(DataType.FLOAT, 64, 3072);
        JavaKernels.run(JavaKernels.Kind.MUL_SCALAR, sqrtHalf, new INDArray[]{r0}, t);
        JavaKernels.run(JavaKernels.Kind.ERF, null, new INDArray[]{t}, u);
        JavaKernels.run(JavaKernels.Kind.ADD_SCALAR, one, new INDArray[]{u}, t);
        JavaKernels.run(JavaKernels.Kind.MUL, null, new INDArray[]{r0, t}, u);
        JavaKernels.run(JavaKernels.Kind.MUL_SCALAR, half, new INDArray[]{u}, t);
        assertArrayEquals(t.data().asFloat(), fused.data().asFloat());
        // and the separate Java ops are libnd4j's arithmetic (erf within its bound)
        INDArray want = x.add(bias);
        INDArray erf = Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Erf(want.mul(0.7071067811865476)));
        want = want.mul(erf.add(1.0)).mul(0.5);
        float[] w = want.data().asFloat();
        float[] g = fused.data().asFloat();
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], g[i], 1e-6 * (1 + Math.abs(w[i])));
        }
    }

    @Test
    void permutesKeepingTheLastAxisEqualSameDiffs() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 5, 3, 8);
        var op = new org.nd4j.linalg.api.ops.impl.shape.Permute(x, 0, 2, 1, 3);
        int[] axes = JavaKernels.permutation(op);
        assertArrayEquals(new int[]{0, 2, 1, 3}, axes);
        assertTrue(JavaKernels.canPermute(x));
        INDArray got = Nd4j.create(DataType.FLOAT, JavaKernels.permutedShape(x, axes));
        JavaKernels.permute(x, axes, got);
        assertEquals(x.permute(0, 2, 1, 3).dup('c'), got);
        assertNull(JavaKernels.permutation(new org.nd4j.linalg.api.ops.impl.shape.Permute(x, 0, 1, 3, 2)));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> JavaKernels.permute(x, axes, Nd4j.create(DataType.FLOAT, 2, 5, 3, 8)));
    }

    /** Row copies between views: a permuted source, a slice of a larger destination, odd sizes, every rank. */
    @Test
    void copiesRowsBetweenViewsAsAssignDoes() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 7, 5, 13);
        INDArray permuted = x.permute(0, 2, 1, 3);                                 // strided, last axis contiguous
        INDArray got = Nd4j.create(DataType.FLOAT, 3, 5, 7, 13);
        assertTrue(JavaKernels.canCopyRows(permuted, got));
        JavaKernels.copyRows(permuted, got);
        assertEquals(permuted.dup('c'), got);
        INDArray cache = Nd4j.rand(DataType.FLOAT, 3, 5, 20, 13);                  // a KV cache buffer
        INDArray slice = cache.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 11),
                org.nd4j.linalg.indexing.NDArrayIndex.all());
        INDArray before = cache.dup();
        INDArray src = Nd4j.rand(DataType.FLOAT, 3, 5, 7, 13);
        JavaKernels.copyRows(src, slice);
        INDArray want = before.dup();
        want.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 11), org.nd4j.linalg.indexing.NDArrayIndex.all())
                .assign(src);
        assertEquals(want, cache);                                                  // and nothing outside the slice
        for (long[] shape : new long[][]{{17}, {3, 1}, {9, 33}, {2, 3, 1029}, {64, 12, 32, 64}}) {
            INDArray a = Nd4j.rand(DataType.FLOAT, shape);
            INDArray b = Nd4j.create(DataType.FLOAT, shape);
            JavaKernels.copyRows(a, b);
            assertEquals(a, b, java.util.Arrays.toString(shape));
        }
        INDArray transposed = Nd4j.rand(DataType.FLOAT, 6, 4).transpose();        // last axis strided: declined
        org.junit.jupiter.api.Assertions.assertFalse(JavaKernels.canCopyRows(transposed, Nd4j.create(DataType.FLOAT, 4, 6)));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> JavaKernels.copyRows(src, Nd4j.create(DataType.FLOAT, 3, 5, 7, 12)));
        org.junit.jupiter.api.Assertions.assertFalse(JavaKernels.canCopyRows(src, Nd4j.create(DataType.DOUBLE, 3, 5, 7, 13)));
    }

    @Test
    void declinesWhatItDoesNotCover() {
        INDArray big = Nd4j.create(DataType.FLOAT, 256, 3072);                   // prefill-sized: covered
        assertNotNull(JavaKernels.outputShape(JavaKernels.Kind.ADD, new INDArray[]{big, big}));
        INDArray m = Nd4j.rand(DataType.FLOAT, 8, 16);
        INDArray view = m.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 8));
        assertNull(JavaKernels.outputShape(JavaKernels.Kind.ADD, new INDArray[]{view, view}));
        INDArray d = Nd4j.create(DataType.DOUBLE, 8, 16);
        assertNull(JavaKernels.outputShape(JavaKernels.Kind.MUL, new INDArray[]{d, d}));
        assertNull(JavaKernels.outputShape(JavaKernels.Kind.ADD,
                new INDArray[]{Nd4j.create(DataType.FLOAT, 3, 4), Nd4j.create(DataType.FLOAT, 3, 5)}));
        assertNotNull(JavaKernels.outputShape(JavaKernels.Kind.ADD, new INDArray[]{m, m}));
        INDArray heads = Nd4j.create(DataType.FLOAT, 64, 24).reshape('c', 2, 32, 3, 8);   // a view to ND4J
        assertTrue(heads.isView());
        assertTrue(JavaKernels.canPermute(heads));                                // row-major from offset 0: taken
        assertTrue(JavaKernels.suits(heads));
        INDArray rows = m.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 5),
                org.nd4j.linalg.indexing.NDArrayIndex.all());                       // offset 32: declined
        org.junit.jupiter.api.Assertions.assertFalse(JavaKernels.suits(rows));
    }

    @Test
    void columnSlicesEqualSameDiffs() {
        org.nd4j.autodiff.samediff.SameDiff sd = org.nd4j.autodiff.samediff.SameDiff.create();
        var x = sd.placeHolder("x", DataType.FLOAT, -1, 10);
        var cols = Ops.columns(x, 3, 7);
        var op = sd.getOps().get(cols.getCreator().getOwnName()).getOp();
        assertArrayEquals(new long[]{3, 7}, JavaKernels.columnSlice(op));
        INDArray in = Nd4j.rand(DataType.FLOAT, 5, 10);
        assertTrue(JavaKernels.canSlice(in, 7));
        INDArray out = Nd4j.create(DataType.FLOAT, 5, 4);
        JavaKernels.copyColumns(in, 3, 7, out);
        assertEquals(in.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(3, 7)).dup('c'), out);
        // other slices (rows, steps) are not column slices
        var rows = x.get(org.nd4j.autodiff.samediff.SDIndex.interval(1, 3), org.nd4j.autodiff.samediff.SDIndex.all());
        assertNull(JavaKernels.columnSlice(sd.getOps().get(rows.getCreator().getOwnName()).getOp()));
        assertEquals(false, JavaKernels.canSlice(in, 11));
    }

    @Test
    void gathersRowsAndColumnsAsLibnd4jDoes() {
        INDArray table = Nd4j.rand(DataType.FLOAT, 50, 16);
        INDArray ids = Nd4j.createFromArray(3L, 0L, 49L, 3L);
        var rowsOp = new org.nd4j.linalg.api.ops.impl.shape.Gather(table, ids, 0);
        assertEquals(0, JavaKernels.gatherAxis(rowsOp));
        assertTrue(JavaKernels.canGather(table, ids));
        INDArray rows = Nd4j.create(DataType.FLOAT, 4, 16);
        JavaKernels.gather(table, ids.toLongVector(), 0, rows);
        assertEquals(Nd4j.exec(rowsOp)[0], rows);
        long[] perm = new long[16];
        for (int j = 0; j < 16; j++) {
            perm[j] = (j + 4) % 16;
        }
        var colsOp = new org.nd4j.linalg.api.ops.impl.shape.Gather(table, Nd4j.createFromArray(perm), 1);
        assertEquals(1, JavaKernels.gatherAxis(colsOp));
        INDArray cols = Nd4j.create(DataType.FLOAT, 50, 16);
        JavaKernels.gather(table, perm, 1, cols);
        assertEquals(Nd4j.exec(colsOp)[0], cols);
        // large enough to be split over the cores, and rows wider than a scratch block
        for (int width : new int[]{384, 1500}) {
            INDArray wide = Nd4j.rand(DataType.FLOAT, 3000, width);
            long[] swap = new long[width];
            for (int j = 0; j < width; j++) {
                swap[j] = (j + width / 2) % width;
            }
            INDArray got = Nd4j.create(DataType.FLOAT, 3000, width);
            JavaKernels.gather(wide, swap, 1, got);
            assertEquals(Nd4j.exec(new org.nd4j.linalg.api.ops.impl.shape.Gather(wide, Nd4j.createFromArray(swap),
                    1))[0], got);
        }
        org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class,
                () -> JavaKernels.gather(table, new long[]{50}, 0, Nd4j.create(DataType.FLOAT, 1, 16)));
    }

    @Test
    void largeRotateHalfGathersAndColumnSlicesSplitOverTheCoresAsLibnd4jDoes() {
        // rotary's rotate-half over 24 heads of 64 (16 rotated): runs of 8, 8 and 48 columns, 300 rows in chunks
        RotaryEmbedding rotary = new RotaryEmbedding(64, 16, RotaryEmbedding.defaultInvFreq(16, 10000), 1);
        long[] perm = rotary.rotateHalfSource(24);
        INDArray x = Nd4j.rand(DataType.FLOAT, 300, 24 * 64);
        INDArray cols = Nd4j.create(DataType.FLOAT, 300, perm.length);
        JavaKernels.gather(x, perm, 1, cols);
        assertEquals(Nd4j.exec(new org.nd4j.linalg.api.ops.impl.shape.Gather(x, Nd4j.createFromArray(perm), 1))[0],
                cols);
        INDArray slice = Nd4j.create(DataType.FLOAT, 300, 700);
        JavaKernels.copyColumns(x, 100, 800, slice);
        assertEquals(x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(100, 800)).dup('c'), slice);
    }


    private static void check(DifferentialFunction op, JavaKernels.Kind kind, INDArray a, INDArray b) {
        assertEquals(kind, JavaKernels.kindOf(op));
        long[] shape = JavaKernels.outputShape(kind, new INDArray[]{a, b});
        assertNotNull(shape, kind + " " + java.util.Arrays.toString(a.shape()) + " " + java.util.Arrays.toString(b.shape()));
        INDArray want = kind == JavaKernels.Kind.ADD ? a.add(b) : kind == JavaKernels.Kind.SUB ? a.sub(b) : a.mul(b);
        INDArray got = Nd4j.create(DataType.FLOAT, shape);
        JavaKernels.run(kind, op, new INDArray[]{a, b}, got);
        assertArrayEquals(want.shape(), got.shape());
        assertArrayEquals(want.dup('c').data().asFloat(), got.data().asFloat(), kind + " " + java.util.Arrays.toString(shape));
    }

    private static void runBoth(org.nd4j.linalg.api.ops.Op op, JavaKernels.Kind kind, double tol, INDArray x) {
        runBoth(op, kind, tol, x, 0);
    }

    /** Java vs libnd4j within {@code tol} relative plus {@code abs} absolute. */
    private static void runBoth(org.nd4j.linalg.api.ops.Op op, JavaKernels.Kind kind, double tol, INDArray x,
                                double abs) {
        assertEquals(kind, JavaKernels.kindOf((DifferentialFunction) op));
        INDArray got = Nd4j.create(DataType.FLOAT, x.shape());
        JavaKernels.run(kind, (DifferentialFunction) op, new INDArray[]{x}, got);
        INDArray want = Nd4j.exec(op);                     // into its own output: x is not touched
        float[] w = want.data().asFloat();
        float[] g = got.data().asFloat();
        for (int i = 0; i < w.length; i++) {
            int at = i;
            assertEquals(w[i], g[i], tol * Math.abs(w[i]) + abs, () -> kind + " at " + at + " (x = " + x.getFloat(at) + ")");
        }
    }
}
