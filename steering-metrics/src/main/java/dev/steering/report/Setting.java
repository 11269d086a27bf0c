package dev.steering.report;

import java.util.Comparator;
import java.util.Locale;

/**
 * One operating point of the main grid: an intervention at a layer with a strength, or the baseline.
 *
 * @param layer        the steered layer, or null for the baseline
 * @param intervention {@code none}, {@code add} or {@code ablate}
 * @param alpha        the strength (0 for the baseline)
 */
public record Setting(Integer layer, String intervention, double alpha) {

    /** Baseline first, then by intervention, layer and α. */
    public static final Comparator<Setting> ORDER = Comparator
            .comparing((Setting s) -> !s.isBaseline())
            .thenComparing(Setting::intervention)
            .thenComparing(s -> s.layer == null ? Integer.MIN_VALUE : s.layer)
            .thenComparingDouble(Setting::alpha);

    /** The unsteered baseline. */
    public static final Setting BASELINE = new Setting(null, "none", 0);

    /** True for the unsteered baseline. */
    public boolean isBaseline() {
        return layer == null;
    }

    /** The (layer, intervention) curve this point belongs to, e.g. {@code L8 add}; {@code baseline} for the baseline. */
    public String series() {
        return isBaseline() ? "baseline" : "L" + layer + " " + intervention;
    }

    /** E.g. {@code L8 add α=4}, {@code L8 ablate α=1.5 (over-subtraction)}, or {@code baseline}. */
    public String label() {
        return isBaseline() ? "baseline" : series() + " α=" + formatAlpha(alpha)
                + ("ablate".equals(intervention) && alpha > 1 ? " (over-subtraction)" : "");
    }

    /** α without a trailing {@code .0}. */
    static String formatAlpha(double alpha) {
        return alpha == Math.rint(alpha) && Math.abs(alpha) < 1e15
                ? String.format(Locale.ROOT, "%d", (long) alpha) : String.valueOf(alpha);
    }
}
