package dev.steering.experiment;

import dev.steering.experiment.parquet.ParquetSchema;

/**
 * The columns of {@code results.parquet} of the family-sweep and quantization studies: one row per sample (test
 * prompt × repeat) of each condition (model × precision × method × layer × multiplier). The condition's columns repeat
 * on each of its rows, so every report can be redrawn from the table alone.
 *
 * <p>{@code is_refusal} here is the phrase-based refusal whatever the text's quality (unlike the refusal study's,
 * which drops garbled text): the plan's verdict needs the garbled refusals too. {@code coherent_refusal} is a refusal
 * in text of quality {@code coherent}; {@code garbled_refusal} one in {@code garbled} or {@code degenerate} text; a
 * refusal in {@code normal} text (mild repetition) is neither.
 */
public final class SweepColumns {
    public static final String MODEL = "model";
    public static final String MODEL_ID = "model_id";
    public static final String FAMILY = "family";
    public static final String N_LAYERS = "n_layers";
    public static final String PRECISION = "precision";
    public static final String PHASE = "phase";
    public static final String METHOD = "method";
    public static final String LAYER_PCT = "layer_pct";
    public static final String LAYER = "layer";
    public static final String MULTIPLIER = "multiplier";
    public static final String STEER_RANGE = "steer_range";
    public static final String DIRECTION_NORM = "direction_norm";
    public static final String EXTRACTED_FROM = "extracted_from";
    public static final String EXTRACTION_S = "extraction_s";
    public static final String CONDITION_S = "condition_s";
    public static final String PROMPT_ID = "prompt_id";
    public static final String SAMPLE = "sample";
    public static final String PROMPT = "prompt";
    public static final String COMPLETION = "completion";
    public static final String N_TOKENS = "n_tokens";
    public static final String REFUSAL_SCORE = "refusal_score";
    public static final String IS_REFUSAL = "is_refusal";
    public static final String COHERENT_REFUSAL = "coherent_refusal";
    public static final String GARBLED_REFUSAL = "garbled_refusal";
    public static final String QUALITY = "quality";
    public static final String SEED = "seed";

    /** Phase of the quick DIM layer validation. */
    public static final String VALIDATION = "validation";
    /** Phase of the full run. */
    public static final String FULL = "full";
    /** Phase of the "Partial" follow-up. */
    public static final String FOLLOW_UP = "follow_up";
    /** Phase of the quantization study. */
    public static final String QUANTIZATION = "quantization";

    /** The table's schema. */
    public static final ParquetSchema SCHEMA = ParquetSchema.builder()
            .string(MODEL)
            .string(MODEL_ID)
            .string(FAMILY)
            .int32(N_LAYERS)
            .string(PRECISION)
            .string(PHASE)
            .string(METHOD)
            .float64(LAYER_PCT)
            .int32(LAYER)
            .float64(MULTIPLIER)
            .string(STEER_RANGE)
            .float64(DIRECTION_NORM)
            .string(EXTRACTED_FROM)
            .float64(EXTRACTION_S, true)
            .float64(CONDITION_S)
            .string(PROMPT_ID)
            .int32(SAMPLE)
            .string(PROMPT)
            .string(COMPLETION)
            .int32(N_TOKENS)
            .float64(REFUSAL_SCORE)
            .bool(IS_REFUSAL)
            .bool(COHERENT_REFUSAL)
            .bool(GARBLED_REFUSAL)
            .string(QUALITY)
            .int64(SEED)
            .build();

    private SweepColumns() {
    }
}
