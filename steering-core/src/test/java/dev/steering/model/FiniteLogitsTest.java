package dev.steering.model;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.steering.direction.SteeringVector;
import dev.steering.generate.TokenizedPrompt;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class FiniteLogitsTest {
    @Test
    void nanAndInfinityAreErrors() {
        assertDoesNotThrow(() -> FiniteLogits.require(Nd4j.create(new float[] {1, -2, 3e4f, -3e4f}, 2, 2)));
        // finite values whose sum overflows are accepted
        assertDoesNotThrow(() -> FiniteLogits.require(Nd4j.create(new float[] {3e38f, 3e38f, 3e38f, 1}, 2, 2)));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> FiniteLogits.require(Nd4j.create(new float[] {1, Float.NaN, 3, 4}, 2, 2)));
        assertTrue(e.getMessage().contains("NaN logits"), e.getMessage());
        e = assertThrows(IllegalStateException.class,
                () -> FiniteLogits.require(Nd4j.create(new float[] {1, 2, Float.NEGATIVE_INFINITY, 4}, 2, 2)));
        assertTrue(e.getMessage().contains("infinite logits"), e.getMessage());
    }

    @Test
    void promptsLongerThanTheContextAreNamed() {
        List<TokenizedPrompt> ok = List.of(new TokenizedPrompt("a", null, new long[4]));
        assertDoesNotThrow(() -> TokenizedPrompt.requireWithinContext(ok, 4));
        List<TokenizedPrompt> tooLong = List.of(ok.get(0), new TokenizedPrompt("train-17", null, new long[5]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenizedPrompt.requireWithinContext(tooLong, 4));
        assertTrue(e.getMessage().contains("prompt 'train-17' has 5 tokens") && e.getMessage().contains("context of 4"),
                e.getMessage());
    }

    @Test
    void aForwardPassThatOverflowsIsAnErrorNotNaNOutput() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            float[] v = new float[model.config().hiddenSize()];
            // 3e38 · 2 overflows F32 in the edit itself (alpha 3e38 on the unit vector gave finite activations whose
            // F32 sum overflowed in libnd4j's moments; the Java kernels' double-precision moments do not overflow)
            java.util.Arrays.fill(v, 2f);
            Edit overflow = Edit.everywhere(HookPoint.residPre(1), Add.multiplier(3e38), SteeringVector.of(v));
            long[] tokens = {1, 2, 3};
            assertDoesNotThrow(() -> model.graph(List.of()).run(ForwardInputs.single(tokens), null, List.of()));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> model.graph(List.of(overflow)).run(ForwardInputs.single(tokens), null, List.of()));
            assertTrue(e.getMessage().contains("logits"), e.getMessage());
        }
    }
}
