package dev.steering.direction;

import dev.steering.model.LanguageModel;
import java.util.List;

/**
 * A prompt set given either as texts (tokenized with the model's tokenizer) or as token ids (for models without a
 * tokenizer). Exactly one of the two lists is non-null.
 */
record Prompts(List<String> texts, List<long[]> tokens) {

    static Prompts ofTexts(List<String> texts, String what) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException(what + " needs at least one prompt");
        }
        return new Prompts(List.copyOf(texts), null);
    }

    static Prompts ofTokens(List<long[]> tokens, String what) {
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException(what + " needs at least one prompt");
        }
        return new Prompts(null, tokens.stream().map(long[]::clone).toList());
    }

    /** The token ids, encoding texts with the model's tokenizer. */
    List<long[]> encode(LanguageModel model) {
        return tokens != null ? tokens : texts.stream().map(model.requireTokenizer()::encode).toList();
    }

    int size() {
        return tokens != null ? tokens.size() : texts.size();
    }
}
