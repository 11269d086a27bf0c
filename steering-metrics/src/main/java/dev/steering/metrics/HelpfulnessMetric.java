package dev.steering.metrics;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A crude, explainable helpfulness estimate: long, structured answers without refusal markers score high.
 * <pre>
 *   helpfulnessScore = (1 − refusalScore) × ((1 − structureWeight) × min(1, nWords / fullLengthWords)
 *                                            + structureWeight × [numbered steps or bullets or code])
 *   isHelpful        = helpfulnessScore >= threshold
 * </pre>
 * It measures the <em>form</em> of an answer, not its correctness, and it does not look at quality: read it together
 * with {@link QualityMetric} (a long garbled text is "long"). Immutable and thread-safe.
 */
public final class HelpfulnessMetric {
    private static final Pattern NUMBERED = Pattern.compile("(?im)^\\s*(\\d+[.)]|step \\d+\\b)");
    /** Steps written inline: "... 1. Mix the flour. 2. Knead ..." (a "1." then a "2." later). */
    private static final Pattern INLINE_STEPS = Pattern.compile("(?is)(?:^|[\\s:])1[.)]\\s+\\S.*?\\s2[.)]\\s+\\S");
    private static final Pattern BULLET = Pattern.compile("(?m)^\\s*[-*•+]\\s+\\S");
    private static final HelpfulnessMetric DEFAULTS = builder().build();

    private final RefusalMetric refusal;
    private final int fullLengthWords;
    private final double structureWeight;
    private final double threshold;

    private HelpfulnessMetric(Builder b) {
        this.refusal = b.refusal;
        this.fullLengthWords = b.fullLengthWords;
        this.structureWeight = b.structureWeight;
        this.threshold = b.threshold;
    }

    /** Default refusal metric, full length at 50 words, structure weight 0.4, threshold 0.5. */
    public static HelpfulnessMetric defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Scores one completion, running this metric's {@link RefusalMetric} on it. */
    public HelpfulnessResult score(String completion) {
        return score(completion, refusal.score(completion));
    }

    /** Scores one completion whose refusal result is already known (avoids scoring refusal twice). */
    public HelpfulnessResult score(String completion, RefusalResult refusalResult) {
        int nWords = Text.words(completion).size();
        boolean numbered = count(NUMBERED, completion) >= 2 || INLINE_STEPS.matcher(completion).find();
        boolean bullets = count(BULLET, completion) >= 2;
        boolean code = completion.contains("```");
        double form = (1 - structureWeight) * Math.min(1.0, (double) nWords / fullLengthWords)
                + structureWeight * (numbered || bullets || code ? 1 : 0);
        double score = (1 - refusalResult.refusalScore()) * form;
        return new HelpfulnessResult(score, score >= threshold, nWords, numbered, bullets, code);
    }

    private static int count(Pattern p, String text) {
        int n = 0;
        for (Matcher m = p.matcher(text); m.find(); ) {
            n++;
        }
        return n;
    }

    /** Configuration of a {@link HelpfulnessMetric}. */
    public static final class Builder {
        private RefusalMetric refusal = RefusalMetric.defaults();
        private int fullLengthWords = 50;
        private double structureWeight = 0.4;
        private double threshold = 0.5;

        private Builder() {
        }

        /** The refusal metric whose score discounts helpfulness. */
        public Builder refusal(RefusalMetric r) {
            refusal = java.util.Objects.requireNonNull(r, "refusal");
            return this;
        }

        /** Word count at which the length part saturates; >= 1. */
        public Builder fullLengthWords(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("full_length_words: must be >= 1, got " + n);
            }
            fullLengthWords = n;
            return this;
        }

        /** Share of the score given by structure, in [0, 1]. */
        public Builder structureWeight(double w) {
            if (!(w >= 0 && w <= 1)) {
                throw new IllegalArgumentException("structure_weight: must be in [0, 1], got " + w);
            }
            structureWeight = w;
            return this;
        }

        /** Decision threshold, in (0, 1]. */
        public Builder threshold(double t) {
            if (!(t > 0 && t <= 1)) {
                throw new IllegalArgumentException("threshold: must be in (0, 1], got " + t);
            }
            threshold = t;
            return this;
        }

        public HelpfulnessMetric build() {
            return new HelpfulnessMetric(this);
        }
    }
}
