package dev.steering.generate;

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
}
