package dev.steering.model;

import dev.steering.direction.SteeringVector;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.generate.Generator;
import java.util.List;
import java.lang.management.ManagementFactory;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Native memory has an owner: loading, running and closing a model gives its memory back. */
class ModelMemoryTest {
    private static final long MB = 1 << 20;

    @Test
    void fiftyLoadRunCloseCyclesReturnNativeMemory() {
        for (int i = 0; i < 5; i++) {
            cycle();                                // warm up: libraries, JIT, ND4J's one-time buffers and caches
        }
        long tracked0 = Pointer.totalBytes();
        long native0 = nativeBytes();
        for (int i = 0; i < 50; i++) {
            cycle();
        }
        long tracked = Pointer.totalBytes() - tracked0;
        long grown = nativeBytes() - native0;
        assertTrue(tracked < 64 * MB, "JavaCPP-tracked native memory grew by " + tracked / MB + " MB");
        assertTrue(grown < 64 * MB, "native memory (physical less the JVM's committed heap) grew by "
                + grown / MB + " MB");
    }

    /**
     * Resident bytes that are not the JVM's own heap and non-heap areas, after a GC and a pause for ND4J's
     * deallocator thread (arrays a call created and nobody closed are freed when collected).
     */
    private static long nativeBytes() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        var mx = ManagementFactory.getMemoryMXBean();
        return Pointer.physicalBytes() - mx.getHeapMemoryUsage().getCommitted()
                - mx.getNonHeapMemoryUsage().getCommitted();
    }

    private static void cycle() {
        try (LanguageModel m = LanguageModel.load(Reference.fixture("gpt2-tiny"))) {       // 6.5 MB of F32 weights
            float[] v = new float[m.config().hiddenSize()];
            v[0] = 1;
            ForwardGraph g = m.graph(List.of(Edit.everywhere(HookPoint.residPost(0), Add.alpha(2), SteeringVector.of(v))));
            new Generator(g, null, 0, -1).greedy(List.of(new long[]{1, 2, 3}, new long[]{4, 5}), 4);
        }
    }
}
