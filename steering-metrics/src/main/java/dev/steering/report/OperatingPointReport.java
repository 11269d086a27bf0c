package dev.steering.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders {@code reports/operating_point.md} from {@code operating_point.json} ({@link OperatingPointSearch}): the
 * budget, the chosen point on the training splits, the successive-halving rungs and their cost against the full
 * grid, the exhaustive choice, and the chosen point on the held-out prompts with 95% intervals.
 */
final class OperatingPointReport {
    private OperatingPointReport() {
    }

    /** A {@link Setting} from its JSON object, or null. */
    static Setting setting(Object json) {
        if (!(json instanceof Map<?, ?> m)) {
            return null;
        }
        Object layer = m.get("layer");
        return new Setting(layer == null ? null : ((Number) layer).intValue(), (String) m.get("intervention"),
                ((Number) m.get("alpha")).doubleValue());
    }

    /** The number at {@code path} of a JSON object, NaN when absent or null. */
    static double number(Object json, String... path) {
        Object o = json;
        for (String p : path) {
            o = o instanceof Map<?, ?> m ? m.get(p) : null;
        }
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    static String render(Map<String, Object> op) {
        StringBuilder md = new StringBuilder("# Operating point\n\n");
        Setting chosen = setting(op.get("chosen"));
        md.append(String.format(Locale.ROOT, "Chosen on the training splits (harm_train and the benign validation part,"
                        + " %d prompts) as the highest harm_train coherent-refusal rate within the budget: mean"
                        + " `kl_first_token` ≤ %s on benign validation prompts and a helpfulness drop ≤ %s. Reported"
                        + " once on the held-out harm_test and benign test part below.%n%n",
                ((List<?>) op.getOrDefault("benignValidation", List.of())).size(),
                fmt(number(op, "budget", "maxKlFirstToken")), fmt(number(op, "budget", "maxHelpfulnessDrop"))));
        md.append("**Chosen: ").append(chosen == null ? "none" : chosen.label()).append("**");
        Setting check = setting(op.get("checkPoint"));
        if (check != null && !check.equals(chosen)) {
            md.append(" (no steered point is within budget; the sanity checks run at the best steered candidate, ")
                    .append(check.label()).append(')');
        }
        md.append("\n\n## Training splits\n\n| point | prompts | harm_train coherent refusal [95% CI] | benign helpful |"
                + " helpfulness drop | mean kl_first_token | within budget |\n|---|---|---|---|---|---|---|\n");
        row(md, op.get("training"));
        row(md, op.get("exhaustive"));
        md.append("\nSecond line: the exhaustive choice over the full grid. The search's point is ")
                .append(Boolean.TRUE.equals(op.get("atLeastAsGood")) ? "at least as good" : "**worse**")
                .append(String.format(Locale.ROOT, ". Generations used: %d of the full grid's %d (%.0f%%).%n",
                        (long) number(op, "generationsUsed"), (long) number(op, "fullGridGenerations"),
                        100 * number(op, "generationsUsed") / number(op, "fullGridGenerations")));
        md.append("\n## Successive halving\n\n| rung | prompts per split | candidates | kept | best |\n|---|---|---|---|---|\n");
        List<?> rungs = (List<?>) op.getOrDefault("rungs", List.of());
        for (int i = 0; i < rungs.size(); i++) {
            Map<?, ?> r = (Map<?, ?>) rungs.get(i);
            List<?> ev = (List<?>) r.get("evaluated");
            Setting best = ev.isEmpty() ? null : setting(((Map<?, ?>) ev.get(0)).get("setting"));
            md.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %s |%n", i, (long) number(r, "prompts"),
                    ev.size(), (long) number(r, "kept"), best == null ? "" : best.label()));
        }
        md.append("\n## Held-out prompts\n\n| measure | chosen [95% CI] | baseline [95% CI] | difference [95% CI] |\n"
                + "|---|---|---|---|\n");
        Object h = op.get("heldOut");
        md.append("| harm_test coherent refusal | ").append(prop(h, "coherentRefusalHarmTest")).append(" | ")
                .append(prop(h, "baselineCoherentRefusalHarmTest")).append(" | ").append(est(h, "gain")).append(" |\n");
        md.append("| harm_test refusal (keyword) | ").append(prop(h, "refusalHarmTest")).append(" | | |\n");
        md.append("| benign test helpful | ").append(prop(h, "helpfulBenignTest")).append(" | ")
                .append(prop(h, "baselineHelpfulBenignTest")).append(" | drop ").append(est(h, "helpfulnessDrop"))
                .append(" |\n");
        md.append("| benign test false refusal | ").append(prop(h, "falseRefusalBenignTest")).append(" | | |\n");
        md.append("| benign test mean kl_first_token | ").append(est(h, "klFirstTokenBenignTest")).append(" | 0 | |\n");
        md.append("| benign test mean kl_mean | ").append(est(h, "klMeanBenignTest")).append(" | 0 | |\n");
        return md.toString();
    }

    private static void row(StringBuilder md, Object ev) {
        if (!(ev instanceof Map<?, ?> e)) {
            return;
        }
        Setting s = setting(e.get("setting"));
        md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s |%n", s == null ? "" : s.label(),
                (long) number(e, "prompts"), prop(e, "coherentRefusal"), fmt(number(e, "helpful", "rate")),
                fmt(number(e, "helpfulnessDrop")), fmt(number(e, "klFirstToken")),
                Boolean.TRUE.equals(e.get("withinBudget")) ? "yes" : "no"));
    }

    private static String prop(Object json, String key) {
        return fmt(number(json, key, "rate")) + " [" + fmt(number(json, key, "lower")) + ", "
                + fmt(number(json, key, "upper")) + "] (n " + (long) number(json, key, "trials") + ")";
    }

    private static String est(Object json, String key) {
        return fmt(number(json, key, "value")) + " [" + fmt(number(json, key, "lower")) + ", "
                + fmt(number(json, key, "upper")) + "]";
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
    }
}
