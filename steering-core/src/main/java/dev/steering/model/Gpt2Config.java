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
        int hidden = f.requirePositive("n_embd");
        Gpt2Config c = new Gpt2Config(hidden, f.requirePositive("n_head"), f.requirePositive("n_layer"),
                f.requirePositive("n_positions"), f.optDouble("layer_norm_epsilon", 1e-5),
                f.optString("activation_function", "gelu_new"), f.requirePositive("vocab_size"),
                java.util.Objects.requireNonNullElse(f.optIntOrNull("eos_token_id"), -1),
                f.has("n_inner") ? f.requirePositive("n_inner") : 4 * hidden);
        if (c.hiddenSize % c.numHeads != 0) {
            throw new IllegalArgumentException(origin + ": n_embd " + c.hiddenSize + " is not divisible by n_head "
                    + c.numHeads);
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
