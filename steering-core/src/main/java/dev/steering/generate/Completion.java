package dev.steering.generate;

/**
 * One generated continuation with the per-token values the confound metrics need.
 *
 * @param promptId     the prompt's id (seeds its sampler)
 * @param prompt       the prompt text ({@code null} when generation started from token ids)
 * @param promptTokens the prompt's token ids
 * @param tokens       the generated token ids (including a final EOS, if one was produced)
 * @param text         the decoded continuation (special tokens skipped; {@code null} without a tokenizer)
 * @param logprobs     per generated token: log-probability of the chosen token under the model's distribution
 *                     (temperature 1, before top-k/top-p filtering)
 * @param entropies    per generated token: entropy (nats) of that next-token distribution
 * @param hitEos       whether generation ended at the end-of-sequence token
 */
public record Completion(String promptId, String prompt, long[] promptTokens, long[] tokens, String text,
                         double[] logprobs, double[] entropies, boolean hitEos) {

    /** Number of generated tokens. */
    public int length() {
        return tokens.length;
    }

    /** Mean log-probability of the generated tokens (NaN if none). */
    public double meanLogprob() {
        return mean(logprobs);
    }

    /** Mean next-token entropy over the generated tokens (NaN if none). */
    public double meanEntropy() {
        return mean(entropies);
    }

    private static double mean(double[] xs) {
        if (xs.length == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (double x : xs) {
            s += x;
        }
        return s / xs.length;
    }
}
