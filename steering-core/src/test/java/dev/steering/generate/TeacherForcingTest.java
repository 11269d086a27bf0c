package dev.steering.generate;

import dev.steering.direction.SteeringVector;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.model.ForwardInputs;
import dev.steering.model.LanguageModel;
import dev.steering.model.Reference;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Teacher-forced logits: the right rows, batching-invariant, and the edits applied. */
class TeacherForcingTest {
    static LanguageModel model;
    static final List<long[]> PROMPTS = List.of(new long[]{2347, 513, 309, 1056}, new long[]{510, 3158}, new long[]{7});
    static final List<long[]> CONTINUATIONS = List.of(new long[]{247, 15221}, new long[]{}, new long[]{42, 717, 247});

    @BeforeAll
    static void load() {
        model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** The logits of one unpadded sequence at every position (ForwardInputs.single). */
    private static float[][] single(List<Edit> edits, long[] prompt, long[] cont) {
        long[] seq = new long[prompt.length + cont.length];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(cont, 0, seq, prompt.length, cont.length);
        return model.graph(edits).run(ForwardInputs.single(seq), null, List.of()).logits().toFloatMatrix();
    }

    @Test
    void rowsArePositionsFromTheLastPromptTokenOnAndBatchingChangesNothing() {
        float[] raw = new float[model.config().hiddenSize()];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (float) Math.sin(0.3 * i);
        }
        List<Edit> edits = List.of(Edit.everywhere(HookPoint.residPost(1), Add.alpha(4), SteeringVector.of(raw)));
        for (List<Edit> e : List.of(List.<Edit>of(), edits)) {
            List<float[][]> batched = TeacherForcing.of(model, 3).logits(e, PROMPTS, CONTINUATIONS);
            List<float[][]> oneByOne = TeacherForcing.of(model, 1).logits(e, PROMPTS, CONTINUATIONS);
            for (int i = 0; i < PROMPTS.size(); i++) {
                float[][] ref = single(e, PROMPTS.get(i), CONTINUATIONS.get(i));
                assertEquals(CONTINUATIONS.get(i).length + 1, batched.get(i).length);
                for (int j = 0; j < batched.get(i).length; j++) {
                    float[] want = ref[PROMPTS.get(i).length - 1 + j];
                    assertArrayEquals(want, batched.get(i)[j], 1e-4f, "sequence " + i + " row " + j);
                    assertArrayEquals(want, oneByOne.get(i)[j], 1e-4f, "sequence " + i + " row " + j);
                }
            }
        }
        float[][] plain = TeacherForcing.of(model, 2).logits(List.of(), PROMPTS, CONTINUATIONS).get(0);
        float[][] steered = TeacherForcing.of(model, 2).logits(edits, PROMPTS, CONTINUATIONS).get(0);
        double diff = 0;
        for (int k = 0; k < plain[0].length; k++) {
            diff = Math.max(diff, Math.abs(plain[0][k] - steered[0][k]));
        }
        assertTrue(diff > 1e-3, "the edit changes the logits");
    }

    @Test
    void mismatchedListsAreAnError() {
        assertThrows(IllegalArgumentException.class,
                () -> TeacherForcing.of(model, 2).logits(List.of(), PROMPTS, CONTINUATIONS.subList(0, 1)));
        assertThrows(IllegalArgumentException.class, () -> TeacherForcing.of(model, 0));
    }
}
