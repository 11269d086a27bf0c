package dev.steering.model;

import dev.steering.model.compact.CompactMatrix;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.RandomTensors;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The memory estimate made before a load, and the one-line refusal when the weights cannot fit. */
class WeightBudgetTest {
    private static final long GIB = 1L << 30;

    private static RandomTensors tensors() {
        return new RandomTensors(List.of(RandomTensors.Init.normal("model.embed_tokens.weight", 0.02, 100, 64),
                RandomTensors.Init.normal("model.layers.0.mlp.down_proj.weight", 0.1, 64, 40),
                RandomTensors.Init.constant("model.norm.weight", 1f, 64)), 0);
    }

    @Test
    void compactMatricesCountOnTheHeapAtTheirStorageSize() {
        var e = WeightBudget.estimate(tensors(), StorageType.INT4);
        long expected = CompactMatrix.storageBytes(StorageType.BF16, 100, 64)           // embeddings stay 16-bit
                + CompactMatrix.storageBytes(StorageType.INT4, 64, 40) + 4L * 100 * 64;  // + the block buffer
        assertEquals(expected, e.heapBytes());
        assertEquals(4L * 64, e.nativeBytes());
        var f32 = WeightBudget.estimate(tensors(), null);
        assertEquals(0, f32.heapBytes());
        assertEquals(4L * (100 * 64 + 64 * 40 + 64), f32.nativeBytes());
    }

    @Test
    void aHeapTooSmallIsRefusedWithTheFlagThatFits() {
        var e = new WeightBudget.Estimate((long) (5.4 * GIB), 10L << 20);
        assertNull(WeightBudget.problem("qwen2.5-7b", StorageType.INT4, e, 18 * GIB, GIB / 10, 24 * GIB));
        assertEquals("qwen2.5-7b in int4 needs ~5.4 GiB of Java heap, this JVM allows 5.0 GiB (0.1 GiB in use): "
                        + "run java with -Xmx7g",
                WeightBudget.problem("qwen2.5-7b", StorageType.INT4, e, 5 * GIB, GIB / 10, 24 * GIB));
        String tooBig = WeightBudget.problem("m", StorageType.F32, new WeightBudget.Estimate(0, 30 * GIB), 6 * GIB, 0,
                24 * GIB);
        assertTrue(tooBig.startsWith("m in float32 needs ~30.0 GiB for its weights (0.0 GiB of Java heap, 30.0 GiB of "
                + "native F32 arrays), this machine has 24.0 GiB"), tooBig);
    }

    @Test
    void theCheckThrowsBeforeAnythingIsAllocated() {
        long rows = Runtime.getRuntime().maxMemory() / 64 + 1;    // an INT8 matrix larger than the heap
        RandomTensors huge = new RandomTensors(List.of(RandomTensors.Init.normal("w.weight", 0.1, rows, 64)), 0);
        var ex = assertThrows(InsufficientMemoryException.class, () -> WeightBudget.check("huge", huge,
                StorageType.INT8));
        assertTrue(ex.getMessage().startsWith("huge in int8 needs ~"), ex.getMessage());
    }
}
