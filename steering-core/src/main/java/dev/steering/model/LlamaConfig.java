package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntPredicate;

/**
 * Configuration of the Llama-style decoders: Llama (2, 3.x, TinyLlama), Qwen2, Mistral and Phi-3. They share one
 * forward pass ({@link Llama}); the {@link Variant} fixes what each architecture hard-codes (Qwen2's q/k/v biases,
 * Phi-3's fused projections and partial rotary, Mistral's sliding window).
 *
 * @param variant           which architecture
 * @param hiddenSize        {@code hidden_size}
 * @param numHeads          {@code num_attention_heads}
 * @param numKvHeads        {@code num_key_value_heads} (default: {@code num_attention_heads})
 * @param headDim           {@code head_dim} (default: {@code hidden_size / num_attention_heads})
 * @param numLayers         {@code num_hidden_layers}
 * @param intermediateSize  {@code intermediate_size}
 * @param rmsNormEps        {@code rms_norm_eps}
 * @param hiddenAct         {@code hidden_act} (the gate's activation)
 * @param qkvBias           biases on q/k/v (Llama {@code attention_bias}; always for Qwen2)
 * @param outputBias        bias on the attention output projection (Llama {@code attention_bias})
 * @param mlpBias           biases on the MLP projections (Llama {@code mlp_bias})
 * @param tieWordEmbeddings {@code tie_word_embeddings} (the head is also tied when {@code lm_head.weight} is absent)
 * @param vocabSize         {@code vocab_size}
 * @param eosTokenId        {@code eos_token_id}, or -1
 * @param ropeTheta         {@code rope_theta}
 * @param rotaryDim         rotating dimensions per head ({@code head_dim · partial_rotary_factor} for Phi-3)
 * @param ropeScaling       {@code rope_scaling}
 * @param slidingWindow     {@code sliding_window} of the {@code slidingLayers}, or 0 for none
 * @param slidingLayers     the layers with sliding-window attention
 * @param maxPositions      {@code max_position_embeddings}: the context length
 */
public record LlamaConfig(Variant variant, int hiddenSize, int numHeads, int numKvHeads, int headDim, int numLayers,
                          int intermediateSize, double rmsNormEps, String hiddenAct, boolean qkvBias,
                          boolean outputBias, boolean mlpBias, boolean tieWordEmbeddings, int vocabSize,
                          int eosTokenId, double ropeTheta, int rotaryDim, RopeScaling ropeScaling,
                          int slidingWindow, Set<Integer> slidingLayers, int maxPositions) implements ModelConfig {

    /** The architectures this config describes, with their {@code config.json} names. */
    public enum Variant {
        /** {@code LlamaForCausalLM}. */
        LLAMA("LlamaForCausalLM", "llama", 1e-6, 2048),
        /** {@code Qwen2ForCausalLM}: Llama with q/k/v biases and an optional sliding window on upper layers. */
        QWEN2("Qwen2ForCausalLM", "qwen2", 1e-6, 32768),
        /** {@code MistralForCausalLM}: Llama with a sliding window on every layer. */
        MISTRAL("MistralForCausalLM", "mistral", 1e-6, 131072),
        /** {@code Phi3ForCausalLM}: fused qkv and gate/up projections, partial rotary, longrope. */
        PHI3("Phi3ForCausalLM", "phi3", 1e-5, 4096);

        private final String architecture;
        private final String modelType;
        private final double defaultEps;
        private final int defaultPositions;

        Variant(String architecture, String modelType, double defaultEps, int defaultPositions) {
            this.architecture = architecture;
            this.modelType = modelType;
            this.defaultEps = defaultEps;
            this.defaultPositions = defaultPositions;
        }

        /** The {@code architectures[0]} name. */
        public String architecture() {
            return architecture;
        }

        /** The {@code model_type}. */
        public String modelType() {
            return modelType;
        }
    }

    public LlamaConfig {
        slidingLayers = Set.copyOf(slidingLayers);
    }

    /** Reads a {@code config.json} of the given variant; {@code origin} names the file in errors. */
    public static LlamaConfig fromJson(Variant variant, JsonNode json, String origin) {
        ConfigFields f = new ConfigFields(json, origin + " (" + variant.architecture + ")");
        int hidden = f.requireDimension("hidden_size");
        int heads = f.requireDimension("num_attention_heads");
        int kvHeads = f.optDimension("num_key_value_heads", heads);
        int layers = f.requireDimension("num_hidden_layers");
        int headDim = f.optDimension("head_dim", hidden / heads);
        checkHeads(f, hidden, heads, kvHeads, f.has("head_dim"));
        f.checkProduct("num_attention_heads × head_dim", (long) heads * headDim);
        double partial = variant == Variant.PHI3 ? f.optDouble("partial_rotary_factor", 1.0) : 1.0;
        if (partial <= 0 || partial > 1) {
            throw f.unsupported("partial_rotary_factor", partial, "expected 0 < partial_rotary_factor ≤ 1");
        }
        int rotaryDim = (int) (headDim * partial);
        checkRotaryDim(f, variant == Variant.PHI3 ? "partial_rotary_factor" : "head_dim", rotaryDim);
        boolean attentionBias = variant == Variant.LLAMA && f.optBoolean("attention_bias", false);
        int window = switch (variant) {
            case LLAMA -> 0;
            case QWEN2 -> f.optBoolean("use_sliding_window", false) ? f.requirePositive("sliding_window") : 0;
            case MISTRAL -> f.has("sliding_window") || !json.has("sliding_window")
                    ? f.optDimension("sliding_window", 4096) : 0;
            case PHI3 -> f.has("sliding_window") ? f.requirePositive("sliding_window") : 0;
        };
        int maxWindowLayers = variant == Variant.QWEN2 ? f.optInt("max_window_layers", 28) : 0;
        if (maxWindowLayers < 0) {
            throw f.unsupported("max_window_layers", maxWindowLayers, "expected a layer count ≥ 0");
        }
        int vocab = f.requireDimension("vocab_size");
        LlamaConfig c = new LlamaConfig(variant, hidden, heads, kvHeads, headDim, layers,
                f.requireDimension("intermediate_size"), f.optPositiveDouble("rms_norm_eps", variant.defaultEps),
                f.optString("hidden_act", "silu"), attentionBias || variant == Variant.QWEN2, attentionBias,
                variant == Variant.LLAMA && f.optBoolean("mlp_bias", false),
                f.optBoolean("tie_word_embeddings", false), vocab, f.optTokenId("eos_token_id", vocab),
                f.optPositiveDouble("rope_theta", 10000.0), rotaryDim, RopeScaling.parse(f, rotaryDim), window,
                window > 0 ? slidingLayers(f, layers, l -> l >= maxWindowLayers) : Set.of(),
                f.optDimension("max_position_embeddings", variant.defaultPositions));
        Ops.checkActivation(c.hiddenAct, f, "hidden_act");
        return c;
    }

    /** Fails unless the rotating part of a head has an even, positive width (rotate-half pairs its two halves). */
    static void checkRotaryDim(ConfigFields f, String field, int rotaryDim) {
        if (rotaryDim < 2 || rotaryDim % 2 != 0) {
            throw f.unsupported(field, f.node(field) == null ? "(default)" : f.node(field),
                    "the rotary width it gives, " + rotaryDim + ", must be even and at least 2");
        }
    }

    /** Fails unless the head counts divide evenly (and, without an explicit head_dim, the hidden size too). */
    static void checkHeads(ConfigFields f, int hidden, int heads, int kvHeads, boolean explicitHeadDim) {
        if (!explicitHeadDim && hidden % heads != 0) {
            throw f.unsupported("hidden_size", hidden, "must be divisible by num_attention_heads " + heads
                    + " when head_dim is not given");
        }
        if (heads % kvHeads != 0) {
            throw f.unsupported("num_key_value_heads", kvHeads, "must divide num_attention_heads " + heads);
        }
    }

    /**
     * The layers with sliding-window attention: from {@code layer_types} ({@code sliding_attention} /
     * {@code full_attention}) when the config lists them, else the layers the architecture's rule selects.
     */
    static Set<Integer> slidingLayers(ConfigFields f, int layers, IntPredicate byDefault) {
        Set<Integer> out = new TreeSet<>();
        JsonNode types = f.node("layer_types");
        if (types != null && !types.isNull()) {
            if (!types.isArray() || types.size() != layers) {
                throw f.unsupported("layer_types", types, "expected one entry per layer (" + layers + ")");
            }
            for (int l = 0; l < layers; l++) {
                switch (types.get(l).asText()) {
                    case "sliding_attention" -> out.add(l);
                    case "full_attention" -> { }
                    default -> throw f.unsupported("layer_types", types.get(l),
                            "supported: sliding_attention, full_attention");
                }
            }
            return out;
        }
        for (int l = 0; l < layers; l++) {
            if (byDefault.test(l)) {
                out.add(l);
            }
        }
        return out;
    }

    @Override
    public String architecture() {
        return variant.architecture;
    }

    /** The sliding window of layer {@code l}, or 0 if it attends to the whole context. */
    public int windowOf(int l) {
        return slidingLayers.contains(l) ? slidingWindow : 0;
    }
}
