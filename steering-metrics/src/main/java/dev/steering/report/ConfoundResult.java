package dev.steering.report;

/**
 * The linear-probability model {@code is_refusal ~ steered [+ n_tokens + mean_entropy]} on the harm_test rows of the
 * baseline and one condition ({@code steered} = 1 for the condition's rows). If the refusal change were explained by
 * shorter or lower-entropy outputs, the steered coefficient would shrink towards 0 once the controls are added.
 *
 * @param setting           the condition
 * @param n                 rows in the model
 * @param steeredAlone      the steered coefficient without controls (= the difference in refusal rates)
 * @param steeredAloneSe    its standard error; NaN if not estimable
 * @param steeredControlled the steered coefficient with the controls (the partial effect); NaN if not estimable
 * @param steeredControlledSe its standard error; NaN if not estimable
 * @param perToken          the coefficient of {@code n_tokens}
 * @param perEntropy        the coefficient of {@code mean_entropy}; NaN when entropy was not recorded
 * @param note              why something is NaN, or empty
 */
public record ConfoundResult(Setting setting, int n, double steeredAlone, double steeredAloneSe, double steeredControlled,
                             double steeredControlledSe, double perToken, double perEntropy, String note) {

    /**
     * The share of the raw effect that the controls account for: {@code 1 − controlled / alone}; NaN (printed
     * {@code n/a}) when the raw effect is not distinguishable from 0 (its 95% interval {@code alone ± 1.96·SE}
     * contains 0), where the ratio means nothing, and when it falls outside [0, 1] (the controlled effect is larger
     * than the raw one or of the other sign: not a share of it; see {@link #shareNote()}).
     */
    public double explainedShare() {
        if (!rawEffectDistinguishable()) {
            return Double.NaN;
        }
        double share = 1 - steeredControlled / steeredAlone;
        return share >= -1e-9 && share <= 1 + 1e-9 ? Math.max(0, Math.min(1, share)) : Double.NaN;
    }

    /** Why {@link #explainedShare()} is NaN, or empty when it is a number. */
    public String shareNote() {
        if (Double.isNaN(steeredAlone) || Double.isNaN(steeredControlled)) {
            return "";
        }
        if (!rawEffectDistinguishable()) {
            return "raw effect within its 95% interval of 0";
        }
        return Double.isNaN(explainedShare()) ? "controlled effect outside [0, raw effect]: not a share" : "";
    }

    /** True when the raw effect's 95% interval excludes 0 (an SE of 0 with a non-zero effect counts as excluding). */
    public boolean rawEffectDistinguishable() {
        return steeredAlone != 0 && !Double.isNaN(steeredAlone) && !Double.isNaN(steeredAloneSe)
                && Math.abs(steeredAlone) > 1.96 * steeredAloneSe;
    }
}
