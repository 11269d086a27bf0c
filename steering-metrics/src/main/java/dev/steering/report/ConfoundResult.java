package dev.steering.report;

/**
 * The linear-probability model {@code is_refusal ~ steered [+ n_tokens + mean_entropy]} on the harm_test rows of the
 * baseline and one condition ({@code steered} = 1 for the condition's rows). If the refusal change were explained by
 * shorter or lower-entropy outputs, the steered coefficient would shrink towards 0 once the controls are added.
 *
 * @param setting           the condition
 * @param n                 rows in the model
 * @param steeredAlone      the steered coefficient without controls (= the difference in refusal rates)
 * @param steeredControlled the steered coefficient with the controls (the partial effect); NaN if not estimable
 * @param steeredControlledSe its standard error; NaN if not estimable
 * @param perToken          the coefficient of {@code n_tokens}
 * @param perEntropy        the coefficient of {@code mean_entropy}; NaN when entropy was not recorded
 * @param note              why something is NaN, or empty
 */
public record ConfoundResult(Setting setting, int n, double steeredAlone, double steeredControlled,
                             double steeredControlledSe, double perToken, double perEntropy, String note) {

    /** The share of the raw effect that the controls account for: {@code 1 − controlled / alone}. */
    public double explainedShare() {
        return steeredAlone == 0 ? Double.NaN : 1 - steeredControlled / steeredAlone;
    }
}
