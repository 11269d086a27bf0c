package dev.steering.direction;

import com.fasterxml.jackson.databind.JsonNode;
import dev.steering.hooks.HookPoint;
import dev.steering.model.LanguageModel;
import dev.steering.model.Reference;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContrastivePrefixTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt-neox-tiny", "gpt2-tiny"})
    void matchesTheReferenceDirectionAtEveryLayer(String fixture) {
        try (Reference ref = Reference.open(fixture); LanguageModel model = LanguageModel.load(Reference.fixture(fixture))) {
            JsonNode c = ref.json.get("contrastive");
            ContrastivePrefix method = ContrastivePrefix.defaults().promptTokens(ref.prompts())
                    .prefixTokens(longs(c.get("refusal_prefix")), longs(c.get("compliance_prefix")));
            for (int l = 0; l < model.config().numLayers(); l++) {
                SteeringVector v = method.compute(model, HookPoint.residPost(l));
                Reference.assertClose(ref.tensor("contrastive.layer" + l + ".raw"), Nd4j.createFromArray(v.raw()),
                        fixture + " layer " + l + " raw");
                Reference.assertClose(ref.tensor("contrastive.layer" + l + ".unit"), Nd4j.createFromArray(v.unit()),
                        fixture + " layer " + l + " unit");
                assertEquals("prefix_last", v.metadata().get("position"));
            }
        }
    }

    @Test
    void lastPromptTokenIsRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ContrastivePrefix.defaults().position(ContrastivePrefix.Position.LAST_PROMPT_TOKEN));
        assertTrue(e.getMessage().contains("exactly zero"), e.getMessage());
    }

    @Test
    void identicalPrefixesGiveAZeroDirectionError() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            ContrastivePrefix same = ContrastivePrefix.defaults().promptTokens(List.of(new long[]{1, 2, 3}))
                    .prefixTokens(new long[]{5, 6}, new long[]{5, 6});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> same.compute(model, HookPoint.residPost(1)));
            assertTrue(e.getMessage().contains("~0"), e.getMessage());
        }
    }

    @Test
    void textPromptsUseTheTokenizer() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            SteeringVector v = ContrastivePrefix.defaults().compute(model, HookPoint.residPost(2));
            assertEquals(32, v.dim());
            assertEquals("20", v.metadata().get("n_prompts"));
        }
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).longValue();
        }
        return out;
    }
}
