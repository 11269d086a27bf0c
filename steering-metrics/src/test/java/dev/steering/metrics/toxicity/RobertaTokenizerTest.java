package dev.steering.metrics.toxicity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer.json built from a handmade vocab.json + merges.txt loads in DJL and encodes as expected. */
class RobertaTokenizerTest {
    static final List<String> TOKENS = List.of("<s>", "<pad>", "</s>", "<unk>", "<mask>",
            "h", "e", "l", "o", "Ġ", "w", "r", "d", "!",
            "he", "ll", "llo", "hello", "Ġw", "or", "Ġwor", "ld", "Ġworld");
    static final List<String> MERGES = List.of("h e", "l l", "ll o", "he llo", "Ġ w", "o r", "Ġw or", "l d",
            "Ġwor ld");

    static Path modelDir(Path dir) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int i = 0; i < TOKENS.size(); i++) {
            vocab.put(TOKENS.get(i), i);
        }
        new ObjectMapper().writeValue(dir.resolve("vocab.json").toFile(), vocab);
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", MERGES) + "\n");
        Files.copy(RobertaClassifierTest.FIXTURE.resolve("config.json"), dir.resolve("config.json"));
        return dir;
    }

    static long id(String token) {
        return TOKENS.indexOf(token);
    }

    @Test
    void buildsTheTokenizerFromVocabAndMerges(@TempDir Path tmp) throws IOException {
        Path dir = modelDir(tmp);
        RobertaConfig config = RobertaConfig.fromJson(new ObjectMapper().readTree(dir.resolve("config.json").toFile()),
                "config.json");
        try (RobertaTokenizer tok = RobertaTokenizer.load(dir, config)) {
            assertTrue(tok.source().endsWith("vocab.json + merges.txt"), tok.source());
            assertArrayEquals(new long[]{0, id("hello"), id("Ġworld"), 2}, tok.encode("hello world"));
            assertArrayEquals(new long[]{0, id("Ġworld"), id("!"), 2}, tok.encode(" world!"));
            assertEquals("hello world", tok.decode(tok.encode("hello world")));
            assertArrayEquals(new long[]{0, 2}, tok.encode(""));
        }
    }

    @Test
    void djlAppliesRobertaPostProcessing(@TempDir Path tmp) throws IOException {
        Path dir = modelDir(tmp);
        Path json = tmp.resolve("tokenizer.json");
        Files.writeString(json, RobertaTokenizer.tokenizerJson(dir.resolve("vocab.json"), dir.resolve("merges.txt"),
                false));
        try (HuggingFaceTokenizer djl = HuggingFaceTokenizer.builder().optTokenizerPath(json)
                .optAddSpecialTokens(true).build()) {
            assertArrayEquals(new long[]{0, id("hello"), id("Ġworld"), 2}, djl.encode("hello world").getIds());
            assertArrayEquals(new long[]{0, id("hello"), 2, 2, id("Ġworld"), 2},
                    djl.encode("hello", " world").getIds());
            assertArrayEquals(new long[]{id("hello"), id("<mask>")}, djl.encode("hello<mask>", false, false).getIds());
        }
    }

    @Test
    void truncatesToTheModelsLength(@TempDir Path tmp) throws IOException {
        Path dir = modelDir(tmp);
        RobertaConfig config = RobertaConfig.fromJson(new ObjectMapper().readTree(dir.resolve("config.json").toFile()),
                "config.json");
        try (RobertaTokenizer tok = RobertaTokenizer.load(dir, config)) {
            long[] ids = tok.encode("hello".repeat(200));
            assertEquals(config.maxTokens(), ids.length);
            assertEquals(0, ids[0]);
            assertEquals(2, ids[ids.length - 1]);
            assertEquals(id("hello"), ids[ids.length - 2]);
        }
    }

    @Test
    void malformedMergesNameTheLine(@TempDir Path tmp) throws IOException {
        Path dir = modelDir(tmp);
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\nh e\nbroken\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RobertaTokenizer.tokenizerJson(dir.resolve("vocab.json"), dir.resolve("merges.txt"), false));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void classifierPicksUpTheBuiltTokenizer(@TempDir Path tmp) throws IOException {
        Path dir = modelDir(tmp);
        Files.copy(RobertaClassifierTest.FIXTURE.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        try (RobertaClassifier c = RobertaClassifier.load(dir)) {
            long[] ids = c.requireTokenizer().encode("hello world");
            assertEquals(4, ids.length);
            assertEquals(4, c.classify(List.of(ids)).get(0).probs().length);
        }
    }
}
