package dev.steering.experiment;

import java.io.Serializable;
import java.util.Locale;

/**
 * One cell of the study: an intervention at a layer with a strength, or the baseline, possibly as a sanity-check
 * rerun. The key orders and names its stored part.
 *
 * @param index        position in the plan (orders the parts)
 * @param layer        the steered layer, or null for the baseline
 * @param intervention {@code none}, {@code add} or {@code ablate}
 * @param alpha        the strength (0 for the baseline)
 * @param check        null for the main grid, else {@code template} or {@code seed}
 * @param seed         the generation seed
 * @param subset       prompts per split (0 = all)
 */
public record Condition(int index, Integer layer, String intervention, double alpha, String check, long seed,
                        int subset) implements Serializable {

    /** The baseline of the main grid. */
    public static Condition baseline(int index, long seed) {
        return new Condition(index, null, "none", 0, null, seed, 0);
    }

    /** True for the unsteered baseline. */
    public boolean isBaseline() {
        return layer == null;
    }

    /** {@code 003-L8-add-a2.0}, {@code 000-baseline}, {@code 020-check-seed-L8-add-a4.0}. */
    public String key() {
        String body = isBaseline() ? "baseline" : "L" + layer + "-" + intervention + "-a" + String.format(Locale.ROOT, "%s", alpha);
        return String.format(Locale.ROOT, "%03d-", index) + (check == null ? "" : "check-" + check + "-") + body;
    }
}
