package dev.steering.model;

/**
 * The architecture-independent facts about a model that the library needs; each architecture has its own record
 * with the rest of its {@code config.json}.
 */
public sealed interface ModelConfig permits GptNeoXConfig, Gpt2Config, LlamaConfig, Gemma2Config {

    /** The Hugging Face architecture name, e.g. {@code GPTNeoXForCausalLM}. */
    String architecture();

    /** Number of transformer blocks. */
    int numLayers();

    /** Width of the residual stream. */
    int hiddenSize();

    /** Number of attention (query) heads. */
    int numHeads();

    /** Size of the vocabulary (rows of the embedding). */
    int vocabSize();

    /** The end-of-sequence token id, or -1 if the config names none. */
    int eosTokenId();

    /** The context length: {@code max_position_embeddings} ({@code n_positions} for GPT-2). */
    int maxPositions();
}
