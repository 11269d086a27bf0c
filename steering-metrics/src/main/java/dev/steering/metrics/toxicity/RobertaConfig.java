package dev.steering.metrics.toxicity;

import com.fasterxml.jackson.databind.JsonNode;
import dev.steering.model.ConfigFields;
import dev.steering.model.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code RobertaForSequenceClassification} configuration, read from {@code config.json}.
 *
 * @param vocabSize             {@code vocab_size}
 * @param hiddenSize            {@code hidden_size}
 * @param numLayers             {@code num_hidden_layers}
 * @param numHeads              {@code num_attention_heads}
 * @param intermediateSize      {@code intermediate_size}
 * @param hiddenAct             {@code hidden_act} (default {@code gelu}, the exact erf form)
 * @param maxPositionEmbeddings {@code max_position_embeddings} (RoBERTa reserves the first {@code padTokenId + 1})
 * @param layerNormEps          {@code layer_norm_eps}
 * @param padTokenId            {@code pad_token_id} (default 1)
 * @param bosTokenId            {@code bos_token_id}, the {@code <s>} token (default 0)
 * @param eosTokenId            {@code eos_token_id}, the {@code </s>} token (default 2)
 * @param multiLabel            {@code problem_type} is {@code multi_label_classification}: independent sigmoids
 *                              instead of one softmax
 * @param labels                the class names from {@code id2label}, by index ({@code LABEL_i} when absent)
 */
public record RobertaConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                            String hiddenAct, int maxPositionEmbeddings, double layerNormEps, int padTokenId,
                            int bosTokenId, int eosTokenId, boolean multiLabel, List<String> labels) {

    /** The architecture name in {@code config.json}. */
    public static final String ARCHITECTURE = "RobertaForSequenceClassification";

    /** Copies the label list. */
    public RobertaConfig {
        labels = List.copyOf(labels);
    }

    /**
     * Reads a {@code config.json}.
     *
     * @param json   the parsed config
     * @param origin names the file in errors
     * @return the configuration
     * @throws IllegalArgumentException naming the field, for a missing, mistyped or unsupported value
     */
    public static RobertaConfig fromJson(JsonNode json, String origin) {
        ConfigFields f = new ConfigFields(json, origin + " (" + ARCHITECTURE + ")");
        JsonNode archs = f.node("architectures");
        if (archs != null && archs.isArray() && !archs.isEmpty() && !ARCHITECTURE.equals(archs.get(0).asText())) {
            throw f.unsupported("architectures", archs, "expected " + ARCHITECTURE);
        }
        String problem = f.optString("problem_type", "single_label_classification");
        if (!problem.equals("multi_label_classification") && !problem.equals("single_label_classification")) {
            throw f.unsupported("problem_type", problem,
                    "supported: multi_label_classification, single_label_classification");
        }
        int typeVocab = f.optInt("type_vocab_size", 1);
        if (typeVocab < 1) {
            throw f.unsupported("type_vocab_size", typeVocab, "expected at least 1");
        }
        String positionType = f.optString("position_embedding_type", "absolute");
        if (!positionType.equals("absolute")) {
            throw f.unsupported("position_embedding_type", positionType, "supported: absolute");
        }
        RobertaConfig c = new RobertaConfig(f.requirePositive("vocab_size"), f.requirePositive("hidden_size"),
                f.requirePositive("num_hidden_layers"), f.requirePositive("num_attention_heads"),
                f.requirePositive("intermediate_size"), f.optString("hidden_act", "gelu"),
                f.requirePositive("max_position_embeddings"), f.optDouble("layer_norm_eps", 1e-12),
                f.optInt("pad_token_id", 1), f.optInt("bos_token_id", 0), f.optInt("eos_token_id", 2),
                problem.equals("multi_label_classification"), labels(f));
        if (c.hiddenSize % c.numHeads != 0) {
            throw new IllegalArgumentException(origin + ": hidden_size " + c.hiddenSize
                    + " is not divisible by num_attention_heads " + c.numHeads);
        }
        if (c.padTokenId < 0 || c.padTokenId + 2 > c.maxPositionEmbeddings) {
            throw f.unsupported("pad_token_id", c.padTokenId, "expected 0 ≤ pad_token_id < max_position_embeddings − 1");
        }
        Ops.checkActivation(c.hiddenAct, f, "hidden_act");
        return c;
    }

    /** Size of one attention head. */
    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** The number of classes. */
    public int numLabels() {
        return labels.size();
    }

    /**
     * The longest input, special tokens included: position ids start at {@code padTokenId + 1}, so
     * {@code max_position_embeddings − padTokenId − 1} (512 for the usual 514 with pad id 1).
     */
    public int maxTokens() {
        return maxPositionEmbeddings - padTokenId - 1;
    }

    /** {@code id2label} as a list (keys must be 0 … n−1), else {@code num_labels} / {@code label2id} as {@code LABEL_i}. */
    private static List<String> labels(ConfigFields f) {
        if (f.has("id2label")) {
            JsonNode m = f.node("id2label");
            if (!m.isObject() || m.isEmpty()) {
                throw f.error("id2label", "a non-empty object {\"0\": name, ...}", m);
            }
            String[] names = new String[m.size()];
            for (var it = m.fields(); it.hasNext(); ) {
                var e = it.next();
                int i;
                try {
                    i = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw f.error("id2label", "keys 0 … " + (names.length - 1), m);
                }
                if (i < 0 || i >= names.length || names[i] != null || !e.getValue().isTextual()) {
                    throw f.error("id2label", "keys 0 … " + (names.length - 1) + " with string values", m);
                }
                names[i] = e.getValue().textValue();
            }
            return Arrays.asList(names);
        }
        int n = f.optInt("num_labels", 2);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("LABEL_" + i);
        }
        return out;
    }
}
