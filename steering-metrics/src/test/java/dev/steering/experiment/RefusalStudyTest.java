package dev.steering.experiment;

import dev.steering.Progress;
import dev.steering.model.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The study end to end on the GPT-NeoX fixture: plan, rows, resume. */
class RefusalStudyTest {
    static final Path NEOX = Path.of("../steering-core/src/test/resources/fixtures/gpt-neox-tiny");
    static LanguageModel model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        model = LanguageModel.load(NEOX);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static ExperimentConfig config(String... overrides) {
        List<String> o = new ArrayList<>(List.of("model.name=" + NEOX, "data.max_prompts_per_split=3",
                "generation.max_new_tokens=3", "generation.batch_size=2", "experiment.layers=[\"50%\", 2]",
                "experiment.alphas={add: [0, 4], ablate: [0, 1]}", "sanity_checks.rerun_subset_n=2"));
        o.addAll(List.of(overrides));
        return ExperimentConfig.load("smoke", o, ExperimentConfig.BundledConfigs.classpath(List.of("smoke")));
    }

    static Map<String, List<Prompt>> prompts() {
        Map<String, List<Prompt>> out = new LinkedHashMap<>();
        for (String split : ResultColumns.SPLITS) {
            List<Prompt> ps = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ps.add(new Prompt(split + "_" + i, "How do I do thing number " + i + " for " + split + "?", Map.of()));
            }
            out.put(split, ps);
        }
        return out;
    }

    @Test
    void runsEveryConditionOnEverySplitAndResumesWithoutRedoingWork() throws Exception {
        ExperimentConfig cfg = config();
        RefusalStudy study = new RefusalStudy(cfg, model, prompts(), tmp, Progress.silent());
        assertEquals(List.of(1, 2), study.layers());
        List<Condition> grid = study.plan();
        // baseline + 2 layers x 2 interventions x 1 non-zero alpha of their own grids
        assertEquals(1 + 4, grid.size());
        assertEquals(List.of(4.0, 1.0), grid.subList(1, 3).stream().map(Condition::alpha).toList(),
                "add and ablate each run their own alpha grid");
        List<Map<String, Object>> rows = study.run();
        assertTrue(Files.exists(tmp.resolve("operating_point.json")));
        var op = dev.steering.report.OperatingPointSearch.read(tmp.resolve("operating_point.json"));
        @SuppressWarnings("unchecked")
        Map<String, Object> checkPoint = (Map<String, Object>) op.get("checkPoint");
        var point = new dev.steering.report.Setting(((Number) checkPoint.get("layer")).intValue(),
                (String) checkPoint.get("intervention"), ((Number) checkPoint.get("alpha")).doubleValue());
        List<Condition> plan = study.checkPlan(grid, point);
        // + seed baseline + 2 layers x (template + seed), all at the checked point's intervention and alpha
        assertEquals(1 + 4 + 1 + 4, plan.size());
        assertTrue(plan.subList(6, 10).stream().allMatch(c -> c.alpha() == point.alpha()
                && c.intervention().equals(point.intervention())));
        for (Map<String, Object> r : rows) {
            assertTrue(r.get(ResultColumns.KL_FIRST_TOKEN) != null && r.get(ResultColumns.KL_MEAN) != null);
            assertTrue(r.get(ResultColumns.MODEL_REFUSAL_SCORE) != null);
            if ("none".equals(r.get(ResultColumns.INTERVENTION))) {
                assertEquals(0.0, (Double) r.get(ResultColumns.KL_FIRST_TOKEN), "no edit, no divergence");
            }
        }
        assertTrue(rows.stream().anyMatch(r -> (Double) r.get(ResultColumns.KL_MEAN) > 0), "edits move the distribution");
        long main = rows.stream().filter(r -> r.get(ResultColumns.CHECK) == null).count();
        assertEquals(5 * 3 * 3, main, "main grid: conditions x splits x prompts");
        assertEquals(5 * 3 * 2, rows.size() - main, "checks: conditions x splits x subset");
        assertTrue(Files.exists(tmp.resolve("results.parquet")));
        assertTrue(Files.exists(tmp.resolve("config.yaml")));
        assertTrue(Files.exists(tmp.resolve("sanity_template.json")));
        assertTrue(Files.exists(tmp.resolve("directions/layer_1/v.safetensors")));
        assertEquals(rows.size(), dev.steering.experiment.parquet.ParquetReader.read(tmp.resolve("results.parquet")).rows().size());
        for (Map<String, Object> r : rows) {
            assertTrue(ResultColumns.SPLITS.contains(r.get(ResultColumns.SPLIT)));
            assertTrue(r.get(ResultColumns.COMPLETION) != null);
        }

        // a crash after three conditions: remove the later parts, rerun, and only those are recomputed
        ResultStore store = new ResultStore(tmp);
        Set<String> done = store.completed();
        List<String> keys = plan.stream().map(Condition::key).toList();
        for (String k : keys.subList(3, keys.size())) {
            Files.delete(tmp.resolve("parts").resolve(k + ".parquet"));
        }
        long before = Files.getLastModifiedTime(tmp.resolve("parts").resolve(keys.get(0) + ".parquet")).toMillis();
        Thread.sleep(20);
        List<Map<String, Object>> again = new RefusalStudy(cfg, model, prompts(), tmp, Progress.silent()).run();
        assertEquals(done, new ResultStore(tmp).completed());
        assertEquals(before, Files.getLastModifiedTime(tmp.resolve("parts").resolve(keys.get(0) + ".parquet")).toMillis(),
                "finished conditions are not redone");
        assertEquals(rows, again, "a resumed run gives the same rows (seeded sampling)");
    }

    @Test
    void layersBeyondTheModelAreAnErrorNamingTheLayer() {
        ExperimentConfig cfg = config("experiment.layers=[7]");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RefusalStudy(cfg, model, prompts(), tmp, Progress.silent()));
        assertTrue(e.getMessage().contains("layer 7"), e.getMessage());
    }
}
