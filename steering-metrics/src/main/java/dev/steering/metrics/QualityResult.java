package dev.steering.metrics;

import java.util.List;

/**
 * The quality tier of one completion with the features it was decided from. All features are computed on the text
 * with code (fenced and inline) removed, so a code answer is judged by its prose.
 *
 * @param quality           the tier
 * @param reasons           the rules that fired, e.g. {@code "distinct_2 0.31 < 0.5"}; empty for coherent text
 * @param nWords            words in the prose
 * @param distinct2         distinct-2 of the prose words
 * @param longestRepeat     longest repeated word n-gram, in words
 * @param longestWordRun    longest run of one word repeated back to back
 * @param longestCharRun    longest run of one non-blank character (except - = _, used for rules and underlines)
 * @param nonWordRatio      share of whitespace tokens that are not word-like (see {@link QualityMetric})
 * @param functionWordRatio share of words that are English function words ("the", "of", "to", ...)
 */
public record QualityResult(Quality quality, List<String> reasons, int nWords, double distinct2, int longestRepeat,
                            int longestWordRun, int longestCharRun, double nonWordRatio, double functionWordRatio) {
    public QualityResult {
        reasons = List.copyOf(reasons);
    }
}
