package dev.steering.cli;

import dev.steering.experiment.ResultColumns;
import dev.steering.experiment.parquet.ParquetReader;
import dev.steering.report.Summary;
import dev.steering.report.SummaryCsv;
import dev.steering.report.SummaryRow;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code run-all} end to end on the bundled model with the smoke config: every artifact, resume, bad input. */
class RunAllCommandTest {
    @TempDir
    Path tmp;

    @Test
    void writesEveryArtifactConsistentlyAndResumes() throws Exception {
        String out = tmp.resolve("runs").toString();
        Path runDir = runAll(0, "--config", "smoke", "--set", "experiment.output_dir=" + out);
        for (String f : List.of("config.yaml", "results.parquet", "summary.csv", "reports/examples.md",
                "reports/sanity.md", "sanity_template.json", "figures/gap_vs_alpha.png", "figures/tradeoff.png",
                "prompts/harm_train.jsonl", "directions/layer_2/v.safetensors", "directions/layer_2/stats.json")) {
            assertTrue(Files.exists(runDir.resolve(f)), "missing " + f);
        }
        List<Map<String, Object>> rows = ParquetReader.read(runDir.resolve("results.parquet")).rows();
        // smoke: 6 prompts per split, baseline + 1 layer x 2 interventions x 1 alpha; checks rerun 3 per split
        long main = rows.stream().filter(r -> r.get(ResultColumns.CHECK) == null).count();
        assertEquals(3L * 6 * 3, main, "prompts x splits x conditions");
        assertEquals(3L * 3 * 3, rows.size() - main, "checks: seed baseline + template + seed, 3 prompts x 3 splits");
        // the summary agrees with rates recomputed from the rows
        List<SummaryRow> fromRows = Summary.compute(rows);
        List<SummaryRow> fromCsv = SummaryCsv.read(runDir.resolve("summary.csv"));
        assertEquals(fromRows.size(), fromCsv.size());
        for (int i = 0; i < fromRows.size(); i++) {
            assertEquals(fromRows.get(i).refusalHarmTest().rate(), fromCsv.get(i).refusalHarmTest().rate(), 1e-6);
        }
        long baselineRefusals = rows.stream().filter(r -> "none".equals(r.get(ResultColumns.INTERVENTION))
                && r.get(ResultColumns.CHECK) == null && "harm_test".equals(r.get(ResultColumns.SPLIT))
                && Boolean.TRUE.equals(r.get(ResultColumns.IS_REFUSAL))).count();
        assertEquals(baselineRefusals / 6.0, fromCsv.get(0).refusalHarmTest().rate(), 1e-6);

        // a crash after the baseline: later parts gone; the same command redoes only those
        Path parts = runDir.resolve("parts");
        List<Path> all;
        try (Stream<Path> s = Files.list(parts)) {
            all = s.sorted().toList();
        }
        long baselineTime = Files.getLastModifiedTime(all.get(0)).toMillis();
        for (Path p : all.subList(1, all.size())) {
            Files.delete(p);
        }
        Thread.sleep(20);
        assertEquals(runDir, runAll(0, "--config", "smoke", "--set", "experiment.output_dir=" + out));
        assertEquals(baselineTime, Files.getLastModifiedTime(all.get(0)).toMillis(), "the baseline was not redone");
        assertEquals(rows, ParquetReader.read(runDir.resolve("results.parquet")).rows());
    }

    @Test
    void theStudyRunsWithCompactWeightsFromModelDtype() throws Exception {
        String out = tmp.resolve("runs").toString();
        Path runDir = runAll(0, "--config", "smoke", "--set", "model.dtype=int8", "--set", "experiment.output_dir=" + out);
        String saved = Files.readString(runDir.resolve("config.yaml"));
        assertTrue(java.util.regex.Pattern.compile("dtype: \"?int8").matcher(saved).find(), saved);
        assertEquals(3L * 6 * 3 + 3L * 3 * 3, ParquetReader.read(runDir.resolve("results.parquet")).rows().size());
        String msg = error("--config", "smoke", "--set", "model.dtype=int3", "--set", "experiment.output_dir=" + out);
        assertTrue(msg.contains("model.dtype") && msg.contains("int8"), msg);
    }

    @Test
    void badConfigsAndPromptFilesAreOneLineErrorsWithNoOutput() throws Exception {
        String out = tmp.resolve("runs").toString();
        assertTrue(error("--config", "smoke", "--set", "experiment.nope=1").contains("nope"));
        assertTrue(error("--config", "smoke", "--set", "generation.top_p=7").contains("generation.top_p"));
        assertTrue(error("--config", "smoke", "--set", "experiment.layers=[99]",
                "--set", "experiment.output_dir=" + out).contains("99"));
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"id\":\"a\",\"prompt\":\"fine\"}\n{\"id\":\"b\",\"prompt\":\"\"}\n");
        String msg = error("--config", "smoke", "--set", "data.harm_test_path=" + bad, "--set", "experiment.output_dir=" + out);
        assertTrue(msg.contains("bad.jsonl:2"), msg);
        Path cfg = tmp.resolve("c.yaml");
        Files.writeString(cfg, "model: {name: x\n");
        assertFalse(error("--config", cfg.toString()).isBlank());
        try (Stream<Path> s = Files.walk(tmp.resolve("runs"))) {
            assertTrue(s.noneMatch(p -> p.toString().endsWith(".parquet") || p.toString().endsWith("summary.csv")),
                    "no partial outputs");
        } catch (java.nio.file.NoSuchFileException e) {
            // nothing was created at all
        }
    }

    @Test
    void anHdfsOutputWithoutTheHadoopClientIsAOneLineErrorSayingWhatToAdd() {
        // steering.jar alone has no Hadoop client (steering-spark brings it under spark-submit)
        String msg = error("--config", "smoke", "--output", "hdfs://namenode:8020/runs");
        assertTrue(msg.contains("hdfs://namenode:8020/runs") && msg.contains("steering-spark")
                && msg.contains("docs/distributed.md"), msg);
        assertFalse(Files.exists(Path.of("hdfs:")), "no local directory named after the scheme");
    }

    private Path runAll(int expectedCode, String... args) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        try {
            String[] argv = Stream.concat(Stream.of("run-all"), Stream.of(args)).toArray(String[]::new);
            assertEquals(expectedCode, Main.run(argv, new PrintStream(new ByteArrayOutputStream())));
        } finally {
            System.setOut(old);
        }
        String[] lines = stdout.toString(StandardCharsets.UTF_8).strip().split("\n");
        return Path.of(lines[lines.length - 1].strip());
    }

    private static String error(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] argv = Stream.concat(Stream.of("run-all"), Stream.of(args)).toArray(String[]::new);
        int code = Main.run(argv, new PrintStream(err, true, StandardCharsets.UTF_8));
        String msg = err.toString(StandardCharsets.UTF_8).strip();
        assertTrue(code != 0, "expected a failure for " + String.join(" ", args));
        assertEquals(1, msg.lines().count(), "one line: " + msg);
        return msg;
    }
}
