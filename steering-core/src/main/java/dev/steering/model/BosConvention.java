package dev.steering.model;

import java.util.Locale;

/**
 * How a prompt's tokens start. A prompt without the BOS token its model was trained with has quite different
 * activations (Gemma especially), so directions and steering results depend on this choice; it is recorded in
 * direction files and run metadata, and steering with a direction built under another convention is refused
 * unless explicitly allowed.
 *
 * <p>Chat prompts are rendered by the model's template, which writes its own special tokens: they are encoded
 * without adding any (as {@code apply_chat_template(tokenize=True)}), except that {@link #PREPEND_BOS} puts the
 * BOS token first when the template did not.
 */
public enum BosConvention {
    /**
     * The tokenizer's own post-processor, as Hugging Face's {@code tokenizer(text)}: {@code <|begin_of_text|>} for
     * Llama-3, {@code <bos>} for Gemma, {@code <s>} for Mistral and Llama-2, nothing for Qwen, GPT-2 and Pythia.
     */
    TOKENIZER,
    /**
     * TransformerLens's {@code prepend_bos=True}: the tokenizer's {@code bos_token} (else its {@code eos_token})
     * first, once, for every model ({@code <|endoftext|>} for Pythia and GPT-2).
     */
    PREPEND_BOS,
    /** No special tokens added ({@code add_special_tokens=False}). */
    NONE;

    /** The name in files and on the command line: {@code tokenizer}, {@code prepend_bos}, {@code none}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The convention of a name written by {@link #id()}.
     *
     * @throws IllegalArgumentException naming the accepted names
     */
    public static BosConvention parse(String id) {
        for (BosConvention b : values()) {
            if (b.id().equalsIgnoreCase(id.strip())) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown BOS convention '" + id + "': expected tokenizer, prepend_bos or none");
    }
}
