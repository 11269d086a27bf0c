package dev.steering.report;

import dev.steering.experiment.ResultColumns;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Typed access to rows of {@code results.parquet} ({@link ResultColumns}) and their validation. */
final class Rows {
    static final String BASELINE = "none";
    static final Set<String> INTERVENTIONS = Set.of(BASELINE, "add", "ablate");
    static final String HARM_TRAIN = "harm_train";
    static final String HARM_TEST = "harm_test";
    static final String BENIGN = "benign";
    static final String GARBLED = "garbled";
    static final String DEGENERATE = "degenerate";

    private Rows() {
    }

    /**
     * Checks the columns the reports use.
     *
     * @throws IllegalArgumentException naming the row index, column and problem
     */
    static void validate(List<Map<String, Object>> rows) {
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> r = rows.get(i);
            for (String col : List.of(ResultColumns.PROMPT_ID, ResultColumns.SPLIT, ResultColumns.INTERVENTION,
                    ResultColumns.ALPHA, ResultColumns.SAMPLE, ResultColumns.N_TOKENS, ResultColumns.IS_REFUSAL,
                    ResultColumns.COHERENT_REFUSAL, ResultColumns.IS_HELPFUL, ResultColumns.QUALITY)) {
                if (r.get(col) == null) {
                    throw new IllegalArgumentException("row " + i + ": column '" + col + "' is missing or null");
                }
            }
            String split = split(r);
            if (!ResultColumns.SPLITS.contains(split)) {
                throw new IllegalArgumentException("row " + i + ": column 'split' has unknown value '" + split
                        + "' (expected one of " + ResultColumns.SPLITS + ")");
            }
            String iv = intervention(r);
            if (!INTERVENTIONS.contains(iv)) {
                throw new IllegalArgumentException("row " + i + ": column 'intervention' has unknown value '" + iv
                        + "' (expected none, add or ablate)");
            }
            if ((layer(r) == null) != BASELINE.equals(iv)) {
                throw new IllegalArgumentException("row " + i + ": layer " + layer(r) + " with intervention '" + iv
                        + "' (only the baseline, intervention none, has no layer)");
            }
            if (BASELINE.equals(iv) && setting(r).alpha() != 0) {
                throw new IllegalArgumentException("row " + i + ": the baseline (intervention none) has alpha "
                        + setting(r).alpha() + ", expected 0");
            }
        }
    }

    static String split(Map<String, Object> r) {
        return (String) r.get(ResultColumns.SPLIT);
    }

    static String intervention(Map<String, Object> r) {
        return (String) r.get(ResultColumns.INTERVENTION);
    }

    static Integer layer(Map<String, Object> r) {
        Object v = r.get(ResultColumns.LAYER);
        return v == null ? null : ((Number) v).intValue();
    }

    static String check(Map<String, Object> r) {
        return (String) r.get(ResultColumns.CHECK);
    }

    static String promptId(Map<String, Object> r) {
        return (String) r.get(ResultColumns.PROMPT_ID);
    }

    static int sample(Map<String, Object> r) {
        return ((Number) r.get(ResultColumns.SAMPLE)).intValue();
    }

    static Setting setting(Map<String, Object> r) {
        double alpha = ((Number) r.get(ResultColumns.ALPHA)).doubleValue();
        return new Setting(layer(r), intervention(r), alpha);
    }

    static boolean flag(Map<String, Object> r, String column) {
        return (Boolean) r.get(column);
    }

    static int nTokens(Map<String, Object> r) {
        return ((Number) r.get(ResultColumns.N_TOKENS)).intValue();
    }

    /** The mean per-token entropy, or null when it was not recorded. */
    static Double meanEntropy(Map<String, Object> r) {
        Object v = r.get(ResultColumns.MEAN_ENTROPY);
        return v == null ? null : ((Number) v).doubleValue();
    }

    static boolean garbled(Map<String, Object> r) {
        return GARBLED.equals(r.get(ResultColumns.QUALITY));
    }

    static boolean degenerate(Map<String, Object> r) {
        return DEGENERATE.equals(r.get(ResultColumns.QUALITY));
    }

    /** A nullable number column as a Double (null when absent). */
    static Double number(Map<String, Object> r, String column) {
        Object v = r.get(column);
        return v == null ? null : ((Number) v).doubleValue();
    }

    /**
     * The share of {@code rows} where the keyword verdict {@code is_refusal} agrees with the model-based one
     * {@code model_is_refusal} (rows without a model verdict are skipped).
     */
    static Proportion agreement(List<Map<String, Object>> rows) {
        int k = 0;
        int n = 0;
        for (Map<String, Object> r : rows) {
            Object m = r.get(ResultColumns.MODEL_IS_REFUSAL);
            if (m != null) {
                n++;
                k += flag(r, ResultColumns.IS_REFUSAL) == (Boolean) m ? 1 : 0;
            }
        }
        return Proportion.of(k, n);
    }

    /** How many of {@code rows} have {@code column} true, as a {@link Proportion}. */
    static Proportion rate(List<Map<String, Object>> rows, String column) {
        int k = 0;
        for (Map<String, Object> r : rows) {
            if (flag(r, column)) {
                k++;
            }
        }
        return Proportion.of(k, rows.size());
    }
}
