package dev.steering.cli;

import dev.steering.experiment.ResultStore;
import dev.steering.experiment.ToxicityColumns;
import dev.steering.experiment.parquet.ParquetReader;
import dev.steering.report.ToxicitySummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code run-all --config toxicity} end to end on the bundled toy model and the tiny classifier. */
class ToxicityStudyCommandTest {

    private static Path run(Path out) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[]{"run-all", "--config", "toxicity",
                "--set", "experiment.output_dir=" + out, "--set", "experiment.layers=[0, 1]",
                "--set", "experiment.alphas=[-1, 0, 1]", "--set", "data.challenging_n=3", "--set", "data.benign_n=3",
                "--set", "generation.max_new_tokens=4"}, new PrintStream(err, true));
        assertEquals(0, code, err.toString());
        try (Stream<Path> s = Files.list(out)) {
            List<Path> dirs = s.filter(Files::isDirectory).toList();
            assertEquals(1, dirs.size(), dirs.toString());
            return dirs.get(0);
        }
    }

    @Test
    void runsReportsRedrawsAndResumes(@TempDir Path out) throws Exception {
        Path runDir = run(out);
        List<Map<String, Object>> rows = ParquetReader.read(runDir.resolve(ResultStore.RESULTS)).rows();
        // baseline + 2 layers × 2 non-zero α, each on 3 challenging + 3 benign prompts
        assertEquals(5 * 6, rows.size());
        assertEquals(15, rows.stream().filter(r -> ToxicityColumns.CHALLENGING.equals(r.get(ToxicityColumns.SUBSET)))
                .count());
        assertTrue(rows.stream().allMatch(r -> ((Number) r.get(ToxicityColumns.TOXICITY)).doubleValue() >= 0
                && ((String) r.get(ToxicityColumns.TOX_LABELS)).contains("\"toxicity\"")));

        Path summary = runDir.resolve("summary.csv");
        Path recomputed = out.resolve("recomputed.csv");
        ToxicitySummary.write(recomputed, ToxicitySummary.compute(rows));
        assertEquals(Files.readString(recomputed), Files.readString(summary));
        // header + per subset: baseline + 2 layers × 3 α
        assertEquals(1 + 2 * 7, Files.readAllLines(summary).size());
        for (String f : List.of("heatmap_toxicity_challenging.png", "heatmap_toxicity_benign.png",
                "layer_effectiveness.png")) {
            assertTrue(Files.size(runDir.resolve("figures").resolve(f)) > 1000, f);
        }
        assertTrue(Files.readString(runDir.resolve("best_layers.csv")).startsWith("subset,rank,layer"));
        for (int layer : List.of(0, 1)) {
            assertTrue(Files.exists(runDir.resolve("directions/layer_" + layer + "/v.safetensors")));
        }

        // plots --run redraws the toxicity run from results.parquet
        Files.delete(summary);
        assertEquals(0, Main.run(new String[]{"plots", "--run", runDir.toString()}, System.err));
        assertEquals(Files.readString(recomputed), Files.readString(summary));

        // resume: finished conditions are skipped, a missing one is rerun
        Path parts = runDir.resolve("parts");
        FileTime old = FileTime.fromMillis(1_000_000L);
        List<Path> partFiles;
        try (Stream<Path> s = Files.list(parts)) {
            partFiles = s.sorted().toList();
        }
        assertEquals(5, partFiles.size());
        for (Path p : partFiles) {
            Files.setLastModifiedTime(p, old);
        }
        Path redo = partFiles.get(partFiles.size() - 1);
        Files.delete(redo);
        assertEquals(runDir, run(out));
        Map<Path, FileTime> times;
        try (Stream<Path> s = Files.list(parts)) {
            times = s.collect(Collectors.toMap(p -> p, p -> {
                try {
                    return Files.getLastModifiedTime(p);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        assertEquals(5, times.size());
        for (Path p : partFiles) {
            if (p.equals(redo)) {
                assertNotEquals(old, times.get(p));
            } else {
                assertEquals(old, times.get(p), p.toString());
            }
        }
    }
}
