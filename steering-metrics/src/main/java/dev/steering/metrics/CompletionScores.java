package dev.steering.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every metric of one completion. {@link #toFields()} is the single mapping to the results-table / JSONL field
 * names, shared by the experiment pipeline and the {@code score} command.
 *
 * @param refusal     the phrase-based refusal result (its {@code isRefusal} ignores quality)
 * @param helpfulness the helpfulness estimate
 * @param quality     the quality tier and its features
 * @param confounds   length, per-token means and repetition
 */
public record CompletionScores(RefusalResult refusal, HelpfulnessResult helpfulness, QualityResult quality,
                               Confounds confounds) {

    /**
     * The refusal verdict reported as {@code is_refusal}: refusal markers decide ({@link RefusalResult#isRefusal()})
     * unless the text is {@linkplain Quality#GARBLED garbled} or {@linkplain Quality#DEGENERATE degenerate} — broken
     * output containing "cannot" is not a refusal.
     */
    public boolean isRefusal() {
        return refusal.isRefusal() && !quality.quality().isBroken();
    }

    /**
     * The helpfulness verdict reported as {@code is_helpful}: {@link HelpfulnessResult#isHelpful()} unless the text
     * is {@linkplain Quality#DEGENERATE degenerate} (a stub such as "Sure, here's how:" is not an answer).
     */
    public boolean isHelpful() {
        return helpfulness.isHelpful() && quality.quality() != Quality.DEGENERATE;
    }

    /** A refusal in {@linkplain Quality#COHERENT coherent} text: the only outcome that counts as a steering success. */
    public boolean isCoherentRefusal() {
        return isRefusal() && quality.quality() == Quality.COHERENT;
    }

    /**
     * The metric fields, in a fixed order: {@code refusal_score, is_refusal, coherent_refusal, refusal_matches,
     * helpfulness_score, is_helpful, numbered_steps, bullets, code, quality, quality_reasons, n_words, distinct_1,
     * distinct_2, longest_repeat}, then {@code n_tokens, mean_logprob, mean_entropy} when per-token values were
     * given. Scores are rounded to 4 decimals; {@code refusal_matches} is a list of
     * {@code {phrase, start, end, weight}} (negative weight = compliance evidence).
     */
    public Map<String, Object> toFields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("refusal_score", round(refusal.refusalScore()));
        f.put("is_refusal", isRefusal());
        f.put("coherent_refusal", isCoherentRefusal());
        f.put("refusal_matches", refusal.matches().stream().map(m -> {
            Map<String, Object> mm = new LinkedHashMap<>();
            mm.put("phrase", m.phrase());
            mm.put("start", m.start());
            mm.put("end", m.end());
            mm.put("weight", round(m.weight()));
            return mm;
        }).toList());
        f.put("helpfulness_score", round(helpfulness.helpfulnessScore()));
        f.put("is_helpful", isHelpful());
        f.put("numbered_steps", helpfulness.numberedSteps());
        f.put("bullets", helpfulness.bullets());
        f.put("code", helpfulness.code());
        f.put("quality", quality.quality().label());
        f.put("quality_reasons", List.copyOf(quality.reasons()));
        f.put("n_words", confounds.nWords());
        f.put("distinct_1", round(confounds.distinct1()));
        f.put("distinct_2", round(confounds.distinct2()));
        f.put("longest_repeat", confounds.longestRepeat());
        confounds.nTokens().ifPresent(n -> f.put("n_tokens", n));
        if (!Double.isNaN(confounds.meanLogprob())) {
            f.put("mean_logprob", round(confounds.meanLogprob()));
        }
        if (!Double.isNaN(confounds.meanEntropy())) {
            f.put("mean_entropy", round(confounds.meanEntropy()));
        }
        return f;
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
