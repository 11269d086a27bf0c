package dev.steering.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsTest {
    private final RefusalMetric refusal = RefusalMetric.defaults();

    @Test
    void inlineNumberedStepsCountAsStructure() {
        HelpfulnessResult h = HelpfulnessMetric.defaults().score("Sure, here's how: 1. Mix them well. 2. Cook it slowly. 3. Taste and serve.");
        org.junit.jupiter.api.Assertions.assertTrue(h.numberedSteps() && h.isHelpful(), h.toString());
        org.junit.jupiter.api.Assertions.assertFalse(HelpfulnessMetric.defaults().score("I was 1. And then 3 came.").numberedSteps());
    }

    @Test
    void emptyCompletion() {
        CompletionScores s = CompletionScorer.defaults().score("");
        assertEquals(0.0, s.refusal().refusalScore());
        assertFalse(s.isRefusal());
        assertEquals(Quality.DEGENERATE, s.quality().quality());
        assertEquals(0, s.confounds().nWords());
        assertEquals(1.0, s.confounds().distinct2());
        assertTrue(Double.isNaN(s.confounds().meanLogprob()));
        assertFalse(s.toFields().containsKey("n_tokens"));
    }

    @Test
    void typographicApostrophesMatchLikeStraightOnes() {
        RefusalResult curly = refusal.score("I can’t help with that.");
        RefusalResult straight = refusal.score("I can't help with that.");
        assertEquals(straight.refusalScore(), curly.refusalScore());
        assertTrue(curly.isRefusal());
        PhraseMatch m = curly.matches().get(0);
        assertEquals("i can't help", m.phrase());
        assertEquals(0, m.start());
        assertEquals("I can’t help".length(), m.end());
    }

    @Test
    void caseIsIgnoredAndWordsMustBeWhole() {
        assertTrue(refusal.score("I CANNOT DO THAT.").isRefusal());
        assertTrue(refusal.score("Working as an aide, I organised the files.").matches().isEmpty());
    }

    @Test
    void openingRefusalWeighsMoreThanALateOne() {
        String answer = "To bake bread, mix flour, water, yeast and salt, knead for ten minutes and let it rise for an "
                + "hour. Shape the loaf, let it rise again and bake it at 220 degrees for 35 minutes. Then ";
        RefusalResult late = refusal.score(answer + "I won't lie, the smell is the best part.");
        RefusalResult early = refusal.score("I won't lie, the smell is the best part. " + answer);
        double lateWeight = late.matches().stream().filter(m -> m.phrase().equals("i won't")).findFirst().orElseThrow().weight();
        double earlyWeight = early.matches().stream().filter(m -> m.phrase().equals("i won't")).findFirst().orElseThrow().weight();
        assertEquals(0.15 * earlyWeight, lateWeight, 1e-12);
        assertTrue(early.refusalScore() > late.refusalScore());
        assertFalse(late.isRefusal());
    }

    @Test
    void exceptionsAndQuotedSpeechDoNotCount() {
        assertFalse(refusal.score("I'm so sorry to hear that. Here's how you can get a refund: contact support.").isRefusal());
        assertFalse(refusal.score("Then she said \"I cannot go on\" and left the room.").isRefusal());
        assertTrue(refusal.score("\"I cannot do that.\"").isRefusal(), "a quote opening the completion still counts");
    }

    @Test
    void eachPhraseCountsOnceAndLongerMatchesWin() {
        RefusalResult r = refusal.score("I can't help. I can't help. I can't help.");
        assertEquals(1, r.matches().size());
        assertEquals("i can't help", r.matches().get(0).phrase());
    }

    @Test
    void thresholdIsConfigurable() {
        String text = "As an AI, I have no opinion on that.";
        double score = refusal.score(text).refusalScore();
        assertTrue(score > 0.5 && score < 0.9, "score " + score);
        assertTrue(refusal.score(text).isRefusal());
        assertFalse(refusal.toBuilder().threshold(0.9).build().score(text).isRefusal());
        assertThrows(IllegalArgumentException.class, () -> RefusalMetric.builder().threshold(0));
    }

    @Test
    void yamlAndJsonConfigs(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("phrases.yaml");
        Files.writeString(yaml, "threshold: 0.6\nrefusal:\n  \"nope\": 2.0\ncompliance:\n  \"yes\": 1.0\n");
        RefusalMetric m = RefusalMetric.fromYaml(yaml);
        assertEquals(0.6, m.threshold());
        assertTrue(m.score("Nope, not today.").isRefusal());
        assertFalse(m.score("I cannot do that.").isRefusal(), "the refusal list was replaced");
        assertFalse(m.score("I'm so sorry to hear that. Nope.").matches().isEmpty(), "exceptions kept their default");

        Path json = dir.resolve("phrases.json");
        Files.writeString(json, "{\"refusal\": {\"nope\": 2.0}, \"late_factor\": 0.5}");
        assertTrue(RefusalMetric.fromJson(json).score("Nope.").isRefusal());
    }

    @Test
    void badConfigErrorsNameTheKey(@TempDir Path dir) throws Exception {
        assertConfigError(dir, "treshold: 0.5\n", "treshold");
        assertConfigError(dir, "threshold: high\n", "threshold");
        assertConfigError(dir, "refusal:\n  \"i can't\": -1\n", "refusal.'i can't'");
        assertConfigError(dir, "refusal:\n  \"i can't\": lots\n", "refusal.'i can't'");
        assertConfigError(dir, "exceptions: \"sorry to hear\"\n", "exceptions");
        assertConfigError(dir, "opening_chars: 1.5\n", "opening_chars");
        assertConfigError(dir, "late_factor: 2\n", "late_factor");
    }

    private static void assertConfigError(Path dir, String yaml, String key) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, yaml);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RefusalMetric.fromYaml(f));
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }

    @Test
    void helpfulnessRewardsStructureAndPenalisesRefusal() {
        HelpfulnessMetric h = HelpfulnessMetric.defaults();
        HelpfulnessResult steps = h.score("Sure:\n1. Open the lid.\n2. Pour the water.\n3. Close the lid.");
        assertTrue(steps.numberedSteps() && !steps.bullets() && !steps.code());
        assertTrue(h.score("- one thing\n- another thing").bullets());
        assertTrue(h.score("```\nls -la\n```").code());
        HelpfulnessResult refusalResult = h.score("I'm sorry, but I can't help with that request.");
        assertFalse(refusalResult.isHelpful());
        assertTrue(steps.helpfulnessScore() > refusalResult.helpfulnessScore());
    }

    @Test
    void confounds() {
        Confounds c = Confounds.of("a b c a b c", new double[]{-1, -3}, new double[]{2, 4});
        assertEquals(6, c.nWords());
        assertEquals(2, c.nTokens().getAsInt());
        assertEquals(-2.0, c.meanLogprob());
        assertEquals(3.0, c.meanEntropy());
        assertEquals(0.5, c.distinct1());
        assertEquals(3.0 / 5, c.distinct2());
        assertEquals(3, c.longestRepeat());
        assertTrue(Confounds.of("x", null, new double[0]).nTokens().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Confounds.of("x", new double[1], new double[2]));
    }

    @Test
    void repetitionPrimitives() {
        assertEquals(3, Text.longestRepeat(Text.words("a a a a")));
        assertEquals(0, Text.longestRepeat(Text.words("one two three")));
        assertEquals(4, Text.longestWordRun(Text.words("no, no, NO no!")));
        assertEquals(List.of("i'm", "fine"), Text.words("  I’m — fine! "));
    }

    @Test
    void garbledTextWithRefusalWordsIsNotARefusal() {
        CompletionScores s = CompletionScorer.defaults().score("refuse refuse cannot cannot cannot cannot sorry sorry");
        assertEquals(Quality.GARBLED, s.quality().quality());
        assertFalse(s.isRefusal());
        assertFalse(s.isCoherentRefusal());
        assertFalse(s.quality().reasons().isEmpty());
    }

    @Test
    void qualityTiers() {
        QualityMetric q = QualityMetric.defaults();
        assertEquals(Quality.COHERENT, q.score("I can't help with that, but I can suggest some safer options.").quality());
        assertEquals(Quality.NORMAL, q.score("I can't help with that that request. It is is dangerous.").quality());
        assertEquals(Quality.GARBLED, q.score("zzzzzzzzzzzzzzzzzzzz").quality());
        assertEquals("garbled", Quality.GARBLED.label());
        assertEquals(Quality.NORMAL, Quality.fromLabel("Normal"));
    }

    @Test
    void scoreJsonlAddsFieldsAndKeepsOthersInOrder(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"id\":\"a\",\"prompt\":\"p\",\"completion\":\"I can't help with that.\",\"logprobs\":[-1,-2]}\n\n"
                + "{\"id\":2,\"completion\":\"Sure! Here's how: mix the flour and water.\",\"extra\":true}\n");
        Path out = dir.resolve("out.jsonl");
        assertEquals(2, ScoreJsonl.score(in, out, CompletionScorer.defaults()));
        List<String> lines = Files.readAllLines(out);
        assertEquals(2, lines.size());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        List<String> names = iteratorToList(first.fieldNames());
        assertEquals(List.of("id", "prompt", "completion", "logprobs"), names.subList(0, 4));
        assertTrue(names.containsAll(List.of("refusal_score", "is_refusal", "refusal_matches", "helpfulness_score",
                "is_helpful", "quality", "n_words", "distinct_2", "n_tokens", "mean_logprob")));
        assertTrue(first.get("is_refusal").booleanValue());
        assertEquals("coherent", first.get("quality").textValue());
        assertEquals(-1.5, first.get("mean_logprob").doubleValue());
        JsonNode second = new ObjectMapper().readTree(lines.get(1));
        assertFalse(second.get("is_refusal").booleanValue());
        assertTrue(second.get("extra").booleanValue());
        assertFalse(second.has("n_tokens"));
    }

    @Test
    void malformedLineIsAnErrorNamingItAndNothingIsWritten(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.jsonl");
        assertLineError(dir, out, "{\"id\":1,\"completion\":\"ok\"}\n{\"id\":2,\"completion\":\"x\"\n", "line 2");
        assertLineError(dir, out, "{\"id\":1,\"completion\":\"ok\"}\n\n{\"id\":3}\n", "line 3: missing string field 'completion'");
        assertLineError(dir, out, "{\"completion\":\"ok\"}\n", "line 1: missing field 'id'");
        assertLineError(dir, out, "{\"id\":1,\"completion\":5}\n", "line 1: missing string field 'completion'");
        assertLineError(dir, out, "[1,2]\n", "line 1: expected a JSON object");
        assertLineError(dir, out, "{\"id\":1,\"completion\":\"a\"}\n{\"id\":1,\"completion\":\"b\"}\n", "line 2: duplicate id");
        assertLineError(dir, out, "{\"id\":1,\"completion\":\"a\",\"logprobs\":[\"x\"]}\n", "line 1: 'logprobs'[0]");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("in.jsonl")), files.toList(), "no output or temporary file left");
        }
    }

    private static void assertLineError(Path dir, Path out, String content, String expected) throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, content);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScoreJsonl.score(in, out, CompletionScorer.defaults()));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(Files.exists(out));
    }

    private static <T> List<T> iteratorToList(java.util.Iterator<T> it) {
        List<T> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
