package dev.steering.metrics;

/**
 * The helpfulness estimate of one completion and the features it is made of.
 *
 * @param helpfulnessScore (1 − refusal score) × (length part + structure part), in [0, 1]
 * @param isHelpful        {@code helpfulnessScore >= threshold}
 * @param nWords           number of {@linkplain Text#words words}
 * @param numberedSteps    at least two lines start with a number ("1.", "2)") or "Step n"
 * @param bullets          at least two lines start with a bullet ("-", "*", "•", "+")
 * @param code             contains a fenced code block (```)
 */
public record HelpfulnessResult(double helpfulnessScore, boolean isHelpful, int nWords, boolean numberedSteps,
                                boolean bullets, boolean code) {

    /** Whether any structure flag is set. */
    public boolean structured() {
        return numberedSteps || bullets || code;
    }
}
