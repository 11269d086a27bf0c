package dev.steering.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.experiment.ResultColumns;
import org.apache.commons.math3.exception.MathIllegalArgumentException;
import org.apache.commons.math3.stat.regression.OLSMultipleLinearRegression;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Writes {@code reports/sanity.md}: template robustness (cosines from {@code sanity_template.json} and the template
 * rerun against the main grid), the entropy/length confound check ({@link #confounds}) and seed robustness (the seed
 * rerun against the main grid). Reruns are compared with the main grid on the same prompts ({@link #compare}).
 */
public final class SanityReport {
    /** The template-sanity file of the run directory. */
    public static final String TEMPLATE_FILE = "sanity_template.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Template check passes when the alternative-prefix direction has at least this cosine with the original. */
    public static final double MIN_TEMPLATE_COSINE = 0.8;
    /** A rerun (template or seed) passes when each of its rates moves by at most this much (absolute). */
    public static final double MAX_RERUN_CHANGE = 0.15;
    /** The confound check passes when the controls explain at most this share of a distinguishable raw effect. */
    public static final double MAX_EXPLAINED_SHARE = 0.5;

    private SanityReport() {
    }

    /**
     * For each condition rerun with {@code check}, per split: the refusal rate (and on benign also the helpful rate) of
     * the rerun and of the main-grid rows of the same condition restricted to the prompts the rerun used.
     */
    public static List<CheckComparison> compare(List<Map<String, Object>> rows, String check) {
        Map<Setting, List<Map<String, Object>>> reruns = new TreeMap<>(Setting.ORDER);
        Map<Setting, List<Map<String, Object>>> main = new TreeMap<>(Setting.ORDER);
        for (Map<String, Object> r : rows) {
            if (check.equals(Rows.check(r))) {
                reruns.computeIfAbsent(Rows.setting(r), k -> new ArrayList<>()).add(r);
            } else if (Rows.check(r) == null) {
                main.computeIfAbsent(Rows.setting(r), k -> new ArrayList<>()).add(r);
            }
        }
        List<CheckComparison> out = new ArrayList<>();
        reruns.forEach((setting, rerun) -> {
            List<Map<String, Object>> reference = main.getOrDefault(setting.alpha() == 0 ? Setting.BASELINE : setting,
                    List.of());
            for (String split : ResultColumns.SPLITS) {
                List<Map<String, Object>> re = Summary.only(rerun, split);
                Set<String> prompts = re.stream().map(Rows::promptId).collect(Collectors.toSet());
                List<Map<String, Object>> ma = Summary.only(reference, split).stream()
                        .filter(r -> prompts.contains(Rows.promptId(r))).toList();
                if (re.isEmpty()) {
                    continue;
                }
                out.add(new CheckComparison(check, setting, split, "refusal", Rows.rate(ma, ResultColumns.IS_REFUSAL),
                        Rows.rate(re, ResultColumns.IS_REFUSAL)));
                if (Rows.BENIGN.equals(split)) {
                    out.add(new CheckComparison(check, setting, split, "helpful", Rows.rate(ma, ResultColumns.IS_HELPFUL),
                            Rows.rate(re, ResultColumns.IS_HELPFUL)));
                }
            }
        });
        return out;
    }

    /**
     * The confound check of every steered main-grid condition against the baseline on harm_test (see
     * {@link ConfoundResult}). {@code mean_entropy} is a control when any of those rows has it, and then only rows
     * with an entropy enter both models, so the two coefficients are estimated on the same rows.
     */
    public static List<ConfoundResult> confounds(List<Map<String, Object>> rows) {
        Map<Setting, List<Map<String, Object>>> test = new TreeMap<>(Setting.ORDER);
        for (Map<String, Object> r : rows) {
            if (Rows.check(r) == null && Rows.HARM_TEST.equals(Rows.split(r))) {
                test.computeIfAbsent(Rows.setting(r), k -> new ArrayList<>()).add(r);
            }
        }
        List<Map<String, Object>> baseline = test.getOrDefault(Setting.BASELINE, List.of());
        List<ConfoundResult> out = new ArrayList<>();
        test.forEach((setting, condition) -> {
            if (!setting.isBaseline()) {
                out.add(confound(setting, baseline, condition));
            }
        });
        return out;
    }

    static ConfoundResult confound(Setting setting, List<Map<String, Object>> baseline,
                                   List<Map<String, Object>> condition) {
        List<Map<String, Object>> all = new ArrayList<>(baseline);
        all.addAll(condition);
        boolean entropy = all.stream().anyMatch(r -> Rows.meanEntropy(r) != null);
        List<double[]> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            Map<String, Object> r = all.get(i);
            if (entropy && Rows.meanEntropy(r) == null) {
                continue;
            }
            double steered = i < baseline.size() ? 0 : 1;
            xs.add(entropy ? new double[]{steered, Rows.nTokens(r), Rows.meanEntropy(r)}
                    : new double[]{steered, Rows.nTokens(r)});
            ys.add(Rows.flag(r, ResultColumns.IS_REFUSAL) ? 1.0 : 0.0);
        }
        double[] y = ys.stream().mapToDouble(Double::doubleValue).toArray();
        double[][] full = xs.toArray(double[][]::new);
        double[][] alone = xs.stream().map(x -> new double[]{x[0]}).toArray(double[][]::new);
        int n = y.length;
        double[] a = fit(y, alone);
        double[] c = fit(y, full);
        String note = "";
        if (a == null) {
            note = "too few rows or no variation in steered";
        } else if (c == null) {
            note = "controls collinear with steered or too few rows; partial effect not estimable";
        } else if (!entropy) {
            note = "mean_entropy not recorded; controlled for n_tokens only";
        }
        return new ConfoundResult(setting, n, a == null ? Double.NaN : a[1], a == null ? Double.NaN : a[3],
                c == null ? Double.NaN : c[1],
                c == null ? Double.NaN : c[c.length / 2 + 1], c == null ? Double.NaN : c[2],
                c == null || !entropy ? Double.NaN : c[3], note);
    }

    /**
     * OLS with intercept; returns the coefficients followed by their standard errors, or null when not estimable.
     */
    private static double[] fit(double[] y, double[][] x) {
        int p = x.length == 0 ? 0 : x[0].length;
        if (y.length <= p + 1) {
            return null;
        }
        try {
            OLSMultipleLinearRegression ols = new OLSMultipleLinearRegression();
            ols.newSampleData(y, x);
            double[] beta = ols.estimateRegressionParameters();
            double[] se = ols.estimateRegressionParametersStandardErrors();
            double[] out = new double[beta.length * 2];
            System.arraycopy(beta, 0, out, 0, beta.length);
            System.arraycopy(se, 0, out, beta.length, se.length);
            return out;
        } catch (MathIllegalArgumentException e) { // SingularMatrixException, or too few rows
            return null;
        }
    }

    /** Writes the report atomically; {@code runDir} is where {@value #TEMPLATE_FILE} is looked for. */
    public static void write(Path file, Path runDir, List<Map<String, Object>> rows) throws IOException {
        AtomicWrite.writeString(file, render(runDir, rows));
    }

    static String render(Path runDir, List<Map<String, Object>> rows) throws IOException {
        StringBuilder md = new StringBuilder("# Sanity checks\n\n");
        Map<String, Object> op = OperatingPointSearch.read(runDir.resolve(OperatingPointSearch.FILE));
        Object point = op == null ? null : op.get("checkPoint");
        if (point instanceof Map<?, ?> p) {
            md.append("The template and seed reruns run at the operating point's intervention and α (`")
                    .append(p.get("intervention")).append("`, α = ").append(p.get("alpha"))
                    .append(") at every layer; the operating point is in `").append(OperatingPointSearch.FILE)
                    .append("`.\n\n");
        }
        md.append("Reruns are compared with the main grid on the same prompts (all samples); change = rerun − main.\n\n");
        md.append("Thresholds: template cosine ≥ ").append(fmt(MIN_TEMPLATE_COSINE))
                .append("; every rerun rate within ±").append(fmt(MAX_RERUN_CHANGE))
                .append(" of the main grid's; controls explain at most ").append(pct(MAX_EXPLAINED_SHARE))
                .append(" of a raw effect whose 95% interval excludes 0 (otherwise `n/a`: the share means nothing).\n");
        md.append("\n## Template robustness\n\n");
        Path template = runDir.resolve(TEMPLATE_FILE);
        if (!Files.isRegularFile(template)) {
            md.append("No ").append(TEMPLATE_FILE).append(" in the run directory.\n");
        } else {
            JsonNode root;
            try {
                root = JSON.readTree(template.toFile());
            } catch (IOException e) {
                throw new IOException(template + ": not valid JSON: " + e.getMessage(), e);
            }
            JsonNode alt = root.path("alt_prefixes");
            if (alt.isObject()) {
                md.append("Alternative prefixes:\n\n| prefix | text |\n|---|---|\n");
                for (Iterator<Map.Entry<String, JsonNode>> it = alt.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    md.append("| ").append(Examples.cell(e.getKey())).append(" | `")
                            .append(Examples.cell(e.getValue().asText())).append("` |\n");
                }
                md.append('\n');
            }
            JsonNode cos = root.path("cosine_to_original");
            if (cos.isObject() && cos.size() > 0) {
                md.append("Cosine between the direction from the alternative templates and the original one:\n\n");
                md.append("| direction | cosine to original | pass (≥ ").append(fmt(MIN_TEMPLATE_COSINE))
                        .append(") |\n|---|---|---|\n");
                for (Iterator<Map.Entry<String, JsonNode>> it = cos.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    double c = e.getValue().asDouble();
                    md.append("| ").append(Examples.cell(e.getKey())).append(" | ")
                            .append(String.format(Locale.ROOT, "%.4f", c)).append(" | ")
                            .append(c >= MIN_TEMPLATE_COSINE ? "pass" : "**fail**").append(" |\n");
                }
            } else {
                md.append(TEMPLATE_FILE).append(" has no `cosine_to_original` object.\n");
            }
            JsonNode table = root.path("cosine_table");
            if (table.path("names").isArray() && table.path("cosines").isArray()) {
                md.append("\nCosines between all directions:\n\n|");
                List<String> names = new ArrayList<>();
                table.path("names").forEach(n -> names.add(n.asText()));
                for (String n : names) {
                    md.append(" | ").append(Examples.cell(n));
                }
                md.append(" |\n|---|").append("---|".repeat(names.size())).append('\n');
                for (int i = 0; i < names.size(); i++) {
                    md.append("| ").append(Examples.cell(names.get(i)));
                    JsonNode row = table.path("cosines").path(i);
                    for (int j = 0; j < names.size(); j++) {
                        md.append(" | ").append(String.format(Locale.ROOT, "%.3f", row.path(j).asDouble(Double.NaN)));
                    }
                    md.append(" |\n");
                }
            }
        }
        appendComparisons(md, compare(rows, "template"), "template");

        md.append("\n## Entropy / length confound\n\n");
        md.append("Is the refusal change explained by shorter or lower-entropy outputs? Linear-probability model on the"
                + " harm_test rows of the baseline and each condition: `is_refusal ~ steered` (= the difference in"
                + " refusal rates) against `is_refusal ~ steered + n_tokens + mean_entropy` (the partial effect)."
                + " A steered coefficient that shrinks towards 0 with the controls means the change goes with"
                + " length/entropy rather than beyond it. `explained by controls` is `n/a` when the raw effect's"
                + " 95% interval contains 0 or the controlled effect is not between 0 and the raw one (the note"
                + " says which).\n\n");
        List<ConfoundResult> confounds = confounds(rows);
        if (confounds.isEmpty()) {
            md.append("No steered condition on harm_test.\n");
        } else {
            md.append("| condition | rows | steered alone (SE) | steered with controls (SE) | explained by controls |"
                    + " pass | per token | per entropy unit | note |\n|---|---|---|---|---|---|---|---|---|\n");
            for (ConfoundResult c : confounds) {
                double share = c.explainedShare();
                String pass = Double.isNaN(share) ? "n/a" : share <= MAX_EXPLAINED_SHARE ? "pass" : "**fail**";
                md.append(String.format(Locale.ROOT, "| %s | %d | %s (%s) | %s (%s) | %s | %s | %s | %s | %s |%n",
                        c.setting().label(), c.n(), fmt(c.steeredAlone()), fmt(c.steeredAloneSe()),
                        fmt(c.steeredControlled()), fmt(c.steeredControlledSe()), pct(share), pass, fmt(c.perToken()),
                        fmt(c.perEntropy()), Examples.cell(String.join("; ", java.util.stream.Stream.of(c.note(),
                                c.shareNote()).filter(x -> !x.isEmpty()).toList()))));
            }
        }

        md.append("\n## Seed robustness\n");
        appendComparisons(md, compare(rows, "seed"), "seed");
        return md.toString();
    }

    private static void appendComparisons(StringBuilder md, List<CheckComparison> cs, String check) {
        if (cs.isEmpty()) {
            md.append("\nNo `").append(check).append("` rerun rows.\n");
            return;
        }
        md.append("\nRates of the `").append(check).append("` rerun against the main grid on the same prompts:\n\n");
        md.append("| condition | split | rate | main | rerun | change | pass (±").append(fmt(MAX_RERUN_CHANGE))
                .append(") | rows (main / rerun) |\n|---|---|---|---|---|---|---|---|\n");
        for (CheckComparison c : cs) {
            double change = c.change();
            String pass = Double.isNaN(change) ? "n/a" : Math.abs(change) <= MAX_RERUN_CHANGE + 1e-12 ? "pass" : "**fail**";
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %d / %d |%n",
                    c.setting().label(), c.split(), c.measure(), fmt(c.main().rate()), fmt(c.rerun().rate()),
                    signed(change), pass, c.main().trials(), c.rerun().trials()));
        }
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String signed(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%+.3f", v);
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }
}
