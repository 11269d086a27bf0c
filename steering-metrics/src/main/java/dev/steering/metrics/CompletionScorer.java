package dev.steering.metrics;

import java.util.Objects;

/** Computes all metrics of a completion with one configuration. Immutable and thread-safe. */
public final class CompletionScorer {
    private static final CompletionScorer DEFAULTS =
            new CompletionScorer(RefusalMetric.defaults(), HelpfulnessMetric.defaults(), QualityMetric.defaults());

    private final RefusalMetric refusal;
    private final HelpfulnessMetric helpfulness;
    private final QualityMetric quality;

    /**
     * @param refusal     refusal metric; its result is also the one helpfulness is discounted by
     * @param helpfulness helpfulness metric
     * @param quality     quality metric
     */
    public CompletionScorer(RefusalMetric refusal, HelpfulnessMetric helpfulness, QualityMetric quality) {
        this.refusal = Objects.requireNonNull(refusal, "refusal");
        this.helpfulness = Objects.requireNonNull(helpfulness, "helpfulness");
        this.quality = Objects.requireNonNull(quality, "quality");
    }

    /** All metrics with their default configuration. */
    public static CompletionScorer defaults() {
        return DEFAULTS;
    }

    /** Scores a completion known only as text. */
    public CompletionScores score(String completion) {
        return score(completion, null, null);
    }

    /**
     * Scores a completion with its per-token values (either may be null or empty).
     *
     * @see Confounds#of(String, double[], double[])
     */
    public CompletionScores score(String completion, double[] logprobs, double[] entropies) {
        RefusalResult r = refusal.score(completion);
        int nTokens = logprobs != null && logprobs.length > 0 ? logprobs.length : -1;
        return new CompletionScores(r, helpfulness.score(completion, r), quality.score(completion, nTokens),
                Confounds.of(completion, logprobs, entropies));
    }
}
