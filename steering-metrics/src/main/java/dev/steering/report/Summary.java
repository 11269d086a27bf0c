package dev.steering.report;

import dev.steering.experiment.ResultColumns;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Computes the rows of {@code summary.csv} from the rows of {@code results.parquet}. Only the main grid
 * ({@code check} null) is summarized; sanity-check reruns are in {@link SanityReport}.
 */
public final class Summary {
    private Summary() {
    }

    /**
     * The baseline, then one row per (layer, intervention, α) of the main grid, including an α=0 point for each
     * (layer, intervention) that reuses the baseline's numbers unless α=0 was run explicitly.
     *
     * @param rows rows of {@code results.parquet} (all of them; check reruns are skipped)
     * @throws IllegalArgumentException for a malformed row (naming its index and column) or no baseline rows
     */
    public static List<SummaryRow> compute(List<Map<String, Object>> rows) {
        Rows.validate(rows);
        Map<Setting, List<Map<String, Object>>> bySetting = new LinkedHashMap<>();
        for (Map<String, Object> r : rows) {
            if (Rows.check(r) == null) {
                bySetting.computeIfAbsent(Rows.setting(r), s -> new ArrayList<>()).add(r);
            }
        }
        List<Map<String, Object>> baselineRows = bySetting.get(Setting.BASELINE);
        if (baselineRows == null) {
            throw new IllegalArgumentException("no baseline rows (intervention 'none', layer null, alpha 0, check null)");
        }
        Proportion baselineHelpful = Rows.rate(only(baselineRows, Rows.BENIGN), ResultColumns.IS_HELPFUL);
        SummaryRow baseline = row(Setting.BASELINE, true, baselineRows, baselineHelpful);

        Set<Setting> settings = new LinkedHashSet<>(bySetting.keySet());
        for (Setting s : bySetting.keySet()) {
            if (!s.isBaseline()) {
                settings.add(new Setting(s.layer(), s.intervention(), 0));
            }
        }
        List<SummaryRow> out = new ArrayList<>();
        settings.stream().sorted(Setting.ORDER).forEach(s -> {
            List<Map<String, Object>> rs = bySetting.get(s);
            out.add(rs == null ? baseline.as(s) : s.isBaseline() ? baseline : row(s, false, rs, baselineHelpful));
        });
        double[] refusal = out.stream().mapToDouble(r -> r.refusalHarmTest().rate()).toArray();
        double[] drop = out.stream().mapToDouble(r -> r.helpfulnessDrop().value()).toArray();
        boolean[] frontier = pareto(refusal, drop);
        for (int i = 0; i < out.size(); i++) {
            out.set(i, out.get(i).withPareto(frontier[i]));
        }
        return out;
    }

    private static SummaryRow row(Setting s, boolean fromBaseline, List<Map<String, Object>> rs,
                                  Proportion baselineHelpful) {
        List<Map<String, Object>> train = only(rs, Rows.HARM_TRAIN);
        List<Map<String, Object>> test = only(rs, Rows.HARM_TEST);
        List<Map<String, Object>> benign = only(rs, Rows.BENIGN);
        Proportion refusalTrain = Rows.rate(train, ResultColumns.IS_REFUSAL);
        Proportion refusalTest = Rows.rate(test, ResultColumns.IS_REFUSAL);
        Proportion helpful = Rows.rate(benign, ResultColumns.IS_HELPFUL);
        int garbled = (int) rs.stream().filter(Rows::garbled).count();
        double meanTokens = rs.stream().mapToInt(Rows::nTokens).average().orElse(Double.NaN);
        double meanEntropy = rs.stream().map(Rows::meanEntropy).filter(e -> e != null)
                .mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        return new SummaryRow(s, fromBaseline, refusalTrain, refusalTest, Rows.rate(benign, ResultColumns.IS_REFUSAL),
                helpful, Rows.rate(test, ResultColumns.COHERENT_REFUSAL), Proportion.of(garbled, rs.size()),
                refusalTrain.minus(refusalTest), baselineHelpful.minus(helpful), meanTokens, meanEntropy,
                sideEffects(rs, test, benign), false);
    }

    private static SideEffects sideEffects(List<Map<String, Object>> all, List<Map<String, Object>> test,
                                           List<Map<String, Object>> benign) {
        int degenerate = (int) all.stream().filter(Rows::degenerate).count();
        List<Map<String, Object>> modelTest = test.stream().filter(r -> r.get(ResultColumns.MODEL_IS_REFUSAL) != null)
                .toList();
        return new SideEffects(Proportion.of(degenerate, all.size()), Rows.rate(modelTest, ResultColumns.MODEL_IS_REFUSAL),
                Rows.agreement(all), mean(benign, ResultColumns.KL_FIRST_TOKEN), mean(benign, ResultColumns.KL_MEAN),
                mean(test, ResultColumns.KL_FIRST_TOKEN), mean(test, ResultColumns.KL_MEAN));
    }

    private static Estimate mean(List<Map<String, Object>> rows, String column) {
        return MeanEstimate.of(rows.stream().map(r -> Rows.number(r, column)).toList());
    }

    /** The rows of one split. */
    static List<Map<String, Object>> only(List<Map<String, Object>> rows, String split) {
        return rows.stream().filter(r -> split.equals(Rows.split(r))).toList();
    }

    /**
     * Marks the points not dominated by another: point j dominates i when {@code better[j] ≥ better[i]} and
     * {@code worse[j] ≤ worse[i]} with one inequality strict. Points with a NaN coordinate are never on the frontier
     * and dominate nothing; identical points share their mark.
     *
     * @param better a coordinate where higher is better (harm_test refusal)
     * @param worse  a coordinate where lower is better (helpfulness drop)
     */
    static boolean[] pareto(double[] better, double[] worse) {
        boolean[] out = new boolean[better.length];
        for (int i = 0; i < better.length; i++) {
            if (Double.isNaN(better[i]) || Double.isNaN(worse[i])) {
                continue;
            }
            boolean dominated = false;
            for (int j = 0; j < better.length && !dominated; j++) {
                dominated = better[j] >= better[i] && worse[j] <= worse[i]
                        && (better[j] > better[i] || worse[j] < worse[i]);
            }
            out[i] = !dominated;
        }
        return out;
    }
}
