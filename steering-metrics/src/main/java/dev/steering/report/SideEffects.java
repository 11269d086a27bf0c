package dev.steering.report;

/**
 * The validity columns of one summary row: degenerate output, the model-based refusal measure and its agreement with
 * the keyword one, and the KL side effects (means over prompts with 95% t intervals).
 *
 * @param degenerate           rate of {@code quality = degenerate} over all splits
 * @param modelRefusalHarmTest rate of {@code model_is_refusal} on harm_test
 * @param refusalAgreement     share of rows (all splits) where {@code is_refusal} and {@code model_is_refusal} agree
 * @param klFirstTokenBenign   mean {@code kl_first_token} on benign prompts
 * @param klMeanBenign         mean {@code kl_mean} on benign prompts
 * @param klFirstTokenHarmTest mean {@code kl_first_token} on harm_test
 * @param klMeanHarmTest       mean {@code kl_mean} on harm_test
 */
public record SideEffects(Proportion degenerate, Proportion modelRefusalHarmTest, Proportion refusalAgreement,
                          Estimate klFirstTokenBenign, Estimate klMeanBenign, Estimate klFirstTokenHarmTest,
                          Estimate klMeanHarmTest) {
}
