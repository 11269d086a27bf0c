package dev.steering.experiment;

import dev.steering.model.BosConvention;
import dev.steering.model.ChatMessage;
import dev.steering.model.LanguageModel;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One prompt of a prompt set.
 *
 * @param id     unique within its set, e.g. {@code harm_train_0001}
 * @param prompt the text given to the model (non-blank)
 * @param meta   free-form string attributes ({@code family}, {@code subfamily}, {@code style}, {@code template}, ...),
 *               kept in insertion order and unmodifiable
 * @param messages the conversation before the prompt (system, earlier user and assistant turns), rendered with the
 *               prompt as the last user turn through the model's chat template; empty for a plain prompt
 */
public record Prompt(String id, String prompt, Map<String, String> meta, List<ChatMessage> messages)
        implements Serializable {
    /** A prompt without earlier turns. */
    public Prompt(String id, String prompt, Map<String, String> meta) {
        this(id, prompt, meta, List.of());
    }

    /** Validates id and prompt and copies {@code meta} and {@code messages} (null means empty). */
    public Prompt {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("prompt id must be non-blank");
        }
        if (prompt == null || prompt.isBlank()) {
            throw new IllegalArgumentException("prompt '" + id + "' is empty");
        }
        meta = meta == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(meta));
        messages = messages == null ? List.of() : List.copyOf(messages);
    }

    /**
     * The token ids the model is prompted with: the text, or with {@code chat} the conversation ({@link #messages}
     * then the prompt as the user's turn, assistant turn opened) rendered by the model's chat template.
     *
     * @throws IllegalArgumentException if the prompt carries messages but {@code chat} is off
     */
    public long[] encode(LanguageModel model, boolean chat) {
        if (messages.isEmpty()) {
            return model.encodePrompt(prompt, chat);
        }
        if (!chat) {
            throw new IllegalArgumentException("prompt '" + id + "' carries messages: they need the chat template "
                    + "(model.chat: true)");
        }
        List<ChatMessage> turns = new ArrayList<>(messages);
        turns.add(ChatMessage.user(prompt));
        return model.encodePrompt(dev.steering.model.Prompt.chat(turns), BosConvention.TOKENIZER);
    }
}
