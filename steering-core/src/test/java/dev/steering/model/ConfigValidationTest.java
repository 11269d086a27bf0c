package dev.steering.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.steering.weights.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every config field is checked (type, range, consistency with the tensors) before anything is allocated. */
class ConfigValidationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String ORIGIN = "/models/x/config.json";

    static Path fixture(String name) {
        return Reference.fixture(name);
    }

    static ObjectNode config(String fixture) throws IOException {
        return (ObjectNode) JSON.readTree(fixture(fixture).resolve("config.json").toFile());
    }

    /** Parses {@code fixture}'s config with {@code field} set to {@code value} (JSON text); returns the error. */
    static ConfigException reject(String fixture, String field, String value, String... fragments) throws IOException {
        ObjectNode c = config(fixture);
        c.set(field, JSON.readTree(value));
        ConfigException e = assertThrows(ConfigException.class, () -> Architectures.config(c, ORIGIN),
                fixture + " " + field + "=" + value);
        assertTrue(e.getMessage().startsWith(ORIGIN + " ("), e.getMessage());
        assertTrue(e.getMessage().contains("'" + field), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' in " + e.getMessage());
        }
        return e;
    }

    @Test
    void fixturesParse() throws IOException {
        for (String f : new String[] {"gpt-neox-tiny", "gpt2-tiny", "llama-family/llama-tiny", "llama-family/qwen2-tiny",
                "llama-family/phi3-tiny", "llama-family/gemma2-tiny"}) {
            ModelConfig c = Architectures.config(config(f), ORIGIN);
            assertTrue(c.maxPositions() > 0, f);
        }
        assertEquals(4096, Architectures.config(config("llama-family/gemma2-tiny"), ORIGIN).maxPositions());
    }

    @Test
    void absurdSizesFailFast() {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            reject("llama-family/llama-tiny", "num_hidden_layers", "2147483647", "absurdly large");
            reject("llama-family/gemma2-tiny", "head_dim", "2147483647", "absurdly large");
            reject("llama-family/llama-tiny", "head_dim", "8388608", "'num_attention_heads' × 'head_dim' give");
            reject("gpt-neox-tiny", "hidden_size", "99999999999", "an integer");
            reject("gpt2-tiny", "n_layer", "2147483647", "absurdly large");
            reject("gpt2-tiny", "n_positions", "-3", "positive");
            reject("llama-family/qwen2-tiny", "vocab_size", "0", "positive");
        });
    }

    @Test
    void rangesAreChecked() throws IOException {
        reject("llama-family/llama-tiny", "rms_norm_eps", "-1", "above 0");
        reject("llama-family/llama-tiny", "rms_norm_eps", "0", "above 0");
        reject("llama-family/llama-tiny", "rope_theta", "0", "above 0");
        reject("gpt-neox-tiny", "layer_norm_eps", "0", "above 0");
        reject("gpt-neox-tiny", "rotary_emb_base", "-5", "above 0");
        reject("gpt2-tiny", "layer_norm_epsilon", "-1e-5", "above 0");
        reject("llama-family/gemma2-tiny", "attn_logit_softcapping", "0", "above 0");
        reject("llama-family/gemma2-tiny", "final_logit_softcapping", "-30", "above 0");
        reject("llama-family/gemma2-tiny", "query_pre_attn_scalar", "0", "above 0");
        reject("llama-family/gemma2-tiny", "sliding_window", "0", "positive");
        reject("llama-family/gemma2-tiny", "max_position_embeddings", "0", "positive");
        ObjectNode mistral = config("llama-family/llama-tiny");
        mistral.set("architectures", JSON.readTree("[\"MistralForCausalLM\"]"));
        mistral.put("sliding_window", -4);
        ConfigException e = assertThrows(ConfigException.class, () -> Architectures.config(mistral, ORIGIN));
        assertTrue(e.getMessage().contains("'sliding_window'"), e.getMessage());
        reject("llama-family/llama-tiny", "eos_token_id", "99999999", "not a token id");
        reject("gpt-neox-tiny", "rotary_pct", "0.01", "even");
        reject("llama-family/phi3-tiny", "partial_rotary_factor", "0.01", "even");
        reject("llama-family/llama-tiny", "rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": 0, \"low_freq_factor\": 1,"
                + " \"high_freq_factor\": 4, \"original_max_position_embeddings\": 64}", "rope_scaling.factor", "above 0");
        reject("llama-family/llama-tiny", "rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 4,"
                + " \"high_freq_factor\": 4, \"original_max_position_embeddings\": 64}", "rope_scaling.high_freq_factor");
    }

    @Test
    void typesAreChecked() throws IOException {
        reject("llama-family/llama-tiny", "tie_word_embeddings", "\"abc\"", "true or false");
        reject("gpt2-tiny", "tie_word_embeddings", "\"abc\"", "true or false");
        reject("llama-family/gemma2-tiny", "tie_word_embeddings", "\"abc\"", "true or false");
        reject("gpt-neox-tiny", "tie_word_embeddings", "1", "true or false");
        reject("llama-family/llama-tiny", "hidden_size", "64.5", "an integer");
        reject("llama-family/llama-tiny", "rms_norm_eps", "\"1e-6\"", "a number");
        reject("gpt2-tiny", "eos_token_id", "1.5", "an integer");
    }

    @Test
    void layerCountMustMatchTheTensors() {
        for (String f : new String[] {"gpt-neox-tiny", "gpt2-tiny", "llama-family/llama-tiny"}) {
            try (Checkpoint ckpt = Checkpoint.open(fixture(f))) {
                ObjectNode c = ((ObjectNode) ckpt.config()).deepCopy();
                String field = f.equals("gpt2-tiny") ? "n_layer" : "num_hidden_layers";
                int layers = c.get(field).intValue();
                for (int wrong : new int[] {layers + 1, layers - 1, 100_000}) {
                    c.put(field, wrong);
                    JsonNode config = c.deepCopy();
                    ConfigException e = assertThrows(ConfigException.class,
                            () -> Architectures.load(config, ckpt.tensors(), ORIGIN), f + " " + wrong);
                    assertTrue(e.getMessage().contains("'" + field + "' = " + wrong)
                            && e.getMessage().contains("hold " + layers + " blocks"), e.getMessage());
                }
            }
        }
    }
}
