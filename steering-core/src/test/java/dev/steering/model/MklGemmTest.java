package dev.steering.model;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * MKL's packed product ({@link MklGemm}) against ND4J's {@code sgemm}, its rows independent of the rest of the call,
 * its checks, and the packed copies' owner ({@link PackedWeights}). Runs where MKL is available (Intel CPUs).
 */
class MklGemmTest {
    private static INDArray random(SplittableRandom rnd, int rows, int cols) {
        float[] f = new float[rows * cols];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return Nd4j.create(f, new long[]{rows, cols}, 'c');
    }

    private static INDArray product(MklGemm.Packed w, INDArray x, int out) {
        INDArray c = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, x.size(0), out);
        MklGemm.multiply(x, w, c);
        return c;
    }

    @Test
    void thePackedProductIsSgemmsAndEachRowIsTheSameWhateverTheCallsRowCount() {
        assumeTrue(MklGemm.available(), "MKL not available here");
        SplittableRandom rnd = new SplittableRandom(3);
        INDArray weight = random(rnd, 96, 80);
        INDArray x = random(rnd, 300, 80);
        try (MklGemm.Packed w = MklGemm.pack(weight)) {
            INDArray all = product(w, x, 96);
            INDArray expected = Nd4j.gemm(x, weight, false, true);
            float[] e = expected.data().asFloat();
            float[] a = all.data().asFloat();
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], a[i], 1e-5 * (1 + Math.abs(e[i])), "element " + i);
            }
            for (int rows : new int[]{1, 8, 65, 70, 299}) {
                INDArray part = product(w, x.get(NDArrayIndex.interval(0, rows), NDArrayIndex.all()).dup('c'), 96);
                assertArrayEquals(all.get(NDArrayIndex.interval(0, rows), NDArrayIndex.all()).dup('c').data()
                        .asFloat(), part.data().asFloat(), rows + " rows: bits differ from the 300-row call");
            }
        }
    }

    @Test
    void arraysItCannotAddressAreRefusedNotWritten() {
        assumeTrue(MklGemm.available(), "MKL not available here");
        SplittableRandom rnd = new SplittableRandom(4);
        INDArray weight = random(rnd, 16, 8);
        try (MklGemm.Packed w = MklGemm.pack(weight)) {
            INDArray x = random(rnd, 10, 8);
            INDArray offset = x.get(NDArrayIndex.interval(2, 10), NDArrayIndex.all());
            INDArray c = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 8, 16);
            assertFalse(MklGemm.accepts(offset, w, c), "a view with an offset");
            assertFalse(MklGemm.accepts(x.transpose(), w, c), "F order");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MklGemm.multiply(x, w, c));        // 10 rows into an 8-row output
            assertTrue(e.getMessage().contains("[16, 8]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> MklGemm.pack(weight.transpose()));
            w.close();
            INDArray c10 = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 10, 16);
            assertThrows(IllegalStateException.class, () -> MklGemm.multiply(x, w, c10));
        }
    }

    @Test
    void packedCopiesAreMadeOnceKeptUnderTheLimitAndFreedOnClose() {
        assumeTrue(MklGemm.available(), "MKL not available here");
        SplittableRandom rnd = new SplittableRandom(5);
        INDArray a = random(rnd, 64, 32);
        INDArray b = random(rnd, 64, 32);
        long one = MklGemm.packedBytes(64, 32);
        try (PackedWeights packed = new PackedWeights(one + one / 2)) {
            MklGemm.Packed pa = packed.get(a);
            assertNotNull(pa);
            assertSame(pa, packed.get(a), "packed once");
            assertNull(packed.get(b), "a second copy would pass the limit");
            assertEquals(one, packed.bytes());
            packed.close();
            assertEquals(0, packed.bytes());
            assertNull(packed.get(a), "closed");
        }
        try (PackedWeights none = new PackedWeights(0)) {
            assertNull(none.get(a));
            assertNull(none.get(Nd4j.create(new float[]{1, 2}, new long[]{2}, 'c')), "not a matrix");
        }
    }
}
