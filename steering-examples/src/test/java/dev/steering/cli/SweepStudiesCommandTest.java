package dev.steering.cli;

import dev.steering.experiment.ResultStore;
import dev.steering.experiment.parquet.ParquetReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code run-all --config family-sweep} and {@code --config quantization} on the two bundled models, made small. */
class SweepStudiesCommandTest {

    private static Path run(Path out, String config, String... sets) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("run-all", "--config", config,
                "--set", "experiment.output_dir=" + out, "--set", "prompts.test_n=4", "--set", "prompts.test_repeats=1",
                "--set", "generation.max_new_tokens=8"));
        for (String s : sets) {
            args.addAll(List.of("--set", s));
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args.toArray(String[]::new), new PrintStream(err, true));
        assertEquals(0, code, err.toString());
        try (Stream<Path> s = Files.list(out)) {
            List<Path> dirs = s.filter(Files::isDirectory).toList();
            assertEquals(1, dirs.size(), dirs.toString());
            return dirs.get(0);
        }
    }

    @Test
    void familySweepRunsBothBundledModelsAndWritesEveryOutput(@TempDir Path out) throws Exception {
        Path runDir = run(out, "family-sweep", "steering.methods=[dim]", "steering.multipliers=[1]",
                "phases.follow_up=false");
        List<Map<String, Object>> rows = ParquetReader.read(runDir.resolve(ResultStore.RESULTS)).rows();
        // toy: depths 0.2 0.4 0.5 0.6 0.8 are layers 0 1 2 2 3 (4 conditions x 4 prompts); llama: 0.5 0.6 0.7 are all
        // layer 1 of 2 (validation: 4 prompts x 2 repeats), then the full run there (4 prompts x 1 repeat)
        assertEquals(4 * 4 + 4 * 2 + 4, rows.size());
        for (String f : List.of("conditions.csv", "verdicts.md", "directions.json", "reports/inspection.md",
                "json/toy-refusal_dim.json", "json/llama-random_dim.json", "figures/depth_toy-refusal.png",
                "figures/depth_llama-random.png", "figures/coherent_vs_depth.png")) {
            assertTrue(Files.size(runDir.resolve(f)) > 0, f);
        }
        String verdicts = Files.readString(runDir.resolve("verdicts.md"));
        assertTrue(verdicts.contains("| bundled:toy-refusal | gpt-neox (toy) | **Works** |"), verdicts);
        assertTrue(verdicts.contains("| bundled:llama-random | llama (random weights) | **Fails** |"), verdicts);
        assertTrue(Files.readString(runDir.resolve("reports/inspection.md")).contains("## bundled:toy-refusal"));
        // the same command again resumes: nothing is recomputed, the table is unchanged
        long parts = Files.getLastModifiedTime(runDir.resolve("models/00-toy-refusal/parts")).toMillis();
        Path again = run(out, "family-sweep", "steering.methods=[dim]", "steering.multipliers=[1]",
                "phases.follow_up=false");
        assertEquals(runDir, again);
        assertEquals(parts, Files.getLastModifiedTime(runDir.resolve("models/00-toy-refusal/parts")).toMillis());
        assertEquals(rows.size(), ParquetReader.read(runDir.resolve(ResultStore.RESULTS)).rows().size());
        // plots --run redraws the reports from results.parquet alone
        String conditions = Files.readString(runDir.resolve("conditions.csv"));
        Files.delete(runDir.resolve("verdicts.md"));
        Files.delete(runDir.resolve("figures/coherent_vs_depth.png"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Main.run(new String[]{"plots", "--run", runDir.toString()}, new PrintStream(err, true)),
                err.toString());
        assertEquals(verdicts, Files.readString(runDir.resolve("verdicts.md")));
        assertEquals(conditions, Files.readString(runDir.resolve("conditions.csv")));
        assertTrue(Files.size(runDir.resolve("figures/coherent_vs_depth.png")) > 0);
    }

    @Test
    void quantizationRunsAndWritesItsTableAndFigures(@TempDir Path out) throws Exception {
        Path runDir = run(out, "quantization");
        List<String> csv = Files.readAllLines(runDir.resolve("quantization.csv"));
        assertEquals(1 + 2 * 5, csv.size(), "one row per model and precision (2 models x 5 precisions)");
        assertTrue(csv.get(1).startsWith("bundled:toy-refusal,float32,2,0.5,dim,1,"), csv.get(1));
        assertTrue(csv.get(5).startsWith("bundled:toy-refusal,int4,2,0.5,dim,1,"), csv.get(5));
        for (String f : List.of("figures/cosine_toy-refusal.png", "figures/quantization_rates_llama-random.png",
                "json/toy-refusal_dim_float32.json", "json/toy-refusal_dim_int4.json", "verdicts.md")) {
            assertTrue(Files.size(runDir.resolve(f)) > 0, f);
        }
    }

    @Test
    void aSweepThatFailsAfterAFinishedConditionKeepsItsRunDirectoryToResume(@TempDir Path out) throws Exception {
        Path yaml = out.resolve("two.yaml");
        Files.writeString(yaml, Files.readString(Path.of("configs/quantization.yaml"))
                .replace("bundled:llama-random", "bundled:no-such-model")
                .replaceAll("precisions: \\[.*\\]", "precisions: [float32]"));
        Path runs = out.resolve("runs");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[]{"run-all", "--config", yaml.toString(), "--output", runs.toString(),
                "--set", "prompts.test_n=4", "--set", "prompts.test_repeats=1", "--set", "generation.max_new_tokens=8"},
                new PrintStream(err, true));
        assertTrue(code != 0 && err.toString().contains("no-such-model"), err.toString());
        try (Stream<Path> s = Files.list(runs)) {
            Path runDir = s.findFirst().orElseThrow();
            assertTrue(Files.exists(runDir.resolve("models/00-toy-refusal/float32/parts/000-baseline.parquet")),
                    "the first model's finished pair is kept (its part is not directly in parts/)");
        }
    }

    @Test
    void aBadKeyIsAOneLineError(@TempDir Path out) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[]{"run-all", "--config", "family-sweep", "--set",
                "experiment.output_dir=" + out, "--set", "steering.steer_range=sideways"}, new PrintStream(err, true));
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("steering.steer_range must be to_end or single"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }
}
