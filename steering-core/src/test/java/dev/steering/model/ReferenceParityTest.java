package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.steering.direction.SteeringVector;
import dev.steering.generate.Generator;
import dev.steering.hooks.Ablate;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.Intervention;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Every architecture against its fixture's PyTorch reference: logits, every hook, steered logits, greedy. */
class ReferenceParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt-neox-tiny", "gpt-neox-tiny-bin", "gpt2-tiny",
            "llama-family/qwen2-tiny", "llama-family/llama-tiny", "llama-family/phi3-tiny", "llama-family/gemma2-tiny"})
    void logitsAndEveryHookMatchTheReference(String fixture) {
        try (Reference ref = Reference.open(referenceFor(fixture));
             LanguageModel model = LanguageModel.load(Reference.fixture(fixture))) {
            List<HookPoint> hooks = HookPoint.all(model.config().numLayers()).stream()
                    .filter(h -> h.kind() != HookPoint.Kind.LN_FINAL).toList();
            List<long[]> prompts = ref.prompts();
            for (int j = 0; j < prompts.size(); j++) {
                long[] p = prompts.get(j);
                ForwardResult res = model.graph(List.of()).run(ForwardInputs.single(p), null, hooks);
                String pre = "p" + j + ".";
                Reference.assertClose(ref.tensor(pre + "logits.last"), res.logits().getRow(p.length - 1),
                        fixture + " " + pre + "logits.last");
                Reference.assertClose(ref.tensor(pre + "logits.first512"),
                        res.logits().get(NDArrayIndex.all(), NDArrayIndex.interval(0, 512)),
                        fixture + " " + pre + "logits.first512");
                for (HookPoint h : hooks) {
                    // every fixture has the residual hooks; attn/mlp outputs where the reference recorded them
                    if (h.isResidual() || ref.tensors.contains(pre + h.name())) {
                        Reference.assertClose(ref.tensor(pre + h.name()), res.hooks().get(h).slice(0),
                                fixture + " " + pre + h.name());
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-neox-tiny", "gpt2-tiny",
            "llama-family/qwen2-tiny", "llama-family/llama-tiny", "llama-family/phi3-tiny", "llama-family/gemma2-tiny"})
    void steeredLogitsAndGreedyContinuationsMatchTheReference(String fixture) {
        try (Reference ref = Reference.open(fixture);
             LanguageModel model = LanguageModel.load(Reference.fixture(fixture))) {
            SteeringVector v = SteeringVector.of(ref.tensor("steer.v").data().asFloat());
            List<long[]> prompts = ref.prompts();
            int checked = 0;
            for (JsonNode c : ref.json.get("cases")) {
                long[] p = prompts.get(c.get("prompt").intValue());
                List<Edit> edits = List.of();
                String what = fixture + " prompt " + c.get("prompt") + " unsteered";
                if (c.has("kind")) {
                    double alpha = c.get("alpha").doubleValue();
                    Intervention iv = c.get("kind").textValue().equals("add") ? Add.alpha(alpha) : Ablate.alpha(alpha);
                    edits = List.of(Edit.everywhere(HookPoint.parse(c.get("hook").textValue()), iv, v));
                    what = fixture + " " + c.get("logits_last").textValue();
                    ForwardResult res = model.graph(edits).run(ForwardInputs.single(p), null, List.of());
                    Reference.assertClose(ref.tensor(c.get("logits_last").textValue()),
                            res.logits().getRow(p.length - 1), what);
                }
                int n = Reference.reliableSteps(c);
                long[] expected = Arrays.copyOf(toLongs(c.get("greedy10")), n);
                long[] got = new Generator(model.graph(edits), null, 0, -1).greedy(List.of(p), 10).get(0);
                assertArrayEquals(expected, Arrays.copyOf(got, n), what + ": greedy tokens");
                checked++;
            }
            org.junit.jupiter.api.Assertions.assertTrue(checked >= 5, "cases checked: " + checked);
        }
    }

    /** The {@code -bin} fixture shares the references of the safetensors one. */
    private static String referenceFor(String fixture) {
        return fixture.endsWith("-bin") ? fixture.substring(0, fixture.length() - 4) : fixture;
    }

    static long[] toLongs(JsonNode arr) {
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).longValue();
        }
        return out;
    }
}
