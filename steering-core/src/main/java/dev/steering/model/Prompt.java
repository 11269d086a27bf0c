package dev.steering.model;

import java.util.List;

/**
 * What a model is prompted with: plain text, or a conversation rendered through the model's chat template.
 * Exactly one of {@code text} and {@code messages} is non-null.
 *
 * @param text                the plain text, or null for a conversation
 * @param messages            the conversation's turns (system / user / assistant), or null for plain text
 * @param addGenerationPrompt for a conversation: open the assistant's turn after the last message
 */
public record Prompt(String text, List<ChatMessage> messages, boolean addGenerationPrompt) {
    public Prompt {
        if ((text == null) == (messages == null)) {
            throw new IllegalArgumentException("a prompt is either text or messages");
        }
        if (messages != null) {
            if (messages.isEmpty()) {
                throw new IllegalArgumentException("a chat prompt needs at least one message");
            }
            messages = List.copyOf(messages);
        }
    }

    /** Plain text, tokenized as it is. */
    public static Prompt text(String text) {
        return new Prompt(text, null, false);
    }

    /** A conversation with the assistant's turn opened ({@code add_generation_prompt=True}). */
    public static Prompt chat(List<ChatMessage> messages) {
        return new Prompt(null, messages, true);
    }

    /** A conversation, with or without the assistant's turn opened. */
    public static Prompt chat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return new Prompt(null, messages, addGenerationPrompt);
    }

    /** One user message with the assistant's turn opened: the usual instruction prompt. */
    public static Prompt user(String content) {
        return chat(List.of(ChatMessage.user(content)));
    }

    /** Plain text, or with {@code chat} the text as one user message ({@link #user}). */
    public static Prompt of(String text, boolean chat) {
        return chat ? user(text) : text(text);
    }

    /** Whether this prompt is rendered through a chat template. */
    public boolean isChat() {
        return messages != null;
    }
}
