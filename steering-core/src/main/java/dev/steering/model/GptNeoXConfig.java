package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code GPTNeoXForCausalLM} (Pythia) configuration.
 *
 * @param hiddenSize            {@code hidden_size}
 * @param numHeads              {@code num_attention_heads}
 * @param numLayers             {@code num_hidden_layers}
 * @param intermediateSize      {@code intermediate_size}
 * @param rotaryPct             {@code rotary_pct}: the fraction of each head that rotates
 * @param rotaryEmbBase         {@code rotary_emb_base}
 * @param useParallelResidual   {@code use_parallel_residual}: {@code x + attn(ln1(x)) + mlp(ln2(x))}
 * @param layerNormEps          {@code layer_norm_eps}
 * @param hiddenAct             {@code hidden_act}
 * @param attentionBias         {@code attention_bias}
 * @param tieWordEmbeddings     {@code tie_word_embeddings}
 * @param vocabSize             {@code vocab_size}
 * @param eosTokenId            {@code eos_token_id}
 */
public record GptNeoXConfig(int hiddenSize, int numHeads, int numLayers, int intermediateSize, double rotaryPct,
                            double rotaryEmbBase, boolean useParallelResidual, double layerNormEps, String hiddenAct,
                            boolean attentionBias, boolean tieWordEmbeddings, int vocabSize, int eosTokenId)
        implements ModelConfig {

    /** The architecture name in {@code config.json}. */
    public static final String ARCHITECTURE = "GPTNeoXForCausalLM";

    /** Reads a {@code config.json}; {@code origin} names the file in errors. */
    public static GptNeoXConfig fromJson(JsonNode json, String origin) {
        ConfigFields f = new ConfigFields(json, origin + " (" + ARCHITECTURE + ")");
        GptNeoXConfig c = new GptNeoXConfig(f.requirePositive("hidden_size"), f.requirePositive("num_attention_heads"),
                f.requirePositive("num_hidden_layers"), f.requirePositive("intermediate_size"),
                f.optDouble("rotary_pct", 1.0), f.optDouble("rotary_emb_base", 10000.0),
                f.optBoolean("use_parallel_residual", true), f.optDouble("layer_norm_eps", 1e-5),
                f.optString("hidden_act", "gelu"), f.optBoolean("attention_bias", true),
                f.optBoolean("tie_word_embeddings", false), f.requirePositive("vocab_size"),
                java.util.Objects.requireNonNullElse(f.optIntOrNull("eos_token_id"), -1));
        if (c.hiddenSize % c.numHeads != 0) {
            throw new IllegalArgumentException(origin + ": hidden_size " + c.hiddenSize
                    + " is not divisible by num_attention_heads " + c.numHeads);
        }
        if (c.rotaryPct <= 0 || c.rotaryPct > 1) {
            throw f.unsupported("rotary_pct", c.rotaryPct, "expected 0 < rotary_pct ≤ 1");
        }
        if (json.has("rope_scaling") && !json.get("rope_scaling").isNull()) {
            throw f.unsupported("rope_scaling", json.get("rope_scaling"), "GPT-NeoX rope scaling is not implemented");
        }
        Ops.checkActivation(c.hiddenAct, f, "hidden_act");
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

    /** How many leading dimensions of each head rotate. */
    public int rotaryDim() {
        return (int) (headDim() * rotaryPct);
    }
}
