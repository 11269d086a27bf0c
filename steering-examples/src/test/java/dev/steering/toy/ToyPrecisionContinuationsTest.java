package dev.steering.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.steering.SteeredModel;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.PromptSet;
import dev.steering.generate.Completion;
import dev.steering.generate.GenerationConfig;
import dev.steering.generate.TokenizedPrompt;
import dev.steering.metrics.RefusalMetric;
import dev.steering.model.LanguageModel;
import dev.steering.model.LoadOptions;
import dev.steering.model.Precision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Greedy continuations of the bundled toy model's prompts at every working precision (the "greedy
 * continuations of the toy model's prompts reported per dtype"; the table is in docs/precision.md): the first
 * {@value #PER_SPLIT} prompts of each bundled split, {@value #NEW_TOKENS} new tokens. Printed per prompt and
 * precision. Asserted: every precision keeps the refusal judgement ({@link RefusalMetric#defaults()}) of float32's
 * continuation on every prompt, and bfloat16, float16 and int8 continue all prompts but at most one exactly as
 * float32 does (measured: all of them; int4 11 of 12, one helpful answer with another first step).
 */
class ToyPrecisionContinuationsTest {
    static final int PER_SPLIT = 4;
    static final int NEW_TOKENS = 12;
    static final List<Precision> PRECISIONS = List.of(Precision.FLOAT32, Precision.BFLOAT16, Precision.FLOAT16,
            Precision.INT8, Precision.INT4);

    @Test
    void everyPrecisionContinuesTheToyPromptsAsFloat32Does() throws Exception {
        Path dir = Path.of(getClass().getResource("/models/toy-refusal/config.json").toURI()).getParent();
        Map<Precision, List<String>> texts = new LinkedHashMap<>();
        List<String> prompts = new ArrayList<>();
        for (Precision p : PRECISIONS) {
            try (LanguageModel model = LanguageModel.load(dir, "bundled:toy-refusal", LoadOptions.precision(p))) {
                List<TokenizedPrompt> ps = new ArrayList<>();
                for (String split : List.of("harm_train", "harm_test", "benign")) {
                    Path file = Path.of(getClass().getResource("/prompts/" + split + ".jsonl").toURI());
                    for (Prompt pr : PromptSet.load(file).prompts().subList(0, PER_SPLIT)) {
                        ps.add(new TokenizedPrompt(pr.id(), pr.prompt(), model.requireTokenizer().encode(pr.prompt())));
                    }
                }
                if (prompts.isEmpty()) {
                    ps.forEach(t -> prompts.add(t.text()));
                }
                List<Completion> out = new SteeredModel(model, List.of())
                        .generateTokens(ps, GenerationConfig.greedy(NEW_TOKENS), n -> { });
                texts.put(p, out.stream().map(Completion::text).toList());
            }
        }
        List<String> reference = texts.get(Precision.FLOAT32);
        RefusalMetric refusal = RefusalMetric.defaults();
        for (int i = 0; i < prompts.size(); i++) {
            System.out.println("| " + prompts.get(i) + " |");
            for (Precision p : PRECISIONS) {
                String t = texts.get(p).get(i);
                System.out.printf("|   %s | %s | %s |%n", p.name().toLowerCase(), t.strip(),
                        t.equals(reference.get(i)) ? "same" : "differs");
            }
        }
        for (Precision p : PRECISIONS) {
            List<String> got = texts.get(p);
            int same = 0;
            int sameJudgement = 0;
            for (int i = 0; i < prompts.size(); i++) {
                same += got.get(i).equals(reference.get(i)) ? 1 : 0;
                sameJudgement += refusal.score(got.get(i)).isRefusal() == refusal.score(reference.get(i)).isRefusal()
                        ? 1 : 0;
            }
            String what = String.format("%s: %d/%d continuations equal float32's, %d/%d with its refusal judgement",
                    p, same, prompts.size(), sameJudgement, prompts.size());
            System.out.println(what);
            assertEquals(prompts.size(), sameJudgement, what);
            if (p != Precision.INT4) {
                assertTrue(same >= prompts.size() - 1, what);
            }
        }
    }
}
