package dev.steering.model;

import java.util.Objects;

/**
 * One turn of a conversation, as Hugging Face's {@code apply_chat_template} takes it: a role ({@code system},
 * {@code user}, {@code assistant}, or whatever else the model's template knows) and the content, which reaches the
 * model byte for byte (the template never interprets it).
 *
 * @param role    the speaker
 * @param content the text of the turn
 */
public record ChatMessage(String role, String content) implements java.io.Serializable {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (role.isBlank()) {
            throw new IllegalArgumentException("a chat message needs a role (system, user, assistant, ...)");
        }
    }

    /** A system message. */
    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    /** A user message. */
    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    /** An assistant message. */
    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
