package dev.steering.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java attention products equal libnd4j's batched matmul on the layouts attention feeds them. */
class SmallBatchedMatmulTest {

    @Test
    void scoresAndContextOnPermutedQueriesAndCachePrefixViews() {
        Nd4j.getRandom().setSeed(3);
        for (int d : new int[]{16, 20}) {               // 20: a tail after the vector lanes (8 or 16)
            for (int s : new int[]{1, 5, 8, 9, 37, 70}) {     // decode-sized, then prefills (70: two query blocks)
                // queries as splitHeads makes them: [b, s, h, d] permuted to [b, h, s, d] (strided view)
                INDArray q = Nd4j.randn(DataType.FLOAT, 3, s, 4, d).permute(0, 2, 1, 3);
                // keys and values as a prefix of a capacity buffer, and a view that starts mid-buffer (offset)
                INDArray buffer = Nd4j.randn(DataType.FLOAT, 3, 4, 40, d);
                INDArray prefix = buffer.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 9),
                        NDArrayIndex.all());
                INDArray middle = buffer.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(4, 13),
                        NDArrayIndex.all());
                INDArray longer = buffer.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(3, 38),
                        NDArrayIndex.all());                    // 35 keys: vector lanes and a tail
                for (INDArray k : new INDArray[]{prefix, middle, prefix.dup('c'), longer}) {
                    INDArray scores = check(q, k, true);
                    check(scores, k, false);                    // weights × values
                }
            }
        }
    }

    @Test
    void declinesWhatItDoesNotCover() {
        INDArray a = Nd4j.create(DataType.FLOAT, 2, 3, 4, 5);
        INDArray b = Nd4j.create(DataType.FLOAT, 2, 3, 6, 5);
        assertTrue(SmallBatchedMatmul.applies(a, b, false, true));
        assertFalse(SmallBatchedMatmul.applies(a, b, true, true));                      // transposed left operand
        assertFalse(SmallBatchedMatmul.applies(a, b, false, false));                    // inner sizes differ
        assertFalse(SmallBatchedMatmul.applies(a, Nd4j.create(DataType.FLOAT, 1, 3, 6, 5), false, true));  // broadcast
        assertFalse(SmallBatchedMatmul.applies(a.permute(0, 1, 3, 2), b, false, false));  // last axis strided
        INDArray big = Nd4j.create(DataType.FLOAT, 32, 12, 256, 64);      // a prefill: here with the vector tiles
        assertEquals(AttentionTiles.shared().vectorized(), SmallBatchedMatmul.applies(big, big, false, true));
        INDArray prompt = Nd4j.create(DataType.FLOAT, 1, 2, 9, 64);                      // keys × head size > 2²²
        assertFalse(SmallBatchedMatmul.applies(prompt, Nd4j.create(DataType.FLOAT, 1, 2, 70000, 64), false, true));
        INDArray many = Nd4j.create(DataType.FLOAT, 64, 64, 8, 64);                      // decode, > 2²⁴ FMAs
        assertFalse(SmallBatchedMatmul.applies(many, Nd4j.create(DataType.FLOAT, 64, 64, 1024, 64), false, true));
    }

    /**
     * A prefill product's row is what it is alone, bit for bit (batched = one by one; a left-padded prompt's leading
     * zero weights change nothing), and the tiles in use (vector or scalar) give the scalar loops' bits.
     */
    @Test
    void prefillRowsDoNotDependOnTheOtherRowsOrTheTiles() {
        Nd4j.getRandom().setSeed(9);
        int s = 37;
        int d = 24;
        INDArray q = Nd4j.randn(DataType.FLOAT, 2, 3, s, d);
        INDArray k = Nd4j.randn(DataType.FLOAT, 2, 3, s, d);
        INDArray scores = Nd4j.create(DataType.FLOAT, 2, 3, s, s);
        SmallBatchedMatmul.run(q, k, true, scores);
        INDArray w = Nd4j.rand(DataType.FLOAT, 2, 3, s, s);
        w.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 5)).assign(0);
        INDArray ctx = Nd4j.create(DataType.FLOAT, 2, 3, s, d);
        SmallBatchedMatmul.run(w, k, false, ctx);
        // the rows 12..20 of batch 1, head 2 alone (9 query rows: still the prefill path), without the padded keys
        INDArray q1 = q.get(NDArrayIndex.interval(1, 2), NDArrayIndex.interval(2, 3), NDArrayIndex.interval(12, 21),
                NDArrayIndex.all()).dup('c');
        INDArray s1 = Nd4j.create(DataType.FLOAT, 1, 1, 9, s);
        SmallBatchedMatmul.run(q1, k.get(NDArrayIndex.interval(1, 2), NDArrayIndex.interval(2, 3)).dup('c'), true, s1);
        assertArrayEquals(scores.get(NDArrayIndex.point(1), NDArrayIndex.point(2), NDArrayIndex.interval(12, 21))
                .dup('c').data().asFloat(), s1.data().asFloat(), 0f);
        INDArray w1 = w.get(NDArrayIndex.interval(1, 2), NDArrayIndex.interval(2, 3), NDArrayIndex.interval(12, 21),
                NDArrayIndex.interval(5, s)).dup('c');
        INDArray v1 = k.get(NDArrayIndex.interval(1, 2), NDArrayIndex.interval(2, 3), NDArrayIndex.interval(5, s),
                NDArrayIndex.all()).dup('c');
        INDArray c1 = Nd4j.create(DataType.FLOAT, 1, 1, 9, d);
        SmallBatchedMatmul.run(w1, v1, false, c1);
        assertArrayEquals(ctx.get(NDArrayIndex.point(1), NDArrayIndex.point(2), NDArrayIndex.interval(12, 21))
                .dup('c').data().asFloat(), c1.data().asFloat(), 0f);
        // the tiles in use against the scalar loops
        float[] qa = Nd4j.randn(DataType.FLOAT, s, d).data().asFloat();
        float[] kt = Nd4j.randn(DataType.FLOAT, d, 35).data().asFloat();
        float[] got = new float[s * 35];
        float[] want = new float[s * 35];
        AttentionTiles.shared().scores(qa, kt, got, s, d, 35);
        new AttentionTiles().scores(qa, kt, want, s, d, 35);
        assertArrayEquals(want, got, 0f, AttentionTiles.shared().name() + " scores");
        float[] wa = Nd4j.rand(DataType.FLOAT, s, 35).data().asFloat();
        float[] va = Nd4j.randn(DataType.FLOAT, 35, d).data().asFloat();
        got = new float[s * d];
        want = new float[s * d];
        AttentionTiles.shared().context(wa, va, got, s, 35, d);
        new AttentionTiles().context(wa, va, want, s, 35, d);
        assertArrayEquals(want, got, 0f, AttentionTiles.shared().name() + " context");
    }

    /** Runs the product here (a prefill's also with the scalar tiles, which the executor leaves to libnd4j). */
    private static INDArray check(INDArray a, INDArray b, boolean transB) {
        boolean prefill = a.size(2) > SmallBatchedMatmul.MAX_QUERIES;
        assertEquals(!prefill || AttentionTiles.shared().vectorized(), SmallBatchedMatmul.applies(a, b, false, transB));
        INDArray got = Nd4j.create(DataType.FLOAT, SmallBatchedMatmul.outputShape(a, b, transB));
        SmallBatchedMatmul.run(a, b, transB, got);
        INDArray want = Nd4j.create(DataType.FLOAT, got.shape());
        Nd4j.exec(new Mmul(a.dup('c'), b.dup('c'), want, MMulTranspose.builder().transposeB(transB).build()));
        float[] w = want.data().asFloat();
        float[] g = got.data().asFloat();
        for (int i = 0; i < w.length; i++) {
            if (Math.abs(w[i] - g[i]) > 1e-5 * (1 + Math.abs(w[i]))) {
                throw new AssertionError("element " + i + ": " + g[i] + " vs " + w[i]);
            }
        }
        assertArrayEquals(want.shape(), got.shape());
        return got;
    }
}
