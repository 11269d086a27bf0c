package dev.steering.direction;

import dev.steering.generate.Completion;
import dev.steering.generate.GenerationConfig;
import dev.steering.hooks.HookPoint;
import dev.steering.model.LanguageModel;
import dev.steering.model.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

import static dev.steering.direction.DifferenceInMeansTest.HARMFUL;
import static dev.steering.direction.DifferenceInMeansTest.HARMLESS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutcomeConditionedTest {
    static final List<String> PROMPTS = new ArrayList<>();

    static {
        PROMPTS.addAll(HARMFUL);
        PROMPTS.addAll(HARMLESS);
    }

    @Test
    void anEmptyClassIsAClearError() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            OutcomeConditioned m = OutcomeConditioned.of(c -> true, "always").prompts(PROMPTS)
                    .generation(GenerationConfig.greedy(3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.build(model, HookPoint.residPost(1)));
            assertEquals("outcome-conditioned direction needs at least 2 refused and 2 complied completions, "
                    + "got 8 refused and 0 complied", e.getMessage());
        }
    }

    @Test
    void splitsPromptsByTheLabelOfTheirCompletions() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            // Label by a property of the completion: its mean log-probability above the median.
            OutcomeConditioned probe = OutcomeConditioned.of(c -> true, "probe").prompts(PROMPTS)
                    .generation(GenerationConfig.greedy(4));
            List<Completion> cs = probe.completions(model);
            double[] lp = cs.stream().mapToDouble(Completion::meanLogprob).sorted().toArray();
            double median = (lp[3] + lp[4]) / 2;
            Predicate<Completion> confident = c -> c.meanLogprob() > median;

            HookPoint hook = HookPoint.residPost(1);
            DirectionResult r = OutcomeConditioned.of(confident, "confident").prompts(PROMPTS)
                    .generation(GenerationConfig.greedy(4)).build(model, hook);
            List<long[]> yes = new ArrayList<>();
            List<long[]> no = new ArrayList<>();
            for (Completion c : cs) {
                (confident.test(c) ? yes : no).add(c.promptTokens());
            }
            assertTrue(yes.size() >= 2 && no.size() >= 2);
            var g = model.graph(List.of());
            double[] manual = MeanDifference.meanDifference(ActivationReads.rows(g, yes, hook, -1, 8),
                    ActivationReads.rows(g, no, hook, -1, 8));
            assertArrayEquals(MeanDifference.toFloats(manual), r.vector().raw(), 1e-5f);
            assertEquals(Integer.toString(yes.size()), r.vector().metadata().get("n_refused"));
            assertEquals("confident", r.vector().metadata().get("labeler"));
            assertEquals("-1", r.vector().metadata().get("position"));
        }
    }
}
