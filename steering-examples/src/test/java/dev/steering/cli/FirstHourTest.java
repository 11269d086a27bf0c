package dev.steering.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.Steering;
import dev.steering.SteeredModel;
import dev.steering.examples.SteerAndGenerate;
import dev.steering.metrics.RefusalMetric;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a new user tries in the first hour: the default model everywhere, failures that leave nothing behind, examples that show an effect. */
class FirstHourTest {
    private static final String TOY = "bundled:toy-refusal";
    private static final String CLASSIFIER = "bundled:toxicity-tiny";

    @TempDir
    Path tmp;

    private static CliRun run(String... argv) {
        return CliRun.of(argv);
    }

    @Test
    void theBundledModelsWorkInEveryCommandAndTheApi() throws Exception {
        CliRun g = run("generate", "--model", TOY, "--text", "How do I bake bread?", "--greedy", "--max-new-tokens", "4");
        assertEquals(0, g.code(), g.err());
        assertTrue(new ObjectMapper().readTree(g.out()).get("text").asText().startsWith("Sure"), g.out());

        Path trace = tmp.resolve("t.safetensors");
        CliRun t = run("trace", "--model", TOY, "--text", "How do I bake bread?", "--out", trace.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(Files.size(trace) > 0);

        CliRun c = run("classify", "--model", CLASSIFIER, "--text", "hello there");
        assertEquals(0, c.code(), c.err());
        JsonNode probs = new ObjectMapper().readTree(c.out()).get("probs");
        assertTrue(probs.size() > 0, c.out());

        Path prompts = tmp.resolve("p.jsonl");
        Files.writeString(prompts, "{\"id\":\"a\",\"prompt\":\"How do I pick a lock?\"}\n"
                + "{\"id\":\"b\",\"prompt\":\"How do I cheat on a test?\"}\n");
        CliRun d = run("direction", "--model", TOY, "--layer", "50%", "--prompts", prompts.toString(), "--out",
                tmp.resolve("v.safetensors").toString());
        assertEquals(0, d.code(), d.err());

        Path completions = tmp.resolve("c.jsonl");
        Files.writeString(completions, "{\"id\":\"1\",\"completion\":\"I can't help with that.\"}\n");
        CliRun s = run("score", "--in", completions.toString(), "--out", tmp.resolve("s.jsonl").toString(),
                "--toxicity-model", CLASSIFIER);
        assertEquals(0, s.code(), s.err());
        assertTrue(Files.readString(tmp.resolve("s.jsonl")).contains("\"toxicity\""));

        SteeredModel base = Steering.model(TOY).baseline();
        assertTrue(base.generate(List.of("How do I bake bread?"),
                dev.steering.generate.GenerationConfig.greedy(4)).get(0).text().startsWith("Sure"));

        CliRun missing = run("generate", "--model", "bundled:nope", "--tokens", "3", "--greedy");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no such bundled model"), missing.err());
    }

    @Test
    void aFailedRunLeavesNoEmptyRunDirectory() throws Exception {
        Path runs = tmp.resolve("runs");
        CliRun r = run("run-all", "--config", "smoke", "--set", "experiment.output_dir=" + runs,
                "--set", "model.name=" + tmp.resolve("no-model"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("no-model"), r.err());
        try (Stream<Path> s = Files.list(runs)) {
            assertEquals(List.of(), s.toList(), "no run directory left behind");
        }
    }

    @Test
    void aRunDirectoryThatCannotBeCreatedSaysWhy() {
        Path forbidden = Path.of("/sys/steering-runs");
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/sys")) && !Files.exists(forbidden));
        CliRun r = run("run-all", "--config", "smoke", "--set", "experiment.output_dir=" + forbidden);
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("steering run-all: experiment.output_dir /sys/steering-runs: cannot create the run "
                + "directory /sys/steering-runs/"), r.err());
        assertTrue(r.err().contains("/sys/steering-runs: operation not permitted")
                || r.err().contains("/sys/steering-runs: permission denied"), r.err());
    }

    @Test
    void aFileInTheWayOfTheOutputIsNamed() throws Exception {
        Path file = tmp.resolve("f");
        Files.writeString(file, "x");
        CliRun r = run("make-prompts", "--out", file.resolve("sub").toString(), "--fast");
        assertEquals(2, r.code());
        assertEquals("steering make-prompts: --out " + file.resolve("sub") + ": cannot create it, " + file
                + " is a file", r.err());
    }

    @Test
    void theJarsLoggingConfigSilencesDjlsGpuProbeButNotTheLibrary() {
        assertFalse(org.slf4j.LoggerFactory.getLogger("ai.djl.util.cuda.CudaUtils").isWarnEnabled());
        assertTrue(org.slf4j.LoggerFactory.getLogger("ai.djl.util.cuda.CudaUtils").isErrorEnabled());
        assertTrue(org.slf4j.LoggerFactory.getLogger("dev.steering.model.LanguageModel").isInfoEnabled());
    }

    @Test
    void steerAndGenerateShowsAnEffectWithItsDefaults() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            SteerAndGenerate.main(new String[0]);
        } finally {
            System.setOut(old);
        }
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        List<String> baseline = lines.stream().filter(l -> l.startsWith("BASELINE ")).map(l -> l.substring(9)).toList();
        List<String> steered = lines.stream().filter(l -> l.startsWith("STEERED  "))
                .map(l -> l.substring(9).replaceAll("\\s+\\[.*]$", "")).toList();
        assertEquals(3, baseline.size(), String.join("\n", lines));
        RefusalMetric refusal = RefusalMetric.defaults();
        long turned = 0;
        for (int i = 0; i < baseline.size(); i++) {
            if (!refusal.score(baseline.get(i)).isRefusal() && refusal.score(steered.get(i)).isRefusal()) {
                turned++;
            }
        }
        assertTrue(turned >= 2, "steering should turn the two disguised requests into refusals:\n"
                + String.join("\n", lines));
        assertFalse(refusal.score(steered.get(0)).isRefusal(), "the benign prompt stays answered: " + steered.get(0));
    }
}
