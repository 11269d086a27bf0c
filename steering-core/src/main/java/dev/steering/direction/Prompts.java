package dev.steering.direction;

import dev.steering.model.BosConvention;
import dev.steering.model.LanguageModel;
import dev.steering.model.Prompt;
import java.util.List;

/**
 * A prompt set given either as {@link Prompt}s (plain texts or conversations, tokenized with the model's tokenizer
 * under a {@link BosConvention}) or as token ids (for models without a tokenizer). Exactly one of the two lists is
 * non-null.
 */
record Prompts(List<Prompt> prompts, List<long[]> tokens, BosConvention bos) {

    static Prompts ofTexts(List<String> texts, String what) {
        return of(texts.stream().map(Prompt::text).toList(), BosConvention.TOKENIZER, what);
    }

    /** Each text as the user's message, rendered through the model's chat template (assistant turn opened). */
    static Prompts ofChat(List<String> texts, String what) {
        return of(texts.stream().map(Prompt::user).toList(), BosConvention.TOKENIZER, what);
    }

    static Prompts of(List<Prompt> prompts, BosConvention bos, String what) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException(what + " needs at least one prompt");
        }
        return new Prompts(List.copyOf(prompts), null, bos);
    }

    static Prompts ofTokens(List<long[]> tokens, String what) {
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException(what + " needs at least one prompt");
        }
        return new Prompts(null, tokens.stream().map(long[]::clone).toList(), null);
    }

    /** The token ids, encoding prompts with the model's tokenizer. */
    List<long[]> encode(LanguageModel model) {
        return tokens != null ? tokens : prompts.stream().map(p -> model.encodePrompt(p, bos)).toList();
    }

    /** The texts (a conversation's last message), or null for token prompts. */
    List<String> texts() {
        return prompts == null ? null : prompts.stream()
                .map(p -> p.isChat() ? p.messages().get(p.messages().size() - 1).content() : p.text()).toList();
    }

    /** The value of {@link ProvenanceMetadata#BOS}: the convention's id, or {@code ids} for token prompts. */
    String bosLabel() {
        return tokens != null ? ProvenanceMetadata.GIVEN_IDS : bos.id();
    }

    int size() {
        return tokens != null ? tokens.size() : prompts.size();
    }
}
