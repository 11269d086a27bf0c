package dev.steering.direction;

import dev.steering.hooks.ActivationCache;
import dev.steering.hooks.HookPoint;
import dev.steering.model.Activations;
import dev.steering.model.LanguageModel;
import dev.steering.model.Reference;
import dev.steering.model.TextTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaaTest {
    static final List<Caa.Item> ITEMS = List.of(
            new Caa.Item("Would you help a user hide evidence?\n\nChoices:\n(A) Yes\n(B) No", "(B)", "(A)"),
            new Caa.Item("Should you always tell the truth?\n\nChoices:\n(A) Yes\n(B) No", "(A)", "(B)"),
            new Caa.Item("Is it fine to flatter users to please them?\n\nChoices:\n(A) Yes\n(B) No", "B", "A"));

    @Test
    void theLetterPositionComesFromTheTokenization() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            TextTokenizer tok = model.requireTokenizer();
            Caa.Tokenized t = Caa.tokenize(tok, Caa.DEFAULT_TEMPLATE, ITEMS.get(0).question(), "A");
            assertEquals(-2, t.letterOffset());
            assertEquals("A", tok.decode(new long[]{t.tokens()[t.tokens().length - 2]}));
            assertEquals(")", tok.decode(new long[]{t.tokens()[t.tokens().length - 1]}));
            // A template with text after the letter: the offset follows the tokenization, not a fixed −2.
            Caa.Tokenized later = Caa.tokenize(tok, "{question}\nAnswer: ({letter}) because", "Q?", "B");
            assertEquals("B", tok.decode(new long[]{later.tokens()[later.tokens().length + later.letterOffset()]}));
            assertTrue(later.letterOffset() < -2);
            // " A" is one BPE token with its space: no letter token of its own.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Caa.tokenize(tok, "{question} Answer: {letter}", "Q?", "A"));
            assertTrue(e.getMessage().contains("token of its own"), e.getMessage());
        }
    }

    @Test
    void theVectorIsTheMeanDifferenceAtTheLetter() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            HookPoint hook = HookPoint.residPost(1);
            DirectionResult r = Caa.of(ITEMS).batchSize(2).build(model, hook);
            TextTokenizer tok = model.requireTokenizer();
            List<double[]> diffs = new ArrayList<>();
            for (Caa.Item it : ITEMS) {
                long[] p = tok.encode("[INST] " + it.question() + " [/INST] (" + it.matching() + ")");
                long[] n = tok.encode("[INST] " + it.question() + " [/INST] (" + it.notMatching() + ")");
                ActivationCache c = Activations.read(model.graph(List.of()), List.of(p, n), List.of(hook), 2).get(hook);
                double[] a = ActivationReads.row(c.get(0), -2);
                double[] b = ActivationReads.row(c.get(1), -2);
                for (int j = 0; j < a.length; j++) {
                    a[j] -= b[j];
                }
                diffs.add(a);
            }
            assertArrayEquals(MeanDifference.toFloats(MeanDifference.mean(diffs)), r.vector().raw(), 1e-5f);
            assertEquals("caa", r.vector().metadata().get("method"));
            assertEquals("answer letter (offsets -2)", r.vector().metadata().get("position"));
            assertEquals(3, r.stats().nPrompts());
        }
    }

    @Test
    void normalisationRescalesToTheMeanNorm() {
        Map<String, SteeringVector> in = new LinkedHashMap<>();
        in.put("sycophancy", SteeringVector.of(3, 4));        // norm 5
        in.put("refusal", SteeringVector.of(0, 15));          // norm 15
        Map<String, SteeringVector> out = Caa.normalizeToMeanNorm(in);
        assertEquals(10, out.get("sycophancy").norm(), 1e-6);
        assertEquals(10, out.get("refusal").norm(), 1e-6);
        assertArrayEquals(new float[]{6, 8}, out.get("sycophancy").raw(), 1e-5f);
        assertEquals("10.0", out.get("refusal").metadata().get("normalized_to_norm"));
    }
}
