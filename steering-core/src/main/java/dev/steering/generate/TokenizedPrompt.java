package dev.steering.generate;

import java.util.List;

/**
 * A prompt ready for generation.
 *
 * @param id     a stable id (seeds the prompt's sampler, so sampling never depends on batching)
 * @param text   the prompt text, or null when only tokens are known
 * @param tokens the prompt's token ids (non-empty)
 */
public record TokenizedPrompt(String id, String text, long[] tokens) {
    public TokenizedPrompt {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("prompt '" + id + "' has no tokens");
        }
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
