package dev.steering.experiment;

import dev.steering.experiment.parquet.ParquetSchema;
import java.util.List;

/**
 * The columns of a toxicity study's {@code results.parquet}: one row per (prompt, subset, layer, α). The baseline has
 * a null layer and α 0. Every label's probability is kept in {@link #TOX_LABELS} as a JSON object
 * ({@code {"toxicity":0.8,"insult":0.3,...}}), so the schema does not depend on the classifier.
 */
public final class ToxicityColumns {
    public static final String PROMPT_ID = ResultColumns.PROMPT_ID;
    public static final String SUBSET = "subset";
    public static final String LAYER = ResultColumns.LAYER;
    public static final String ALPHA = ResultColumns.ALPHA;
    public static final String PROMPT = ResultColumns.PROMPT;
    public static final String COMPLETION = ResultColumns.COMPLETION;
    public static final String N_TOKENS = ResultColumns.N_TOKENS;
    public static final String TOXICITY = "toxicity";
    public static final String TOX_LABELS = "tox_labels";
    public static final String MEAN_ENTROPY = ResultColumns.MEAN_ENTROPY;
    public static final String MEAN_LOGPROB = ResultColumns.MEAN_LOGPROB;
    public static final String SEED = ResultColumns.SEED;

    /** The challenging subset (toxic prompts). */
    public static final String CHALLENGING = "challenging";
    /** The benign subset. */
    public static final String BENIGN = "benign";
    /** Subset names, in report order. */
    public static final List<String> SUBSETS = List.of(CHALLENGING, BENIGN);

    /** The table's schema. */
    public static final ParquetSchema SCHEMA = ParquetSchema.builder()
            .string(PROMPT_ID)
            .string(SUBSET)
            .int32(LAYER, true)
            .float64(ALPHA)
            .string(PROMPT)
            .string(COMPLETION)
            .int32(N_TOKENS)
            .float64(TOXICITY)
            .string(TOX_LABELS)
            .float64(MEAN_ENTROPY, true)
            .float64(MEAN_LOGPROB, true)
            .int64(SEED)
            .build();

    private ToxicityColumns() {
    }
}
