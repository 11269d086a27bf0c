package dev.steering.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Turns {@link Prompt}s into token ids: plain text as a {@link BosConvention} says, conversations rendered through
 * the chat template and encoded without adding special tokens (the template writes them;
 * {@link BosConvention#PREPEND_BOS} puts the BOS token first when the template did not). Holds no weights, so
 * {@code tokenize} can use it on a checkpoint directory without loading the model. Thread-safe.
 */
public final class PromptEncoder implements AutoCloseable {
    private final String id;
    private final TextTokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final boolean owned;

    /**
     * @param id           the model's name, for messages
     * @param tokenizer    the tokenizer, or null if the checkpoint ships none
     * @param chatTemplate the chat template, or null if the checkpoint ships none
     */
    public PromptEncoder(String id, TextTokenizer tokenizer, ChatTemplate chatTemplate) {
        this(id, tokenizer, chatTemplate, false);
    }

    private PromptEncoder(String id, TextTokenizer tokenizer, ChatTemplate chatTemplate, boolean owned) {
        this.id = id;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.owned = owned;
    }

    /**
     * The tokenizer ({@code tokenizer.json}, {@code tokenizer_config.json}) and chat template of a checkpoint
     * directory, without its weights; the caller closes it.
     */
    public static PromptEncoder load(Path dir, String id) {
        Path json = dir.resolve("tokenizer.json");
        return new PromptEncoder(id, Files.exists(json) ? TextTokenizer.load(json) : null,
                ChatTemplate.load(dir).orElse(null), true);
    }

    /** The tokenizer, if the checkpoint has one. */
    public Optional<TextTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** The tokenizer, or an error saying the checkpoint has none and token ids must be given. */
    public TextTokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new IllegalStateException(id + " has no tokenizer.json: give token ids instead of text");
        }
        return tokenizer;
    }

    /** The chat template, if the checkpoint has one. */
    public Optional<ChatTemplate> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /** The text a prompt gives the tokenizer: plain text as it is, a conversation rendered by the chat template. */
    public String render(Prompt prompt) {
        if (!prompt.isChat()) {
            return prompt.text();
        }
        if (chatTemplate == null) {
            throw new IllegalStateException(id + " has no chat template (tokenizer_config.json chat_template or "
                    + "chat_template.jinja): prompt it without chat");
        }
        return chatTemplate.render(prompt.messages(), prompt.addGenerationPrompt());
    }

    /** The token ids and token strings of a prompt. */
    public TextTokenizer.Tokens tokenize(Prompt prompt, BosConvention bos) {
        TextTokenizer tok = requireTokenizer();
        if (!prompt.isChat()) {
            return tok.tokenize(prompt.text(), bos);
        }
        TextTokenizer.Tokens t = tok.tokenize(render(prompt), BosConvention.NONE);
        return bos == BosConvention.PREPEND_BOS ? tok.withBos(t) : t;
    }

    /**
     * Number of tokens the chat template puts after the user's message (the post-instruction tokens of
     * Arditi et al., e.g. Llama-3's {@code <|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n}).
     */
    public int postInstructionTokens() {
        String marker = "\u0000steering-user-message\u0000";
        String rendered = render(Prompt.user(marker));
        int at = rendered.lastIndexOf(marker);
        return requireTokenizer().encode(rendered.substring(at + marker.length())).length;
    }

    /** Closes the tokenizer of an encoder made by {@link #load}; a model's own encoder is closed with the model. */
    @Override
    public void close() {
        if (owned) {
            closeTokenizer();
        }
    }

    void closeTokenizer() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
