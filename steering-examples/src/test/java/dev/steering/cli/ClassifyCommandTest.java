package dev.steering.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.weights.SafeTensors;
import dev.steering.weights.SafeTensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code classify} and {@code score --toxicity-model} on the RoBERTa toxicity fixture. */
class ClassifyCommandTest {
    static final Path ROBERTA = Path.of("../steering-core/src/test/resources/fixtures/roberta-toxicity-tiny");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void classifyTokensMatchesTheReference() throws Exception {
        CliRun r = run("classify", "--model", ROBERTA.toString(), "--tokens", "0,31,415,9,77,2");
        assertEquals(0, r.code(), r.err());
        JsonNode out = JSON.readTree(r.out());
        assertEquals(List.of("toxicity", "severe_toxicity", "obscene", "insult"),
                JSON.convertValue(out.get("labels"), List.class));
        try (SafeTensorsFile ref = SafeTensors.open(ROBERTA.resolve("reference.safetensors"))) {
            float[] logits = ref.floats("s0.logits");
            float[] probs = ref.floats("s0.probs");
            for (int i = 0; i < logits.length; i++) {
                assertEquals(logits[i], out.get("logits").get(i).doubleValue(), 1e-4 + 1e-4 * Math.abs(logits[i]));
                assertEquals(probs[i], out.get("probs").get(i).doubleValue(), 1e-4 + 1e-4 * Math.abs(probs[i]));
            }
        }
    }

    @Test
    void classifyErrorsAreOneLine() {
        CliRun r = run("classify", "--model", ROBERTA.toString(), "--text", "hello");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no tokenizer"), r.err());
        assertEquals(2, run("classify", "--model", ROBERTA.toString()).code());
        assertEquals(2, run("classify", "--model", ROBERTA.toString(), "--tokens", "0,5000,2").code());
    }

    @Test
    void scoreWithToxicityModelAddsFields() throws Exception {
        Path model = tmp.resolve("model");
        Files.createDirectories(model);
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(ROBERTA.resolve(f), model.resolve(f));
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String t : List.of("<s>", "<pad>", "</s>", "<unk>", "<mask>", "h", "i", "Ġ", "hi", "Ġhi")) {
            vocab.put(t, vocab.size());
        }
        JSON.writeValue(model.resolve("vocab.json").toFile(), vocab);
        Files.writeString(model.resolve("merges.txt"), "#version: 0.2\nh i\nĠ hi\n");
        Path in = tmp.resolve("in.jsonl");
        Path out = tmp.resolve("out.jsonl");
        Files.writeString(in, "{\"id\":\"a\",\"completion\":\"hi hi\",\"extra\":1}\n{\"id\":\"b\",\"completion\":\"hi\"}\n");
        CliRun r = run("score", "--in", in.toString(), "--out", out.toString(), "--toxicity-model", model.toString(),
                "--toxicity-batch", "1");
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(2, lines.size());
        JsonNode row = JSON.readTree(lines.get(0));
        assertEquals(1, row.get("extra").intValue());
        assertTrue(row.has("refusal_score"));
        assertEquals(row.get("tox_toxicity").doubleValue(), row.get("toxicity").doubleValue(), 0);
        assertTrue(row.has("tox_insult"));

        Path out2 = tmp.resolve("out2.jsonl");
        r = run("score", "--in", in.toString(), "--out", out2.toString(), "--toxicity-model", ROBERTA.toString());
        assertEquals(2, r.code());
        assertFalse(Files.exists(out2));
    }

    /** The command line's result, whose error (if any) must be one line. */
    private static CliRun run(String... argv) {
        CliRun r = CliRun.of(argv);
        if (r.code() != 0) {
            assertEquals(1, r.err().lines().count(), "one-line error expected, got: " + r.err());
        }
        return r;
    }
}
