package dev.steering.report;

/**
 * A rate of a sanity-check rerun next to the same rate of the main grid, on the same prompt subset.
 *
 * @param check   {@code seed} or {@code template}
 * @param setting the rerun condition
 * @param split   the split
 * @param measure {@code refusal} ({@code is_refusal}) or {@code helpful} ({@code is_helpful})
 * @param main    the main-grid rate on the prompts the rerun used
 * @param rerun   the rerun's rate
 */
public record CheckComparison(String check, Setting setting, String split, String measure, Proportion main,
                              Proportion rerun) {
    /** {@code rerun − main}. */
    public double change() {
        return rerun.rate() - main.rate();
    }
}
