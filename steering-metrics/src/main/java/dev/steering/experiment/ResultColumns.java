package dev.steering.experiment;

import dev.steering.experiment.parquet.ParquetSchema;
import java.util.List;

/**
 * The columns of {@code results.parquet}: one row per (prompt, split, layer, intervention, α, sample). The metric
 * columns carry the same names as {@link dev.steering.metrics.CompletionScores#toFields()} and the {@code score}
 * command's output.
 */
public final class ResultColumns {
    public static final String PROMPT_ID = "prompt_id";
    public static final String SPLIT = "split";
    public static final String LAYER = "layer";
    public static final String INTERVENTION = "intervention";
    public static final String ALPHA = "alpha";
    public static final String SAMPLE = "sample";
    public static final String PROMPT = "prompt";
    public static final String COMPLETION = "completion";
    public static final String N_TOKENS = "n_tokens";
    public static final String REFUSAL_SCORE = "refusal_score";
    public static final String IS_REFUSAL = "is_refusal";
    public static final String COHERENT_REFUSAL = "coherent_refusal";
    public static final String HELPFULNESS_SCORE = "helpfulness_score";
    public static final String IS_HELPFUL = "is_helpful";
    public static final String QUALITY = "quality";
    public static final String MEAN_ENTROPY = "mean_entropy";
    public static final String MEAN_LOGPROB = "mean_logprob";
    public static final String SEED = "seed";
    public static final String CHECK = "check";
    public static final String N_WORDS = "n_words";
    public static final String DISTINCT_2 = "distinct_2";
    public static final String REFUSAL_MATCHES = "refusal_matches";
    /** The generated token ids, space-separated (the unsteered ones are the teacher-forced sequence of the KL). */
    public static final String TOKEN_IDS = "token_ids";
    /** KL(unsteered ‖ steered) of the next-token distribution at the first generated position. */
    public static final String KL_FIRST_TOKEN = "kl_first_token";
    /** The same KL averaged over the positions of the unsteered completion, teacher-forced. */
    public static final String KL_MEAN = "kl_mean";
    /** Refusal log-odds of the steered model at the first generated position ({@code ModelRefusalScore}). */
    public static final String MODEL_REFUSAL_SCORE = "model_refusal_score";
    /** {@code model_refusal_score > 0}. */
    public static final String MODEL_IS_REFUSAL = "model_is_refusal";

    /** Split names. */
    public static final List<String> SPLITS = List.of("harm_train", "harm_test", "benign");

    /** The table's schema (nullable where a baseline or the main grid has no value). */
    public static final ParquetSchema SCHEMA = ParquetSchema.builder()
            .string(PROMPT_ID)
            .string(SPLIT)
            .int32(LAYER, true)
            .string(INTERVENTION)
            .float64(ALPHA)
            .int32(SAMPLE)
            .string(PROMPT)
            .string(COMPLETION)
            .int32(N_TOKENS)
            .float64(REFUSAL_SCORE)
            .bool(IS_REFUSAL)
            .bool(COHERENT_REFUSAL)
            .float64(HELPFULNESS_SCORE)
            .bool(IS_HELPFUL)
            .string(QUALITY)
            .float64(MEAN_ENTROPY, true)
            .float64(MEAN_LOGPROB, true)
            .int64(SEED)
            .string(CHECK, true)
            .int32(N_WORDS)
            .float64(DISTINCT_2)
            .string(REFUSAL_MATCHES)
            .string(TOKEN_IDS, true)
            .float64(KL_FIRST_TOKEN, true)
            .float64(KL_MEAN, true)
            .float64(MODEL_REFUSAL_SCORE, true)
            .bool(MODEL_IS_REFUSAL, true)
            .build();

    private ResultColumns() {
    }
}
