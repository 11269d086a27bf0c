package dev.steering.model;

import dev.steering.model.MatmulKernels.Kernel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-shape choice between BLAS and libnd4j's matmul op. */
class MatmulKernelsTest {

    @Test
    void alternatesWarmsUpTimesThenKeepsTheFasterKernelPerShape() {
        MatmulKernels k = MatmulKernels.measuring();
        int n = Kernel.values().length;
        int trialCalls = n * (MatmulKernels.WARM + MatmulKernels.TIMED);
        for (int call = 0; call < trialCalls; call++) {
            MatmulKernels.Choice c = k.choose(8, 768, 2304, false, true);
            assertEquals(Kernel.values()[call % n], c.kernel(), "call " + call);
            assertEquals(call >= n * MatmulKernels.WARM, c.timed(), "call " + call + " timed");
            if (c.timed()) {
                c.record(c.kernel() == Kernel.OP ? 100 : 300);     // the op is the fastest for this shape
            }
        }
        for (int call = 0; call < 3; call++) {
            MatmulKernels.Choice c = k.choose(8, 768, 2304, false, true);
            assertEquals(Kernel.OP, c.kernel());
            assertFalse(c.timed());
        }
        // another shape (here only the transpose differs) is measured on its own
        MatmulKernels.Choice other = k.choose(8, 768, 2304, false, false);
        assertEquals(Kernel.BLAS, other.kernel());
        assertFalse(other.timed());                             // its first call warms up
    }

    @Test
    void theRuleUsesOneDnnForPromptsAndTransposedBlasForTheWideDecodeProducts() {
        MatmulKernels rule = MatmulKernels.fromSystemProperty();
        if (MatmulKernels.oneDnnLoaded()) {
            assertEquals(Kernel.OP, rule.rule(256, 768, 2304));
            assertEquals(Kernel.BLAS_TRANSPOSED, rule.rule(8, 768, 50304));
            assertEquals(Kernel.BLAS_TRANSPOSED, rule.rule(32, 3072, 768));
            assertEquals(Kernel.BLAS, rule.rule(8, 768, 2304));
        } else {
            for (long m : new long[]{8, 32, 256}) {
                assertEquals(Kernel.BLAS, rule.rule(m, 768, 50304));
            }
        }
    }

    @Test
    void fixedPoliciesNeverMeasure() {
        for (Kernel kernel : Kernel.values()) {
            MatmulKernels.Choice c = MatmulKernels.always(kernel).choose(4, 4, 4, false, false);
            assertEquals(kernel, c.kernel());
            assertFalse(c.timed());
        }
    }

    @Test
    void systemPropertySelectsThePolicy() {
        String old = System.getProperty("steering.matmul");
        try {
            System.setProperty("steering.matmul", "op");
            assertEquals(Kernel.OP, MatmulKernels.fromSystemProperty().choose(2, 2, 2, false, false).kernel());
            System.setProperty("steering.matmul", "fastest");
            var e = assertThrows(IllegalArgumentException.class, MatmulKernels::fromSystemProperty);
            assertTrue(e.getMessage().contains("-Dsteering.matmul=fastest"), e.getMessage());
            System.setProperty("steering.matmul", "auto");
            assertTrue(MatmulKernels.fromSystemProperty().choose(2, 2, 2, false, false).trial() != null);
            System.clearProperty("steering.matmul");
            // the default: the fixed rule, never measuring, the same kernel every time
            MatmulKernels rule = MatmulKernels.fromSystemProperty();
            MatmulKernels.Choice c = rule.choose(8, 768, 50304, false, true);
            assertFalse(c.timed());
            assertEquals(c.kernel(), rule.choose(8, 768, 50304, false, true).kernel());
        } finally {
            if (old == null) {
                System.clearProperty("steering.matmul");
            } else {
                System.setProperty("steering.matmul", old);
            }
        }
    }
}
