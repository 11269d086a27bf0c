package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/**
 * {@code Gemma2ForCausalLM} configuration.
 *
 * @param hiddenSize            {@code hidden_size}
 * @param numHeads              {@code num_attention_heads}
 * @param numKvHeads            {@code num_key_value_heads}
 * @param headDim               {@code head_dim} (independent of {@code hidden_size / num_attention_heads})
 * @param numLayers             {@code num_hidden_layers}
 * @param intermediateSize      {@code intermediate_size}
 * @param rmsNormEps            {@code rms_norm_eps}
 * @param hiddenActivation      {@code hidden_activation} (the gate's activation)
 * @param vocabSize             {@code vocab_size}
 * @param eosTokenId            {@code eos_token_id} (the first, if a list), or -1
 * @param ropeTheta             {@code rope_theta}
 * @param ropeScaling           {@code rope_scaling}
 * @param queryPreAttnScalar    {@code query_pre_attn_scalar}: scores are scaled by its inverse square root
 * @param attnLogitSoftcapping  {@code attn_logit_softcapping}, or 0 for none
 * @param finalLogitSoftcapping {@code final_logit_softcapping}, or 0 for none
 * @param slidingWindow         {@code sliding_window}
 * @param slidingLayers         the layers with sliding-window attention (the even ones, unless {@code layer_types}
 *                              says otherwise)
 * @param maxPositions          {@code max_position_embeddings}: the context length
 */
public record Gemma2Config(int hiddenSize, int numHeads, int numKvHeads, int headDim, int numLayers,
                           int intermediateSize, double rmsNormEps, String hiddenActivation, int vocabSize,
                           int eosTokenId, double ropeTheta, RopeScaling ropeScaling, double queryPreAttnScalar,
                           double attnLogitSoftcapping, double finalLogitSoftcapping, int slidingWindow,
                           Set<Integer> slidingLayers, int maxPositions) implements ModelConfig {

    /** The architecture name in {@code config.json}. */
    public static final String ARCHITECTURE = "Gemma2ForCausalLM";

    public Gemma2Config {
        slidingLayers = Set.copyOf(slidingLayers);
    }

    /** Reads a {@code config.json}; {@code origin} names the file in errors. Defaults are Hugging Face's. */
    public static Gemma2Config fromJson(JsonNode json, String origin) {
        ConfigFields f = new ConfigFields(json, origin + " (" + ARCHITECTURE + ")");
        int hidden = f.requireDimension("hidden_size");
        int heads = f.requireDimension("num_attention_heads");
        int kvHeads = f.optDimension("num_key_value_heads", heads);
        int layers = f.requireDimension("num_hidden_layers");
        int headDim = f.optDimension("head_dim", 256);
        LlamaConfig.checkHeads(f, hidden, heads, kvHeads, true);
        f.checkProduct("num_attention_heads × head_dim", (long) heads * headDim);
        LlamaConfig.checkRotaryDim(f, "head_dim", headDim);
        int vocab = f.requireDimension("vocab_size");
        if (!f.optBoolean("tie_word_embeddings", true)) {
            throw f.unsupported("tie_word_embeddings", false, "Gemma-2 always ties its head to the embedding");
        }
        Gemma2Config c = new Gemma2Config(hidden, heads, kvHeads, headDim, layers,
                f.requireDimension("intermediate_size"), f.optPositiveDouble("rms_norm_eps", 1e-6),
                f.optString("hidden_activation", "gelu_pytorch_tanh"), vocab, f.optTokenId("eos_token_id", vocab),
                f.optPositiveDouble("rope_theta", 10000.0), RopeScaling.parse(f, headDim),
                f.optPositiveDouble("query_pre_attn_scalar", 256),
                softCap(f, json, "attn_logit_softcapping", 50.0), softCap(f, json, "final_logit_softcapping", 30.0),
                f.optDimension("sliding_window", 4096), LlamaConfig.slidingLayers(f, layers, l -> l % 2 == 0),
                f.optDimension("max_position_embeddings", 8192));
        Ops.checkActivation(c.hiddenActivation, f, "hidden_activation");
        return c;
    }

    /** A soft-capping value: the field's number (above 0), 0 (off) if it is null, Hugging Face's default if absent. */
    private static double softCap(ConfigFields f, JsonNode json, String field, double fallback) {
        return json.has(field) && json.get(field).isNull() ? 0 : f.optPositiveDouble(field, fallback);
    }

    @Override
    public String architecture() {
        return ARCHITECTURE;
    }

    /** The sliding window of layer {@code l}, or 0 if it attends to the whole context. */
    public int windowOf(int l) {
        return slidingLayers.contains(l) ? slidingWindow : 0;
    }
}
