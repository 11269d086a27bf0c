package dev.steering.model;

import dev.steering.direction.SteeringVector;
import dev.steering.hooks.Ablate;
import dev.steering.hooks.ActivationEdit;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.Intervention;
import dev.steering.hooks.Positions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Edits as run-time data: one graph per model, whatever the edits; hooks edit copies; user interventions. */
class EngineTest {
    private static final long[] TOKENS = {510, 3158, 8516, 30013, 27287};

    private static SteeringVector vector(int dim) {
        float[] v = new float[dim];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.cos(0.7 * i + 0.3);
        }
        return SteeringVector.of(v);
    }

    @Test
    void anAlphaSweepBuildsOneGraphAndEachAlphaChangesTheLogits() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            SteeringVector v = vector(model.config().hiddenSize());
            long before = LanguageModel.graphsBuilt();
            List<float[]> logits = new ArrayList<>();
            for (double alpha : new double[]{0, 1, 2, 4, 8, 16}) {
                ForwardGraph g = model.graph(List.of(Edit.everywhere(HookPoint.residPost(1), Add.alpha(alpha), v)));
                logits.add(g.run(ForwardInputs.single(TOKENS), null, List.of()).logits().data().asFloat());
            }
            assertEquals(1, LanguageModel.graphsBuilt() - before, "six alphas, one graph");
            for (int i = 1; i < logits.size(); i++) {
                assertFalse(java.util.Arrays.equals(logits.get(i - 1), logits.get(i)), "alpha #" + i + " differs");
            }
            float[] base = model.graph(List.of()).run(ForwardInputs.single(TOKENS), null, List.of()).logits()
                    .data().asFloat();
            assertArrayEquals(base, logits.get(0), "alpha 0 is the baseline bit for bit");
            assertEquals(1, LanguageModel.graphsBuilt() - before);
        }
    }

    @Test
    void anEditChangesItsHookAndWhatFollowsButNotTheSameValueReadAtAnEarlierHook() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            SteeringVector v = vector(model.config().hiddenSize());
            List<HookPoint> read = List.of(HookPoint.residPost(0), HookPoint.residPre(1), HookPoint.residPost(1));
            ForwardResult base = model.graph(List.of()).run(ForwardInputs.single(TOKENS), null, read);
            Edit e = Edit.everywhere(HookPoint.residPre(1), Add.alpha(3), v);
            ForwardResult edited = model.graph(List.of(e)).run(ForwardInputs.single(TOKENS), null, read);
            assertArrayEquals(base.hooks().get(HookPoint.residPost(0)).data().asFloat(),
                    edited.hooks().get(HookPoint.residPost(0)).data().asFloat(), "resid_post[0] is before the edit");
            INDArray delta = edited.hooks().get(HookPoint.residPre(1)).sub(base.hooks().get(HookPoint.residPre(1)));
            float[] unit = v.scaledUnit(3);
            for (int pos = 0; pos < TOKENS.length; pos++) {
                for (int j = 0; j < unit.length; j++) {
                    assertEquals(unit[j], delta.getFloat(0, pos, j), 1e-5, "resid_pre[1] moved by 3·v̂");
                }
            }
            assertFalse(java.util.Arrays.equals(base.hooks().get(HookPoint.residPost(1)).data().asFloat(),
                    edited.hooks().get(HookPoint.residPost(1)).data().asFloat()));
        }
    }

    @Test
    void editsComposeInOrderAndViewsWithDifferentEditsShareTheEngine() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt2-tiny"))) {
            SteeringVector v = vector(model.config().hiddenSize());
            HookPoint h = HookPoint.residPost(0);
            ForwardGraph addThenAblate = model.graph(List.of(Edit.everywhere(h, Add.alpha(5), v),
                    Edit.everywhere(h, Ablate.alpha(1), v)));
            ForwardGraph add = model.graph(List.of(Edit.everywhere(h, Add.alpha(5), v)));
            assertTrue(addThenAblate.engine() == add.engine());
            INDArray x = addThenAblate.run(ForwardInputs.single(TOKENS), null, List.of(h)).hooks().get(h);
            float[] u = v.unit();
            for (int pos = 0; pos < TOKENS.length; pos++) {
                double dot = 0;
                for (int j = 0; j < u.length; j++) {
                    dot += x.getFloat(0, pos, j) * u[j];
                }
                assertEquals(0, dot, 1e-4, "ablation after the add removes the whole projection");
            }
            float[] first = add.run(ForwardInputs.single(TOKENS), null, List.of()).logits().data().asFloat();
            addThenAblate.run(ForwardInputs.single(TOKENS), null, List.of());
            assertArrayEquals(first, add.run(ForwardInputs.single(TOKENS), null, List.of()).logits().data().asFloat(),
                    "interleaved views do not disturb each other");
        }
    }

    /** Zeroes the selected rows: a user-defined intervention in plain Java. */
    record Zero() implements Intervention {
        @Override
        public ActivationEdit bind(SteeringVector direction) {
            return x -> {
                float[] zeros = new float[x.width()];
                for (int r = 0; r < x.rows(); r++) {
                    if (x.selected(r)) {
                        x.write(r, zeros);
                    }
                }
            };
        }

        @Override
        public String describe() {
            return "zero";
        }

        @Override
        public String kind() {
            return "zero";
        }

        @Override
        public double strength() {
            return 0;
        }
    }

    @Test
    void aUserInterventionEditsOnlyItsPositions() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            HookPoint h = HookPoint.attnOut(0);
            Edit e = new Edit(h, new Zero(), vector(model.config().hiddenSize()), Positions.lastPromptToken());
            ForwardResult base = model.graph(List.of()).run(ForwardInputs.single(TOKENS), null, List.of(h));
            INDArray x = model.graph(List.of(e)).run(ForwardInputs.single(TOKENS), null, List.of(h)).hooks().get(h);
            INDArray b = base.hooks().get(h);
            for (int pos = 0; pos < TOKENS.length; pos++) {
                for (int j = 0; j < x.size(2); j++) {
                    float want = pos == TOKENS.length - 1 ? 0f : b.getFloat(0, pos, j);
                    assertEquals(want, x.getFloat(0, pos, j), 0f, "position " + pos);
                }
            }
        }
    }

    @Test
    void anInterventionWritingOutsideItsRowsFailsWithAnException() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            Intervention bad = new Intervention() {
                @Override
                public ActivationEdit bind(SteeringVector direction) {
                    return x -> x.write(x.rows(), new float[x.width()]);
                }

                @Override
                public String describe() {
                    return "bad";
                }

                @Override
                public String kind() {
                    return "bad";
                }

                @Override
                public double strength() {
                    return 0;
                }
            };
            Edit e = Edit.everywhere(HookPoint.residPost(0), bad, vector(model.config().hiddenSize()));
            ForwardGraph g = model.graph(List.of(e));
            RuntimeException ex = assertThrows(RuntimeException.class,
                    () -> g.run(ForwardInputs.single(TOKENS), null, List.of()));
            assertTrue(String.valueOf(ex.getMessage()).contains("row"), ex.getMessage());
        }
    }

    @Test
    void aClosedModelRefusesCallsWithAMessage() {
        LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"));
        ForwardGraph g = model.graph(List.of());
        model.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> g.run(ForwardInputs.single(TOKENS), null, List.of()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> model.graph(List.of()));
    }
}
