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
 * @param maxPositions          {@code max_position_embeddings}: the context length
 */
public record GptNeoXConfig(int hiddenSize, int numHeads, int numLayers, int intermediateSize, double rotaryPct,
                            double rotaryEmbBase, boolean useParallelResidual, double layerNormEps, String hiddenAct,
                            boolean attentionBias, boolean tieWordEmbeddings, int vocabSize, int eosTokenId,
                            int maxPositions) implements ModelConfig {

    /** The architecture name in {@code config.json}. */
    public static final String ARCHITECTURE = "GPTNeoXForCausalLM";
    /** Hugging Face's default {@code max_position_embeddings}. */
    public static final int DEFAULT_MAX_POSITIONS = 2048;

    /** A config with Hugging Face's default context length, {@value #DEFAULT_MAX_POSITIONS}. */
    public GptNeoXConfig(int hiddenSize, int numHeads, int numLayers, int intermediateSize, double rotaryPct,
                         double rotaryEmbBase, boolean useParallelResidual, double layerNormEps, String hiddenAct,
                         boolean attentionBias, boolean tieWordEmbeddings, int vocabSize, int eosTokenId) {
        this(hiddenSize, numHeads, numLayers, intermediateSize, rotaryPct, rotaryEmbBase, useParallelResidual,
                layerNormEps, hiddenAct, attentionBias, tieWordEmbeddings, vocabSize, eosTokenId, DEFAULT_MAX_POSITIONS);
    }

    /** Reads a {@code config.json}; {@code origin} names the file in errors. */
    public static GptNeoXConfig fromJson(JsonNode json, String origin) {
        ConfigFields f = new ConfigFields(json, origin + " (" + ARCHITECTURE + ")");
        int vocab = f.requireDimension("vocab_size");
        GptNeoXConfig c = new GptNeoXConfig(f.requireDimension("hidden_size"), f.requireDimension("num_attention_heads"),
                f.requireDimension("num_hidden_layers"), f.requireDimension("intermediate_size"),
                f.optDouble("rotary_pct", 1.0), f.optPositiveDouble("rotary_emb_base", 10000.0),
                f.optBoolean("use_parallel_residual", true), f.optPositiveDouble("layer_norm_eps", 1e-5),
                f.optString("hidden_act", "gelu"), f.optBoolean("attention_bias", true),
                f.optBoolean("tie_word_embeddings", false), vocab, f.optTokenId("eos_token_id", vocab),
                f.optDimension("max_position_embeddings", DEFAULT_MAX_POSITIONS));
        if (c.hiddenSize % c.numHeads != 0) {
            throw f.unsupported("hidden_size", c.hiddenSize, "must be divisible by num_attention_heads " + c.numHeads);
        }
        if (!(c.rotaryPct > 0) || c.rotaryPct > 1) {
            throw f.unsupported("rotary_pct", c.rotaryPct, "expected 0 < rotary_pct ≤ 1");
        }
        LlamaConfig.checkRotaryDim(f, "rotary_pct", c.rotaryDim());
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
