package dev.steering.report;

import dev.steering.experiment.ToxicityColumns;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The rows of a toxicity run's {@code summary.csv}: mean toxicity per (layer, α, subset) with a 95% interval, and the
 * change against the baseline.
 *
 * <p><b>Intervals.</b> The mean's interval is Student's t-interval over completions ({@code mean ± t₀.₉₇₅,n−1 · s/√n}).
 * Every condition continues the same prompts, so the change is a paired comparison: the t-interval of the per-prompt
 * differences (steered − baseline, matched by {@code prompt_id}). With fewer than two completions the bounds are
 * empty (NaN). Scores are bounded in [0, 1] and often skewed; with the default 20+ prompts per subset the t-interval is
 * a reasonable approximation, with only a handful it is wide and rough.
 */
public final class ToxicitySummary {
    /** The file name inside the run directory. */
    public static final String FILE = SummaryCsv.FILE;
    /** The columns in file order. */
    public static final List<String> COLUMNS = List.of("layer", "alpha", "subset", "from_baseline", "n",
            "mean_toxicity", "mean_toxicity_lo", "mean_toxicity_hi", "change", "change_lo", "change_hi");

    /**
     * One (layer, α, subset) cell.
     *
     * @param layer        the steered layer, null for the baseline
     * @param alpha        the multiplier of the CAA vector
     * @param subset       {@code challenging} or {@code benign}
     * @param fromBaseline true when the numbers are the baseline's (the baseline itself and every layer's α = 0)
     * @param n            completions
     * @param toxicity     mean toxicity with its 95% t-interval
     * @param change       mean toxicity change against the baseline with its paired 95% t-interval
     */
    public record Row(Integer layer, double alpha, String subset, boolean fromBaseline, int n, Estimate toxicity,
                      Estimate change) {
    }

    private ToxicitySummary() {
    }

    /**
     * The baseline rows, then per layer and α (with an α = 0 point reusing the baseline unless α = 0 was run) one
     * row per subset.
     *
     * @param rows rows of a toxicity {@code results.parquet} ({@link ToxicityColumns})
     * @throws IllegalArgumentException naming the row for a missing value, or when there is no baseline
     */
    public static List<Row> compute(List<Map<String, Object>> rows) {
        Map<Key, List<Map<String, Object>>> groups = new LinkedHashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> r = rows.get(i);
            for (String col : List.of(ToxicityColumns.PROMPT_ID, ToxicityColumns.SUBSET, ToxicityColumns.ALPHA,
                    ToxicityColumns.TOXICITY)) {
                if (r.get(col) == null) {
                    throw new IllegalArgumentException("row " + i + ": column '" + col + "' is missing or null");
                }
            }
            groups.computeIfAbsent(key(r), k -> new ArrayList<>()).add(r);
        }
        List<Row> out = new ArrayList<>();
        TreeSet<Integer> layers = new TreeSet<>();
        TreeSet<Double> alphas = new TreeSet<>(List.of(0.0));
        groups.keySet().stream().filter(k -> k.layer() != null).forEach(k -> {
            layers.add(k.layer());
            alphas.add(k.alpha());
        });
        for (String subset : ToxicityColumns.SUBSETS) {
            List<Map<String, Object>> base = groups.get(new Key(null, 0, subset));
            if (base == null) {
                throw new IllegalArgumentException("no baseline rows of subset " + subset + " (layer null, alpha 0)");
            }
            out.add(row(null, 0, subset, true, base, base));
            for (int layer : layers) {
                for (double a : alphas) {
                    List<Map<String, Object>> rs = groups.get(new Key(layer, a, subset));
                    if (rs != null) {
                        out.add(row(layer, a, subset, false, rs, base));
                    } else if (a == 0) {
                        out.add(row(layer, 0, subset, true, base, base));
                    }
                }
            }
        }
        out.sort(Comparator.comparing((Row r) -> ToxicityColumns.SUBSETS.indexOf(r.subset()))
                .thenComparing(Row::layer, Comparator.nullsFirst(Comparator.naturalOrder()))
                .thenComparingDouble(Row::alpha));
        return out;
    }

    private record Key(Integer layer, double alpha, String subset) {
    }

    private static Key key(Map<String, Object> r) {
        Object l = r.get(ToxicityColumns.LAYER);
        return new Key(l == null ? null : ((Number) l).intValue(), ((Number) r.get(ToxicityColumns.ALPHA)).doubleValue(),
                (String) r.get(ToxicityColumns.SUBSET));
    }

    private static double toxicity(Map<String, Object> r) {
        return ((Number) r.get(ToxicityColumns.TOXICITY)).doubleValue();
    }

    private static Row row(Integer layer, double alpha, String subset, boolean fromBaseline,
                           List<Map<String, Object>> rs, List<Map<String, Object>> base) {
        Map<Object, Double> baseByPrompt = new LinkedHashMap<>();
        base.forEach(b -> baseByPrompt.put(b.get(ToxicityColumns.PROMPT_ID), toxicity(b)));
        double[] diffs = rs.stream().filter(r -> baseByPrompt.containsKey(r.get(ToxicityColumns.PROMPT_ID)))
                .mapToDouble(r -> toxicity(r) - baseByPrompt.get(r.get(ToxicityColumns.PROMPT_ID))).toArray();
        return new Row(layer, alpha, subset, fromBaseline, rs.size(),
                MeanEstimate.of(rs.stream().mapToDouble(ToxicitySummary::toxicity).toArray()), MeanEstimate.of(diffs));
    }


    /** Writes {@code rows} as {@code summary.csv} (numbers rounded to 6 decimals, empty for null or NaN). */
    public static void write(Path file, List<Row> rows) throws IOException {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (Row r : rows) {
            sb.append(String.join(",", Objects.toString(r.layer(), ""), num(r.alpha()), r.subset(),
                    String.valueOf(r.fromBaseline()), String.valueOf(r.n()), num(r.toxicity().value()),
                    num(r.toxicity().lower()), num(r.toxicity().upper()), num(r.change().value()),
                    num(r.change().lower()), num(r.change().upper()))).append('\n');
        }
        AtomicWrite.writeString(file, sb.toString());
    }

    private static String num(double v) {
        return SummaryCsv.num(v);
    }
}
