package dev.steering.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.model.LanguageModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The documented {@code bench} and {@code train-toy} commands run (at toy sizes) and produce what they promise. */
class BenchAndTrainToyCommandTest {
    @TempDir
    Path tmp;

    @Test
    void benchPrintsOneJsonLineWithTheRates() throws Exception {
        String out = capture("bench", "--shape", "pythia-70m", "--batch", "2", "--prompt", "4", "--new", "3", "--repeats", "1",
                "--warmup", "0");
        JsonNode j = new ObjectMapper().readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());
        assertTrue(j.get("prefill_tok_s").doubleValue() > 0 && j.get("decode_tok_s").doubleValue() > 0, out);
        assertTrue(j.get("peak_rss_mb").longValue() > 0, out);
    }

    @Test
    void benchRefusesANegativeWarmUpInOneLine() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[]{"bench", "--shape", "pythia-70m", "--warmup", "-1"},
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(code != 0, message);
        assertTrue(message.contains("--warmup ≥ 0") && message.strip().lines().count() == 1, message);
    }

    @Test
    void benchRunsWithCompactWeights() throws Exception {
        String out = capture("bench", "--shape", "pythia-70m", "--dtype", "int8", "--batch", "1", "--prompt", "2",
                "--new", "2", "--repeats", "1");
        JsonNode j = new ObjectMapper().readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());
        assertEquals("int8", j.get("dtype").textValue(), out);
        assertTrue(j.get("load_s").doubleValue() >= 0 && j.get("weights_mb").longValue() > 0, out);
        assertTrue(j.get("parameters").longValue() > 70_000_000L, out);
        assertTrue(j.get("prefill_tok_s").doubleValue() > 0 && j.get("decode_tok_s").doubleValue() > 0, out);
    }

    @Test
    void benchProfileSaysWhereTheTimeGoes() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            capture("bench", "--shape", "pythia-70m", "--batch", "2", "--prompt", "4", "--new", "3", "--repeats", "1",
                    "--profile");
        } finally {
            System.setErr(oldErr);
        }
        String profile = err.toString(StandardCharsets.UTF_8);
        assertTrue(profile.contains("prefill (one call): ") && profile.contains("decode (per step): "), profile);
        assertTrue(profile.contains("matmul [2, 512]x[50304, 512]T"), profile);    // the decode step's unembedding
        // exact GELU and the bias add before it run as one fused step
        assertTrue(profile.contains(" fused add+mul_scalar+erf+add_scalar+multiply+mul_scalar"), profile);
    }

    @Test
    void trainToyWritesALoadableCheckpoint() throws Exception {
        Path dir = tmp.resolve("toy");
        capture("train-toy", "--out", dir.toString(), "--steps", "3", "--batch", "4");
        for (String f : new String[]{"config.json", "model.safetensors", "tokenizer.json"}) {
            assertTrue(Files.exists(dir.resolve(f)), f);
        }
        try (LanguageModel m = LanguageModel.load(dir)) {
            assertEquals(4, m.config().numLayers());
            assertTrue(m.requireTokenizer().encode("I can't help with that.").length > 3);
        }
    }

    private static String capture(String... argv) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run(argv, new PrintStream(new ByteArrayOutputStream())), String.join(" ", argv));
        } finally {
            System.setOut(old);
        }
        return stdout.toString(StandardCharsets.UTF_8);
    }
}
