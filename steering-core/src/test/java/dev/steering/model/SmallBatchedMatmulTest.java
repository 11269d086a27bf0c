package dev.steering.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java attention products equal libnd4j's batched matmul on the layouts attention feeds them. */
class SmallBatchedMatmulTest {

    @Test
    void scoresAndContextOnPermutedQueriesAndCachePrefixViews() {
        Nd4j.getRandom().setSeed(3);
        for (int d : new int[]{16, 20}) {               // 20: a tail after the vector lanes (8 or 16)
            for (int s : new int[]{1, 5, 8}) {
                // queries as splitHeads makes them: [b, s, h, d] permuted to [b, h, s, d] (strided view)
                INDArray q = Nd4j.randn(DataType.FLOAT, 3, s, 4, d).permute(0, 2, 1, 3);
                // keys and values as a prefix of a capacity buffer, and a view that starts mid-buffer (offset)
                INDArray buffer = Nd4j.randn(DataType.FLOAT, 3, 4, 20, d);
                INDArray prefix = buffer.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 9),
                        NDArrayIndex.all());
                INDArray middle = buffer.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(4, 13),
                        NDArrayIndex.all());
                for (INDArray k : new INDArray[]{prefix, middle, prefix.dup('c')}) {
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
        INDArray big = Nd4j.create(DataType.FLOAT, 32, 12, 256, 64);                     // a prefill: native
        assertFalse(SmallBatchedMatmul.applies(big, big, false, true));
        INDArray prompt = Nd4j.create(DataType.FLOAT, 1, 2, 9, 5);                       // 9 query rows: native
        assertFalse(SmallBatchedMatmul.applies(prompt, Nd4j.create(DataType.FLOAT, 1, 2, 9, 5), false, true));
    }

    private static INDArray check(INDArray a, INDArray b, boolean transB) {
        assertTrue(SmallBatchedMatmul.applies(a, b, false, transB));
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
