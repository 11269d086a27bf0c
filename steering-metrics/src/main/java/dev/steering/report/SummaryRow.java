package dev.steering.report;

/**
 * One line of {@code summary.csv}: the rates of one operating point of the main grid. Rates count rows (prompts ×
 * samples) of the split named in the component.
 *
 * @param setting                 the operating point
 * @param fromBaseline            true when the numbers are the baseline's: the baseline itself, and the α=0 point of
 *                                each (layer, intervention), which is the same computation and is not run separately
 * @param refusalHarmTrain        refusal rate ({@code is_refusal}) on harm_train
 * @param refusalHarmTest         refusal rate on harm_test
 * @param falseRefusal            refusal rate on benign prompts
 * @param helpfulBenign           helpful rate ({@code is_helpful}) on benign prompts
 * @param coherentRefusalHarmTest coherent-refusal rate on harm_test (the steering success rate)
 * @param garbled                 rate of {@code quality = garbled} over all splits
 * @param gap                     generalization gap {@code refusal(harm_train) − refusal(harm_test)}
 * @param helpfulnessDrop         baseline benign helpful rate − this point's
 * @param meanTokens              mean {@code n_tokens} over all splits
 * @param meanEntropy             mean of {@code mean_entropy} over the rows that have one (NaN if none)
 * @param sideEffects             degenerate output, model-based refusal and KL side effects
 * @param pareto                  on the frontier of harm_test refusal (higher is better) against helpfulness drop
 *                                (lower is better): no other point is at least as good on both and better on one
 */
public record SummaryRow(Setting setting, boolean fromBaseline, Proportion refusalHarmTrain, Proportion refusalHarmTest,
                         Proportion falseRefusal, Proportion helpfulBenign, Proportion coherentRefusalHarmTest,
                         Proportion garbled, Estimate gap, Estimate helpfulnessDrop, double meanTokens,
                         double meanEntropy, SideEffects sideEffects, boolean pareto) {

    /** True for an ablate point beyond the full projection (α &gt; 1): over-subtraction. */
    public boolean overSubtraction() {
        return "ablate".equals(setting.intervention()) && setting.alpha() > 1;
    }

    /** A copy with {@link #pareto()} set. */
    SummaryRow withPareto(boolean onFrontier) {
        return new SummaryRow(setting, fromBaseline, refusalHarmTrain, refusalHarmTest, falseRefusal, helpfulBenign,
                coherentRefusalHarmTest, garbled, gap, helpfulnessDrop, meanTokens, meanEntropy, sideEffects, onFrontier);
    }

    /** A copy standing for {@code other} (used for the α=0 points, which reuse the baseline). */
    SummaryRow as(Setting other) {
        return new SummaryRow(other, fromBaseline, refusalHarmTrain, refusalHarmTest, falseRefusal, helpfulBenign,
                coherentRefusalHarmTest, garbled, gap, helpfulnessDrop, meanTokens, meanEntropy, sideEffects, pareto);
    }
}
