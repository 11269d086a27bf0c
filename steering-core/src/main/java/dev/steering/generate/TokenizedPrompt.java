package dev.steering.generate;

import dev.steering.model.BosConvention;
import java.util.List;

/**
 * A prompt ready for generation.
 *
 * @param id     a stable id (seeds the prompt's sampler, so sampling never depends on batching)
 * @param text   the prompt text, or null when only tokens are known
 * @param tokens the prompt's token ids (non-empty)
 * @param bos    how the tokens start, or null when they were given as ids (not checked against directions)
 */
public record TokenizedPrompt(String id, String text, long[] tokens, BosConvention bos) {
    public TokenizedPrompt {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("prompt '" + id + "' has no tokens");
        }
    }

    /** A prompt given as token ids, of no known BOS convention. */
    public TokenizedPrompt(String id, String text, long[] tokens) {
        this(id, text, tokens, null);
    }

    /**
     * Fails, naming the first offending prompt and the lengths, if a prompt is longer than the model's context.
     *
     * @param prompts       prompts about to be generated from
     * @param contextLength the model's {@code max_position_embeddings} ({@code n_positions} for GPT-2)
     */
    public static void requireWithinContext(List<TokenizedPrompt> prompts, int contextLength) {
        for (TokenizedPrompt p : prompts) {
            if (p.tokens.length > contextLength) {
                throw new IllegalArgumentException("prompt '" + p.id + "' has " + p.tokens.length + " tokens, more than"
                        + " the model's context of " + contextLength + " positions (max_position_embeddings or"
                        + " n_positions): shorten or drop it");
            }
        }
    }
}
