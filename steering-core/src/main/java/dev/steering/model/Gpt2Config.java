package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code GPT2LMHeadModel} configuration.
 *
 * @param hiddenSize         {@code n_embd}
 * @param numHeads           {@code n_head}
 * @param numLayers          {@code n_layer}
 * @param maxPositions       {@code n_positions}
 * @param layerNormEps       {@code layer_norm_epsilon}
 * @param activation         {@code activation_function}
 * @param vocabSize          {@code vocab_size}
 * @param eosTokenId         {@code eos_token_id}
 * @param intermediateSize   {@code n_inner} (default 4·n_embd)
 */
public record Gpt2Config(int hiddenSize, int numHeads, int numLayers, int maxPositions, double layerNormEps,
                         String activation, int vocabSize, int eosTokenId, int intermediateSize)
        implements ModelConfig {

    /** The architecture name in {@code config.json}. */
    public static final String ARCHITECTURE = "GPT2LMHeadModel";

    /** Reads a {@code config.json}; {@code origin} names the file in errors. */
    public static Gpt2Config fromJson(JsonNode json, String origin) {
        ConfigFields f = new ConfigFields(json, origin + " (" + ARCHITECTURE + ")");
        int hidden = f.requireDimension("n_embd");
        int vocab = f.requireDimension("vocab_size");
        Gpt2Config c = new Gpt2Config(hidden, f.requireDimension("n_head"), f.requireDimension("n_layer"),
                f.requireDimension("n_positions"), f.optPositiveDouble("layer_norm_epsilon", 1e-5),
                f.optString("activation_function", "gelu_new"), vocab, f.optTokenId("eos_token_id", vocab),
                f.optDimension("n_inner", 4 * hidden));
        if (c.hiddenSize % c.numHeads != 0) {
            throw f.unsupported("n_embd", c.hiddenSize, "must be divisible by n_head " + c.numHeads);
        }
        if (!f.optBoolean("tie_word_embeddings", true)) {
            throw f.unsupported("tie_word_embeddings", false, "GPT-2 ties its head to the token embedding");
        }
        if (f.optBoolean("scale_attn_by_inverse_layer_idx", false) || f.optBoolean("reorder_and_upcast_attn", false)) {
            throw f.unsupported("scale_attn_by_inverse_layer_idx", "true", "only the standard GPT-2 attention");
        }
        Ops.checkActivation(c.activation, f, "activation_function");
        return c;
    }

    @Override
    public String architecture() {
        return ARCHITECTURE;
    }

    /** Size of one attention head. */
    public int headDim() {
        return hiddenSize / numHeads;
    }
}
