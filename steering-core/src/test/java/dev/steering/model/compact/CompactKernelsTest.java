package dev.steering.model.compact;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kernel against a double-precision product with the dequantized weights, for every storage type, row
 * counts on both sides of the decode/prefill switch, and input sizes with partial groups and vector tails. The
 * default surefire run has no Vector API module (pure-Java kernel); the {@code vector-api} execution has it.
 */
class CompactKernelsTest {
    private static final int[] ROWS = {1, 3, 4, 5, 8, 16, 17, 33};
    private static final int[][] SHAPES = {{1, 64}, {7, 37}, {40, 176}, {300, 96}, {130, 5}, {21, 1100}};

    private static List<CompactKernels> kernels() {
        List<CompactKernels> out = new ArrayList<>(List.of(CompactKernels.scalar(2), CompactKernels.scalar(1)));
        CompactKernels v = CompactKernels.vector(2);
        if (v != null) {
            out.add(v);
            out.add(CompactKernels.vector(1));
        }
        return out;
    }

    /** Every test shape in every storage type, encoded from Gaussian weights drawn from {@code rnd}. */
    private static List<CompactMatrix> everyMatrix(SplittableRandom rnd) {
        List<CompactMatrix> all = new ArrayList<>();
        for (int[] shape : SHAPES) {
            float[] w = gaussian(rnd, shape[0] * shape[1]);
            for (StorageType t : StorageType.values()) {
                all.add(CompactMatrix.encode("w", w, shape[0], shape[1], t));
            }
        }
        return all;
    }

    @Test
    void theVectorKernelIsUsedExactlyWhenTheModuleIsPresent() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertEquals(module, CompactKernels.vectorApiAvailable());
        if (module) {
            assertNotNull(CompactKernels.vector(2), "the Vector API kernel on this CPU");
            String bits = System.getProperty("steering.vector.bits");
            String name = CompactKernels.shared().kernelName();
            assertTrue(bits == null ? name.startsWith("vector-api") : name.equals("vector-api-" + bits + "bit"), name);
        } else {
            assertEquals("java", CompactKernels.shared().kernelName());
        }
    }

    @Test
    void everyKernelMatchesTheDequantizedProduct() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (CompactMatrix m : everyMatrix(rnd)) {
            int out = m.outFeatures();
            int in = m.inFeatures();
            StorageType t = m.type();
            float[] wq = m.dequantize();
            for (int rows : ROWS) {
                int xOff = 3;
                int yOff = 5;
                float[] x = gaussian(rnd, xOff + rows * in + 2);
                for (CompactKernels k : kernels()) {
                    float[] y = new float[yOff + rows * out + 1];
                    y[yOff - 1] = 42f;
                    y[y.length - 1] = 43f;
                    k.matmul(m, x, xOff, rows, y, yOff);
                    String what = k.kernelName() + " " + t + " [" + out + ", " + in + "] rows " + rows;
                    for (int r = 0; r < rows; r++) {
                        for (int j = 0; j < out; j++) {
                            double ref = 0;
                            double mag = 0;
                            for (int c = 0; c < in; c++) {
                                ref += (double) x[xOff + r * in + c] * wq[j * in + c];
                                mag += Math.abs((double) x[xOff + r * in + c] * wq[j * in + c]);
                            }
                            assertEquals(ref, y[yOff + r * out + j], 1e-5 * mag + 1e-30,
                                    what + " y[" + r + ", " + j + "]");
                        }
                    }
                    assertEquals(42f, y[yOff - 1], what + ": wrote before y");
                    assertEquals(43f, y[y.length - 1], what + ": wrote after y");
                }
            }
        }
    }

    /**
     * F16 weights below the smallest normal half (2⁻¹⁴; subnormal halves, common in real checkpoints) and zeros are
     * decoded exactly: every kernel equals the product with the dequantized weights, here in double precision.
     */
    @Test
    void subnormalHalvesAndZerosAreDecodedExactly() {
        SplittableRandom rnd = new SplittableRandom(12);
        int out = 48;
        int in = 96;
        float[] w = gaussian(rnd, out * in);
        for (int i = 0; i < w.length; i++) {
            w[i] = i % 7 == 0 ? 0f : i % 7 == 1 ? -0f : w[i] * 0x1p-17f;    // most of them subnormal halves
        }
        CompactMatrix m = CompactMatrix.encode("w", w, out, in, StorageType.F16);
        float[] wq = m.dequantize();
        int subnormal = 0;
        for (float v : wq) {
            subnormal += v != 0 && Math.abs(v) < 0x1p-14f ? 1 : 0;
        }
        assertTrue(subnormal > out * in / 2, subnormal + " subnormal halves");
        for (int rows : new int[]{1, 8}) {
            float[] x = gaussian(rnd, rows * in);
            for (CompactKernels k : kernels()) {
                float[] y = new float[rows * out];
                k.matmul(m, x, 0, rows, y, 0);
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < out; j++) {
                        double ref = 0;
                        double mag = 0;
                        for (int c = 0; c < in; c++) {
                            ref += (double) x[r * in + c] * wq[j * in + c];
                            mag += Math.abs((double) x[r * in + c] * wq[j * in + c]);
                        }
                        assertEquals(ref, y[r * out + j], 1e-5 * mag + 1e-40, k.kernelName() + " y[" + r + ", " + j
                                + "]");
                    }
                }
            }
        }
    }

    @Test
    void aRowsResultDoesNotDependOnTheOtherRowsOfTheCall() {
        // batched = one by one, bit for bit: a decode step of 8 prompts gives each prompt what it gets alone
        SplittableRandom rnd = new SplittableRandom(5);
        for (CompactMatrix m : everyMatrix(rnd)) {
            int out = m.outFeatures();
            int in = m.inFeatures();
            StorageType t = m.type();
            for (int rows : new int[]{2, 5, 8, 16}) {
                float[] x = gaussian(rnd, rows * in);
                for (CompactKernels k : kernels()) {
                    float[] all = new float[rows * out];
                    k.matmul(m, x, 0, rows, all, 0);
                    for (int r = 0; r < rows; r++) {
                        float[] one = new float[out];
                        k.matmul(m, x, r * in, 1, one, 0);
                        for (int j = 0; j < out; j++) {
                            assertEquals(Float.floatToRawIntBits(one[j]), Float.floatToRawIntBits(all[r * out + j]),
                                    k.kernelName() + " " + t + " [" + out + ", " + in + "] row " + r + " of " + rows
                                            + ", column " + j);
                        }
                    }
                }
            }
        }
    }

    @Test
    void anF32ViewOfNativeMemoryGivesTheArrayMatrixResult() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (int[] shape : SHAPES) {
            int out = shape[0];
            int in = shape[1];
            float[] w = gaussian(rnd, out * in);
            java.nio.FloatBuffer native_ = java.nio.ByteBuffer.allocateDirect(4 * (out * in + 3))
                    .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
            native_.put(1, w);
            CompactMatrix view = CompactMatrix.viewF32("w", native_.position(1), out, in);
            CompactMatrix array = CompactMatrix.encode("w", w, out, in, StorageType.F32);
            assertEquals(0, view.storageBytes(), "a view holds no storage of its own");
            for (int rows : ROWS) {
                float[] x = gaussian(rnd, rows * in);
                for (CompactKernels k : kernels()) {
                    float[] expected = new float[rows * out];
                    float[] got = new float[rows * out];
                    k.matmul(array, x, 0, rows, expected, 0);
                    k.matmul(view, x, 0, rows, got, 0);
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got[i]),
                                k.kernelName() + " [" + out + ", " + in + "] rows " + rows + " at " + i);
                    }
                }
            }
        }
        java.nio.FloatBuffer small = java.nio.FloatBuffer.allocate(10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CompactMatrix.viewF32("lm_head", small, 4, 3));
        assertTrue(e.getMessage().contains("lm_head") && e.getMessage().contains("[4, 3]"), e.getMessage());
    }

    @Test
    void everyShareRunsOnceAcrossConcurrentCallersAndAFailureReachesTheCaller() throws Exception {
        CompactKernels k = CompactKernels.scalar(2);
        java.util.concurrent.atomic.AtomicIntegerArray runs = new java.util.concurrent.atomic.AtomicIntegerArray(4 * 64);
        Thread[] callers = new Thread[4];
        for (int c = 0; c < callers.length; c++) {
            int base = c * 64;
            callers[c] = new Thread(() -> {
                for (int rep = 0; rep < 200; rep++) {
                    k.shares(64, i -> runs.incrementAndGet(base + i));
                }
            });
            callers[c].start();
        }
        for (Thread t : callers) {
            t.join(60_000);
        }
        for (int i = 0; i < runs.length(); i++) {
            assertEquals(200, runs.get(i), "share " + i);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> k.shares(8, i -> {
            if (i == 5) {
                throw new IllegalStateException("share 5 failed");
            }
        }));
        assertEquals("share 5 failed", e.getMessage());
        int[] after = new int[1];
        k.shares(3, i -> {
            synchronized (after) {
                after[0]++;
            }
        });
        assertEquals(3, after[0], "the workers still run after a failure");
    }

    @Test
    void buffersOverNativeMemoryGiveTheArrayResult() {
        SplittableRandom rnd = new SplittableRandom(3);
        int out = 70;
        int in = 96;
        int rows = 5;
        CompactMatrix m = CompactMatrix.encode("w", gaussian(rnd, out * in), out, in, StorageType.INT4);
        float[] x = gaussian(rnd, rows * in);
        float[] expected = new float[rows * out];
        m.matmul(x, 0, rows, expected, 0);
        java.nio.FloatBuffer xb = java.nio.ByteBuffer.allocateDirect(4 * (rows * in + 1))
                .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
        xb.position(1);
        xb.put(x).position(1);
        java.nio.FloatBuffer yb = java.nio.ByteBuffer.allocateDirect(4 * (rows * out + 2))
                .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
        yb.position(2);
        CompactKernels.shared().matmul(m, xb, rows, yb);
        assertEquals(1, xb.position());
        assertEquals(2, yb.position());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], yb.get(2 + i), "y[" + i + "]");
        }
        assertEquals(0f, yb.get(0));
        yb.position(3);
        assertThrows(IndexOutOfBoundsException.class, () -> CompactKernels.shared().matmul(m, xb, rows, yb));
    }

    @Test
    void shortArraysAreRefused() {
        CompactMatrix m = CompactMatrix.encode("w", new float[8 * 64], 8, 64, StorageType.INT8);
        assertThrows(IndexOutOfBoundsException.class, () -> m.matmul(new float[2 * 64 - 1], 0, 2, new float[16], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> m.matmul(new float[2 * 64], 0, 2, new float[15], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> m.matmul(new float[2 * 64], 1, 2, new float[16], 0));
        assertThrows(IllegalArgumentException.class, () -> m.matmul(new float[64], 0, -1, new float[16], 0));
    }

    private static float[] gaussian(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
