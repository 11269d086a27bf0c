package dev.steering.model;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.fuzz.JsonMutator;
import dev.steering.weights.Checkpoint;
import dev.steering.weights.WeightsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bounded, seeded fuzzing of the model description files: every mutated {@code config.json} (of each architecture)
 * and {@code tokenizer.json} either loads or fails with the library's own exception naming the file; never another
 * exception, a hang, or a JVM abort (which would end the test run).
 */
@Timeout(120)
class ModelFilesFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] ARCHITECTURES = {"gpt-neox-tiny", "gpt2-tiny", "llama-family/llama-tiny",
            "llama-family/qwen2-tiny", "llama-family/phi3-tiny", "llama-family/gemma2-tiny"};
    static final int CONFIG_MUTATIONS = 20;
    static final int TOKENIZER_MUTATIONS = 100;

    @TempDir
    Path tmp;

    @Test
    void mutatedConfigsLoadOrFailNamingTheFile() {
        int loaded = 0;
        int rejected = 0;
        for (String arch : ARCHITECTURES) {
            JsonMutator mutator = new JsonMutator(arch.hashCode());
            try (Checkpoint ckpt = Checkpoint.open(Reference.fixture(arch))) {
                JsonNode config = ckpt.config();
                String origin = ckpt.dir().resolve("config.json").toString();
                for (int i = 0; i < CONFIG_MUTATIONS; i++) {
                    JsonNode mutated = mutator.mutate(config);
                    try {
                        Architectures.load(mutated, ckpt.tensors(), origin);
                        loaded++;
                    } catch (ConfigException | WeightsException e) {
                        assertTrue(e.getMessage().contains(origin), "names the file: " + e.getMessage());
                        rejected++;
                    } catch (RuntimeException | OutOfMemoryError e) {
                        fail(arch + " config " + mutated + " gave " + e, e);
                    }
                }
            }
        }
        assertTrue(loaded > 0 && rejected > 0, "loaded " + loaded + ", rejected " + rejected);
    }

    @Test
    void mutatedTokenizersLoadOrFailNamingTheFile() throws IOException {
        JsonNode base = TokenizerFileCheckTest.smallTokenizer();
        JsonMutator mutator = new JsonMutator(18);
        int loaded = 0;
        int rejected = 0;
        for (int i = 0; i < TOKENIZER_MUTATIONS; i++) {
            JsonNode mutated = mutator.mutate(base);
            Path file = tmp.resolve("tokenizer-" + i + ".json");
            Files.writeString(file, JSON.writeValueAsString(mutated));
            TextTokenizer t;
            try {
                t = TextTokenizer.load(file);
            } catch (IllegalArgumentException e) { // ConfigException, or the native loader's error wrapped by load
                assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
                rejected++;
                continue;
            }
            try {
                long[] ids = t.encode("Hello world, héllo 123 <|endoftext|>   x\n\ty");
                t.decode(ids);
                loaded++;
            } catch (RuntimeException e) {
                fail("tokenizer " + file + " loaded but failed in use: " + e, e);
            }
        }
        assertTrue(loaded > 0 && rejected > 0, "loaded " + loaded + ", rejected " + rejected);
    }
}
