package dev.steering.metrics;

import java.util.List;
import java.util.OptionalInt;

/**
 * Properties of a completion that change under steering and can masquerade as an effect: length, the model's
 * confidence and repetition. Reported next to every refusal rate so a reader can tell "refuses more" from "talks
 * less" or "loops".
 *
 * @param nWords        number of {@linkplain Text#words words}
 * @param nTokens       number of generated tokens, when per-token values were given
 * @param meanLogprob   mean log-probability of the generated tokens; NaN when not given
 * @param meanEntropy   mean entropy (nats) of the next-token distributions; NaN when not given
 * @param distinct1     {@linkplain Text#distinctN distinct-1} of the words
 * @param distinct2     distinct-2 of the words
 * @param longestRepeat {@linkplain Text#longestRepeat longest repeated word n-gram}, in words
 */
public record Confounds(int nWords, OptionalInt nTokens, double meanLogprob, double meanEntropy, double distinct1,
                        double distinct2, int longestRepeat) {

    /**
     * Computes the confounds of one completion.
     *
     * @param text      the completion
     * @param logprobs  per generated token, the log-probability of the sampled token; null or empty if unknown
     * @param entropies per generated token, the entropy of the next-token distribution; null or empty if unknown
     * @throws IllegalArgumentException if both arrays are given with different lengths
     */
    public static Confounds of(String text, double[] logprobs, double[] entropies) {
        boolean hasLp = logprobs != null && logprobs.length > 0;
        boolean hasEnt = entropies != null && entropies.length > 0;
        if (hasLp && hasEnt && logprobs.length != entropies.length) {
            throw new IllegalArgumentException("logprobs has " + logprobs.length + " values but entropies has "
                    + entropies.length + "; both are per generated token");
        }
        OptionalInt nTokens = hasLp ? OptionalInt.of(logprobs.length)
                : hasEnt ? OptionalInt.of(entropies.length) : OptionalInt.empty();
        List<String> words = Text.words(text);
        return new Confounds(words.size(), nTokens, mean(logprobs), mean(entropies), Text.distinctN(words, 1),
                Text.distinctN(words, 2), Text.longestRepeat(words));
    }

    private static double mean(double[] values) {
        if (values == null || values.length == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
