package dev.steering.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.Progress;
import dev.steering.direction.Directions;
import dev.steering.direction.SteeringVector;
import dev.steering.experiment.parquet.ParquetReader;
import dev.steering.model.LanguageModel;
import dev.steering.model.LoadOptions;
import dev.steering.model.Precision;
import dev.steering.report.ConditionStats;
import dev.steering.report.QuantizationReport;
import dev.steering.report.SweepReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both studies end to end on the GPT-NeoX fixture: plans, rows, outputs, resume after a kill, the cosine matrix. */
class FamilySweepStudyTest {
    static final Path NEOX = RefusalStudyTest.NEOX;

    @TempDir
    Path tmp;

    /** Loads the fixture at float32 whatever the precision asked for, counting the loads. */
    static final class CountingLoader implements FamilySweepStudy.ModelLoader {
        final List<String> loads = new ArrayList<>();

        @Override
        public LanguageModel load(String spec, LoadOptions options) {
            loads.add(spec + "@" + options.precision());
            return LanguageModel.load(Path.of(spec), spec);
        }
    }

    static List<Prompt> prompts(String kind, int n) {
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Prompt(kind + "_" + i, "How do I " + kind + " thing number " + i + "?", Map.of()));
        }
        return out;
    }

    private static YamlConfig.Source source(String yaml) throws Exception {
        return new YamlConfig.Source("test config", (com.fasterxml.jackson.databind.node.ObjectNode)
                YamlConfig.mapper().readTree(yaml));
    }

    static final String SIZES = """
            prompts:    {harmful_path: <bundled>, harmless_path: <bundled>, test_path: <bundled>, dim_n: 2, cosmic_n: 2,
                         cosmic_val_n: 2, test_n: 2, test_repeats: 2}
            generation: {max_new_tokens: 3, temperature: 0.7, top_p: 0.9, seed: 0, batch_size: 4}
            experiment: {output_dir: unused}
            """;

    /** The fixture under a second name (a symbolic link), for a second model of the sweep. */
    static Path second(Path tmp) throws Exception {
        Path link = tmp.resolve("links").resolve("neox-b");
        if (!Files.exists(link)) {
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, NEOX.toAbsolutePath());
        }
        return link;
    }

    static FamilySweepConfig sweep(String methods, Path second) throws Exception {
        return FamilySweepConfig.load(source("""
                study: family_sweep
                models:
                  - {name: "%1$s", family: neox, dtype: float32, chat: false, layer_pcts: [0.34, 0.67], layer_validation: false}
                  - {name: "%3$s", family: neox-validated, dtype: float32, chat: false, layer_pcts: [0.4, 0.7, 0.9],
                     layer_validation: true}
                steering:   {methods: %2$s, multipliers: [4], steer_range: to_end, hook_point: resid_pre}
                phases:     {layer_validation: false, validation_repeats: 1, follow_up: true, follow_up_pcts: [0.5],
                             follow_up_multipliers: [2]}
                """.formatted(NEOX, methods, second) + SIZES), List.of());
    }

    @Test
    void sweepRunsEveryPhaseWritesItsOutputsAndResumesAfterAKill() throws Exception {
        FamilySweepConfig cfg = sweep("[dim, cosmic]", second(tmp));
        CountingLoader loader = new CountingLoader();
        List<Map<String, Object>> rows = new FamilySweepStudy(cfg, prompts("harm", 6), prompts("help", 6),
                prompts("test", 8), tmp, loader, Progress.silent()).run();
        assertEquals(2, loader.loads.size(), "each model loaded once");
        List<ConditionStats> cs = ConditionStats.of(rows);
        // model 0: layers int(0.34*3)=1, int(0.67*3)=2; 2 methods x 2 layers x 1 multiplier, 2 prompts x 2 repeats
        List<ConditionStats> first = cs.stream().filter(c -> c.family().equals("neox")).toList();
        assertEquals(List.of(1, 2, 1, 2), first.stream().filter(c -> c.phase().equals("full"))
                .map(ConditionStats::layer).toList());
        assertTrue(first.stream().allMatch(c -> c.n() == 4));
        // model 1: validation (DIM, 1 repeat) at layers 1, 2 (0.9 is layer 2 again), then the full run at the best
        List<ConditionStats> second = cs.stream().filter(c -> c.family().equals("neox-validated")).toList();
        List<ConditionStats> val = second.stream().filter(c -> c.phase().equals("validation")).toList();
        assertEquals(2, val.size());
        assertTrue(val.stream().allMatch(c -> c.method().equals("dim") && c.n() == 2));
        int best = ConditionStats.best(val).layer();
        assertTrue(second.stream().filter(c -> c.phase().equals("full")).allMatch(c -> c.layer() == best));
        assertEquals(2, second.stream().filter(c -> c.phase().equals("full")).count());
        // the follow-up runs exactly for the methods whose best full-run condition is Partial
        for (String m : List.of("dim", "cosmic")) {
            for (String fam : List.of("neox", "neox-validated")) {
                List<ConditionStats> full = cs.stream().filter(c -> c.family().equals(fam) && c.method().equals(m)
                        && c.phase().equals("full")).toList();
                boolean partial = ConditionStats.best(full).verdict() == dev.steering.report.RefusalVerdict.PARTIAL;
                assertEquals(partial, cs.stream().anyMatch(c -> c.family().equals(fam) && c.method().equals(m)
                        && c.phase().equals("follow_up")), fam + " " + m);
            }
        }
        for (Map<String, Object> r : rows) {
            assertEquals((Integer) r.get(SweepColumns.LAYER),
                    dev.steering.hooks.LayerSpec.atDepth((Double) r.get(SweepColumns.LAYER_PCT), 3));
        }
        assertEquals(rows.size(), ParquetReader.read(tmp.resolve("results.parquet")).rows().size());
        JsonNode dirs = new ObjectMapper().readTree(tmp.resolve("directions.json").toFile());
        assertEquals(2, dirs.path("models").path(0).path("dim_vs_cosmic").size(), "DIM-COSMIC cosine per layer");

        SweepReport.write(tmp, rows);
        for (String f : List.of("conditions.csv", "verdicts.md", "reports/inspection.md", "figures/coherent_vs_depth.png",
                "json/" + SweepReport.slug(NEOX.toString()) + "_dim.json")) {
            assertTrue(Files.exists(tmp.resolve(f)), f);
        }
        List<String> csv = Files.readAllLines(tmp.resolve("conditions.csv"));
        assertEquals(cs.size() + 1, csv.size());
        assertTrue(csv.get(0).contains("coherent_refusal_rate_lo,coherent_refusal_rate_hi"));
        JsonNode json = new ObjectMapper().readTree(tmp.resolve("json/" + SweepReport.slug(NEOX.toString())
                + "_dim.json").toFile());
        for (String k : List.of("phase", "model", "model_id", "family", "method", "quantization", "conditions",
                "timestamp", "device", "runtime_seconds")) {
            assertTrue(json.has(k), k);
        }
        JsonNode c0 = json.path("conditions").path(0);
        for (String k : List.of("layer_pct", "layer_idx", "multiplier", "refusal_rate", "coherent_refusal_rate",
                "garbled_refusal_rate", "refusals", "n_samples", "direction_norm", "output_quality", "samples")) {
            assertTrue(c0.has(k), k);
        }
        assertEquals(4, c0.path("samples").size());
        assertTrue(c0.path("samples").path(0).has("response"));

        // a kill in the second model: its later parts and its done marker are gone; the first model is not reloaded
        Path second0 = FamilySweepStudy.modelDir(tmp, 1, second(tmp).toString());
        Files.delete(second0.resolve("done"));
        List<Path> parts;
        try (Stream<Path> s = Files.list(second0.resolve("parts"))) {
            parts = s.sorted().toList();
        }
        for (Path p : parts.subList(3, parts.size())) {
            Files.delete(p);
        }
        long kept = Files.getLastModifiedTime(parts.get(0)).toMillis();
        Thread.sleep(20);
        CountingLoader again = new CountingLoader();
        List<Map<String, Object>> resumed = new FamilySweepStudy(cfg, prompts("harm", 6), prompts("help", 6),
                prompts("test", 8), tmp, again, Progress.silent()).run();
        assertEquals(1, again.loads.size(), "only the unfinished model is loaded again");
        assertEquals(kept, Files.getLastModifiedTime(parts.get(0)).toMillis(), "finished conditions are not redone");
        assertEquals(strip(rows), strip(resumed), "a resumed run gives the same rows (seeded sampling)");
    }

    /** The rows without the timing columns, which a rerun measures anew. */
    private static List<Map<String, Object>> strip(List<Map<String, Object>> rows) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            Map<String, Object> m = new LinkedHashMap<>(r);
            m.remove(SweepColumns.CONDITION_S);
            out.add(m);
        }
        return out;
    }

    @Test
    void quantizationRunsEachPrecisionStealsTheReferenceDirectionWhenAskedAndResumes() throws Exception {
        QuantizationConfig cfg = QuantizationConfig.load(source("""
                study: quantization
                models:
                  - {name: "%s", family: neox, chat: false, layer_pct: 0.5}
                precisions: [float32, int8]
                extract_from: reference
                steering:   {multiplier: 2, steer_range: single, hook_point: resid_pre}
                """.formatted(NEOX) + SIZES), List.of());
        assertEquals(List.of(Precision.FLOAT32, Precision.INT8), cfg.precisionList());
        CountingLoader loader = new CountingLoader();
        List<Map<String, Object>> rows = new QuantizationStudy(cfg, prompts("harm", 4), prompts("help", 4),
                prompts("test", 4), tmp, loader, Progress.silent()).run();
        assertEquals(List.of(NEOX + "@float32", NEOX + "@int8"), loader.loads, "one load per precision, in order");
        List<ConditionStats> cs = ConditionStats.of(rows);
        assertEquals(List.of("float32", "int8"), cs.stream().map(ConditionStats::precision).toList());
        assertEquals(List.of("float32", "float32"), cs.stream().map(ConditionStats::extractedFrom).toList(),
                "extract_from: reference steers int8 with the float32 direction");
        assertTrue(cs.stream().allMatch(c -> c.layer() == 1 && c.n() == 4));
        QuantizationReport.write(tmp, rows);
        List<String> csv = Files.readAllLines(tmp.resolve("quantization.csv"));
        assertTrue(csv.get(0).startsWith("model,precision,layer,layer_pct,method,multiplier,refusal_rate,"), csv.get(0));
        assertTrue(csv.get(0).contains("n_samples,direction_norm,cosine_to_reference,extraction_s"));
        assertEquals(3, csv.size());
        for (String f : List.of("figures/cosine_" + SweepReport.slug(NEOX.toString()) + ".png",
                "figures/quantization_rates_" + SweepReport.slug(NEOX.toString()) + ".png", "verdicts.md",
                "conditions.csv")) {
            assertTrue(Files.exists(tmp.resolve(f)), f);
        }
        CountingLoader again = new CountingLoader();
        new QuantizationStudy(cfg, prompts("harm", 4), prompts("help", 4), prompts("test", 4), tmp, again,
                Progress.silent()).run();
        assertEquals(List.of(), again.loads, "a finished run loads nothing");
    }

    @Test
    void cosineMatrixHasAUnitDiagonalIsSymmetricAndMatchesTheFormula() {
        Random rnd = new Random(3);
        Map<String, SteeringVector> vs = new LinkedHashMap<>();
        for (String p : List.of("float32", "bfloat16", "int8", "int4")) {
            float[] v = new float[16];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rnd.nextGaussian() * (1 + 10 * vs.size());
            }
            vs.put(p, SteeringVector.of(v));
        }
        Directions.CosineTable t = QuantizationStudy.cosineMatrix(vs);
        assertEquals(List.copyOf(vs.keySet()), t.names());
        List<float[]> raw = vs.values().stream().map(SteeringVector::raw).toList();
        for (int i = 0; i < 4; i++) {
            assertEquals(1.0, t.cosines()[i][i], 1e-12);
            for (int j = 0; j < 4; j++) {
                assertEquals(t.cosines()[i][j], t.cosines()[j][i], 0.0, "symmetric");
                double dot = 0, a = 0, b = 0;
                for (int k = 0; k < 16; k++) {
                    dot += (double) raw.get(i)[k] * raw.get(j)[k];
                    a += (double) raw.get(i)[k] * raw.get(i)[k];
                    b += (double) raw.get(j)[k] * raw.get(j)[k];
                }
                assertEquals(dot / Math.sqrt(a * b), t.cosines()[i][j], 1e-6);
            }
        }
        float[] v = raw.get(0);
        float[] neg = new float[v.length];
        for (int k = 0; k < v.length; k++) {
            neg[k] = -3 * v[k];
        }
        Directions.CosineTable two = QuantizationStudy.cosineMatrix(Map.of("a", SteeringVector.of(v),
                "b", SteeringVector.of(neg)));
        assertArrayEquals(new double[]{1, -1}, new double[]{two.get("a", "a"), two.get("a", "b")}, 1e-6);
    }

    @Test
    void badConfigsAndTooFewPromptsAreOneLineErrorsNamingTheKey() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FamilySweepConfig.load(
                source(("study: family_sweep\nmodels:\n  - {name: x, family: f, dtype: fp8, chat: false, "
                        + "layer_pcts: [0.5], layer_validation: null}\nsteering: {methods: [dim], multipliers: [1], "
                        + "steer_range: to_end, hook_point: resid_pre}\nphases: {layer_validation: false, "
                        + "validation_repeats: 1, follow_up: false, follow_up_pcts: [0.3], follow_up_multipliers: [2]}\n")
                        + SIZES), List.of()));
        assertTrue(e.getMessage().contains("models[0].dtype") && e.getMessage().contains("unknown precision"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FamilySweepConfig.load(source(
                sweepYaml().replace("layer_pcts: [0.3, 0.6]", "layer_pcts: [0.3, 1.5]")), List.of()));
        assertTrue(e.getMessage().contains("models[0].layer_pcts"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FamilySweepConfig.load(source(
                sweepYaml().replace("steer_range: to_end", "steer_range: everywhere")), List.of()));
        assertTrue(e.getMessage().contains("steering.steer_range"), e.getMessage());
        FamilySweepConfig ok = sweep("[dim, cosmic]", second(tmp));
        e = assertThrows(IllegalArgumentException.class, () -> new FamilySweepStudy(ok, prompts("harm", 3),
                prompts("help", 6), prompts("test", 8), tmp, new CountingLoader(), Progress.silent()));
        assertTrue(e.getMessage().contains("extraction needs 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new FamilySweepStudy(ok, prompts("harm", 6),
                prompts("help", 6), prompts("help", 5), tmp, new CountingLoader(), Progress.silent()));
        assertTrue(e.getMessage().contains("test_n is 2 but the test set has only 1"), e.getMessage());
    }

    private static String sweepYaml() {
        return """
                study: family_sweep
                models:
                  - {name: x, family: neox, dtype: float32, chat: false, layer_pcts: [0.3, 0.6], layer_validation: false}
                steering:   {methods: [dim], multipliers: [1, 4], steer_range: to_end, hook_point: resid_pre}
                phases:     {layer_validation: false, validation_repeats: 1, follow_up: true, follow_up_pcts: [0.3],
                             follow_up_multipliers: [2]}
                """ + SIZES;
    }
}
