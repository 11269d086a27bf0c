package dev.steering.model;

import dev.steering.direction.SteeringVector;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Invariants that hold for any weights: how hooks relate, and that a zero edit changes nothing. */
class HookInvariantsTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt-neox-tiny", "gpt2-tiny",
            "llama-family/qwen2-tiny", "llama-family/llama-tiny", "llama-family/phi3-tiny", "llama-family/gemma2-tiny"})
    void residPostOfOneBlockIsResidPreOfTheNextAndSumsItsParts(String fixture) {
        try (LanguageModel model = LanguageModel.load(Reference.fixture(fixture))) {
            int layers = model.config().numLayers();
            List<HookPoint> all = HookPoint.all(layers);
            long[] tokens = inVocab(model, 510, 3158, 8516, 30013, 27287, 689);
            ForwardResult res = model.graph(List.of()).run(ForwardInputs.single(tokens), null, all);
            for (int l = 0; l < layers; l++) {
                INDArray pre = res.hooks().get(HookPoint.residPre(l));
                INDArray post = res.hooks().get(HookPoint.residPost(l));
                if (l + 1 < layers) {
                    assertArrayEquals(post.data().asFloat(), res.hooks().get(HookPoint.residPre(l + 1)).data().asFloat(),
                            "resid_post[" + l + "] == resid_pre[" + (l + 1) + "]");
                }
                INDArray sum = pre.add(res.hooks().get(HookPoint.attnOut(l))).add(res.hooks().get(HookPoint.mlpOut(l)));
                Reference.assertClose(post, sum, fixture + " resid_post[" + l + "] = resid_pre + attn_out + mlp_out");
            }
            assertEquals(model.config().hiddenSize(), res.hooks().get(HookPoint.lnFinal()).size(2));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-neox-tiny", "gpt2-tiny",
            "llama-family/qwen2-tiny", "llama-family/llama-tiny", "llama-family/phi3-tiny", "llama-family/gemma2-tiny"})
    void addWithAlphaZeroChangesNothingBitForBit(String fixture) {
        try (LanguageModel model = LanguageModel.load(Reference.fixture(fixture))) {
            float[] v = new float[model.config().hiddenSize()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) Math.sin(i + 1.0);
            }
            long[] tokens = inVocab(model, 42, 717, 247, 1071, 15);
            List<HookPoint> read = List.of(HookPoint.residPost(1), HookPoint.lnFinal());
            ForwardResult base = model.graph(List.of()).run(ForwardInputs.single(tokens), null, read);
            Edit zero = Edit.everywhere(HookPoint.residPre(1), Add.alpha(0), SteeringVector.of(v));
            ForwardResult steered = model.graph(List.of(zero)).run(ForwardInputs.single(tokens), null, read);
            assertArrayEquals(base.logits().data().asFloat(), steered.logits().data().asFloat());
            for (HookPoint h : read) {
                assertArrayEquals(base.hooks().get(h).data().asFloat(), steered.hooks().get(h).data().asFloat(),
                        h.name());
            }
            // and a non-zero edit does change them, so the comparison above can fail
            Edit some = Edit.everywhere(HookPoint.residPre(1), Add.alpha(1), SteeringVector.of(v));
            ForwardResult moved = model.graph(List.of(some)).run(ForwardInputs.single(tokens), null, read);
            org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(base.logits().data().asFloat(),
                    moved.logits().data().asFloat()));
        }
    }

    /** The token ids modulo the model's vocabulary size (the fixtures' vocabularies range from 2048 to 50304). */
    private static long[] inVocab(LanguageModel model, long... ids) {
        return java.util.Arrays.stream(ids).map(t -> t % model.config().vocabSize()).toArray();
    }
}
