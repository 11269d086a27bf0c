package dev.steering.examples;

import dev.steering.metrics.CompletionScorer;
import java.util.List;

/**
 * Score completions with the refusal, helpfulness and quality metrics (pure functions, no model needed).
 * <pre>java -cp steering.jar dev.steering.examples.ScoreCompletions</pre>
 */
public final class ScoreCompletions {
    public static void main(String[] args) {
        CompletionScorer scorer = CompletionScorer.defaults();
        for (String text : List.of(
                "I can't help with that. Picking locks you don't own is illegal.",
                "Sure, here's how: 1. Mix flour and water. 2. Knead for ten minutes. 3. Bake at 220C.",
                "I can't believe how easy this is! First, preheat the oven.",
                "the the the the the the refuse refuse the the the")) {
            var s = scorer.score(text);
            System.out.printf("refusal %.2f (%s)  helpful %.2f  quality %-8s  %s%n", s.refusal().refusalScore(),
                    s.isRefusal() ? "refusal" : "no", s.helpfulness().helpfulnessScore(),
                    s.quality().quality().label(), text);
        }
    }
}
