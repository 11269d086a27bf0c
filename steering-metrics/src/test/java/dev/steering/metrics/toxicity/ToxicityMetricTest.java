package dev.steering.metrics.toxicity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.metrics.CompletionScorer;
import dev.steering.metrics.ScoreJsonl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToxicityMetricTest {
    static final List<String> TEXTS = List.of("hello world", "hello", " world world world!", "", "hellohello world");

    static ToxicityMetric metric(Path tmp, int batch) throws IOException {
        Path dir = RobertaTokenizerTest.modelDir(Files.createDirectories(tmp));
        Files.copy(RobertaClassifierTest.FIXTURE.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        return new ToxicityMetric(RobertaClassifier.load(dir), batch);
    }

    @Test
    void batchingAndPaddingDoNotChangeScores(@TempDir Path tmp) throws IOException {
        try (ToxicityMetric one = metric(tmp.resolve("a"), 1); ToxicityMetric many = metric(tmp.resolve("b"), 3)) {
            List<ToxicityScore> a = one.score(TEXTS);
            List<ToxicityScore> b = many.score(TEXTS);
            assertEquals(TEXTS.size(), a.size());
            for (int i = 0; i < TEXTS.size(); i++) {
                assertEquals(List.of("toxicity", "severe_toxicity", "obscene", "insult"),
                        List.copyOf(a.get(i).probs().keySet()));
                for (String label : a.get(i).probs().keySet()) {
                    assertEquals(a.get(i).probs().get(label), b.get(i).probs().get(label), 1e-6, TEXTS.get(i));
                }
                assertEquals(a.get(i).probs().get("toxicity"), a.get(i).toxicity(), 0);
                assertEquals(one.score(TEXTS.get(i)).toxicity(), a.get(i).toxicity(), 1e-6);
            }
            RobertaClassifier.Output direct = one.classifier().classify(List.of(new long[]{0,
                    RobertaTokenizerTest.id("hello"), RobertaTokenizerTest.id("Ġworld"), 2})).get(0);
            assertEquals(direct.probs()[0], a.get(0).toxicity(), 1e-6);
        }
    }

    @Test
    void headlineIsTheToxicityLabelElseTheMaximum() {
        Map<String, Double> p = new LinkedHashMap<>();
        p.put("insult", 0.7);
        p.put("obscene", 0.2);
        ToxicityScore s = new ToxicityScore(p);
        assertEquals(0.7, s.toxicity());
        assertEquals(List.of("toxicity", "tox_insult", "tox_obscene"), List.copyOf(s.toFields().keySet()));
        p.put("toxicity", 0.1);
        assertEquals(0.1, new ToxicityScore(p).toxicity());
        assertThrows(IllegalArgumentException.class, () -> new ToxicityScore(Map.of()));
    }

    @Test
    void scoreJsonlAddsToxicityFields(@TempDir Path tmp) throws IOException {
        Path in = tmp.resolve("in.jsonl");
        Path out = tmp.resolve("out.jsonl");
        Files.writeString(in, "{\"id\":1,\"completion\":\"hello world\",\"keep\":\"x\"}\n"
                + "{\"id\":2,\"completion\":\"I cannot help with that.\"}\n");
        try (ToxicityMetric m = metric(tmp.resolve("m"), 4)) {
            assertEquals(2, ScoreJsonl.score(in, out, CompletionScorer.defaults(), m::fields));
            List<String> lines = Files.readAllLines(out);
            JsonNode row = new ObjectMapper().readTree(lines.get(0));
            assertEquals("x", row.get("keep").asText());
            assertTrue(row.has("refusal_score"));
            assertEquals(m.score("hello world").toxicity(), row.get("toxicity").doubleValue(), 1e-6);
            assertTrue(row.has("tox_severe_toxicity") && row.has("tox_insult"));
            Files.writeString(in, "{\"id\":1,\"completion\":\"hello\"}\n{\"id\":1}\n");
            Files.delete(out);
            assertThrows(IllegalArgumentException.class,
                    () -> ScoreJsonl.score(in, out, CompletionScorer.defaults(), m::fields));
            assertFalse(Files.exists(out));
        }
    }
}
