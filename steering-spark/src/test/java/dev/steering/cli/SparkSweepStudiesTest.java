package dev.steering.cli;

import dev.steering.Progress;
import dev.steering.direction.SteeringVector;
import dev.steering.experiment.Condition;
import dev.steering.experiment.FamilySweepConfig;
import dev.steering.experiment.FamilySweepStudy;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.PromptSet;
import dev.steering.experiment.QuantizationConfig;
import dev.steering.experiment.QuantizationStudy;
import dev.steering.experiment.ResultStore;
import dev.steering.experiment.StudyTask;
import dev.steering.experiment.SweepColumns;
import dev.steering.experiment.YamlConfig;
import dev.steering.experiment.parquet.ParquetReader;
import dev.steering.spark.SparkConditionRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.TaskContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bundled {@code family-sweep} and {@code quantization} configs (both bundled tiny models, made small) run in one
 * process and as Spark jobs in local mode: the same rows, part by part, in every model's (and precision's) run
 * directory; a task that fails once is retried without losing or doubling a row; a job that dies is resubmitted
 * and resumes.
 */
class SparkSweepStudiesTest {
    /** Runs per (task group, condition key), counted by the test tasks (local mode: executors run in this JVM). */
    static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();
    /** Wall-clock columns: the only ones that differ between two runs of the same config. */
    private static final List<String> TIMES = List.of(SweepColumns.CONDITION_S, SweepColumns.EXTRACTION_S);
    private static final String[] SMALL = {"--set", "prompts.test_n=4", "--set", "prompts.test_repeats=1",
            "--set", "generation.max_new_tokens=8"};

    @TempDir
    static Path tmp;
    static Path sweep;
    static Path quantization;

    @BeforeAll
    static void singleProcess() {
        sweep = runAll("family-sweep", tmp.resolve("sweep1"));
        quantization = runAll("quantization", tmp.resolve("quant1"));
    }

    @Test
    void theFamilySweepOnSparkWritesTheSameRowsAndDirectionsAsOneProcess() throws Exception {
        Path runDir = runAll("family-sweep", tmp.resolve("sweep2"), "--spark-master", "local[2]");
        assertEquals(sweep.getFileName(), runDir.getFileName(), "the same run id");
        assertSameParts(sweep, runDir);
        List<String> phases = ParquetReader.read(runDir.resolve(ResultStore.RESULTS)).rows().stream()
                .map(r -> (String) r.get(SweepColumns.PHASE)).distinct().toList();
        assertTrue(phases.containsAll(List.of(SweepColumns.VALIDATION, SweepColumns.FULL)), "phases " + phases);
        List<Path> directions = files(sweep, ".safetensors");
        assertEquals(directions, files(runDir, ".safetensors"), "the same directions, written beside the results");
        for (Path d : directions) {
            assertArrayEquals(SteeringVector.load(sweep.resolve(d)).raw(), SteeringVector.load(runDir.resolve(d)).raw(),
                    d.toString());
        }
        assertTrue(Files.exists(runDir.resolve("directions.json")), "the sweep's reports are written as in one process");
    }

    @Test
    void theQuantizationStudyOnSparkWritesTheSameRowsAsOneProcess() throws Exception {
        Path runDir = runAll("quantization", tmp.resolve("quant2"), "--spark-master", "local[2]");
        assertSameParts(quantization, runDir);
        assertEquals(2 * 5, files(runDir, ".parquet").stream().filter(p -> p.toString().contains("parts")).count(),
                "one part per (model, precision)");
        assertEquals(Files.readString(quantization.resolve(QuantizationStudy.COSINES)).replaceAll(
                        "\"extraction_s\" : [0-9.]+", ""),
                Files.readString(runDir.resolve(QuantizationStudy.COSINES)).replaceAll("\"extraction_s\" : [0-9.]+", ""),
                "the same direction norms and cosines");
    }

    @Test
    void withExtractFromReferenceTheOtherPrecisionsRunAfterTheReferenceAndSteerWithItsDirection() throws Exception {
        Path yaml = tmp.resolve("quantization-reference.yaml");
        Files.writeString(yaml, Files.readString(quantization.resolve("config.yaml"))
                .replaceAll("(?m)^extract_from: .*$", "extract_from: \"reference\""));
        assertTrue(Files.readString(yaml).contains("extract_from: \"reference\""), Files.readString(yaml));
        Path one = runAll(yaml.toString(), tmp.resolve("ref1"));
        Path spark = runAll(yaml.toString(), tmp.resolve("ref2"), "--spark-master", "local[2]");
        assertSameParts(one, spark);
        List<Map<String, Object>> rows = ParquetReader.read(spark.resolve(ResultStore.RESULTS)).rows();
        assertEquals(2 * 5 * 4, rows.size(), "2 models x 5 precisions x 4 test prompts");
        assertTrue(rows.stream().allMatch(r -> "float32".equals(r.get(SweepColumns.EXTRACTED_FROM))),
                "every precision steers with the float32 direction");
    }

    @Test
    void aFamilySweepTaskThatFailsOnceIsRetriedWithoutLosingOrDoublingRows() throws Exception {
        Path runDir = tmp.resolve("sweep-retry").resolve(sweep.getFileName().toString());
        RUNS.clear();
        FamilySweepConfig cfg = FamilySweepConfig.load(config(sweep), List.of());
        Map<String, List<Prompt>> prompts = prompts(sweep);
        // the second model's full run (after its layer validation), two conditions to a task: its first task stores
        // one, then fails
        String failing = "model 1/003-L1-dim-a2.0";
        try (SparkConditionRunner runner = SparkConditionRunner.builder(null).master("local[2,2]")
                .conditionsPerTask(2).build()) {
            study(cfg, prompts, runDir).runner(runner, i -> new DirectionsFirst(new Faulty(new RunAllTask(
                    FamilySweepConfig.STUDY, cfg.toYaml(), prompts, runDir.toString(), i, null), failing, 1),
                    runDir.resolve("models").toString(), i)).run();
        }
        assertEquals(2, RUNS.get(failing).get(), "the failed condition ran again on the retry: " + RUNS);
        assertEquals(1, RUNS.get("model 1/002-L1-dim-a1.0").get(), "its task's stored condition was skipped on the retry");
        assertTrue(RUNS.values().stream().allMatch(n -> n.get() <= 2), RUNS.toString());
        assertSameParts(sweep, runDir);
    }

    @Test
    void aQuantizationTaskThatFailsOnceIsRetriedAndAKilledJobResubmittedResumes() throws Exception {
        Path out = tmp.resolve("quant-killed");
        Path runDir = out.resolve(quantization.getFileName().toString());
        QuantizationConfig cfg = QuantizationConfig.load(config(quantization), List.of());
        Map<String, List<Prompt>> prompts = prompts(quantization);
        String once = "model 0 at float16/000-baseline";
        String dying = "model 1 at int8/000-baseline";
        RUNS.clear();
        try (SparkConditionRunner runner = SparkConditionRunner.builder(null).master("local[1,2]").build()) {
            QuantizationStudy study = new QuantizationStudy(cfg, prompts.get(RunAllTask.HARMFUL),
                    prompts.get(RunAllTask.HARMLESS), prompts.get(RunAllTask.TEST), runDir, Models::language,
                    Progress.silent());
            study.runner(runner, (i, p) -> {
                StudyTask t = new RunAllTask(QuantizationConfig.STUDY, cfg.toYaml(), prompts, runDir.toString(), i,
                        p.configName());
                return new Faulty(new Faulty(t, once, 1), dying, 99);
            });
            Exception e = assertThrows(Exception.class, study::run);
            assertTrue(String.valueOf(e.getMessage()).contains("injected failure"), e.toString());
        }
        assertEquals(2, RUNS.get(once).get(), "the pair that failed once ran again: " + RUNS);
        Path float16 = runDir.resolve("models/00-toy-refusal/float16/parts/000-baseline.parquet");
        assertTrue(Files.exists(float16), "and was stored");
        assertTrue(!Files.exists(runDir.resolve("models/01-llama-random/int8/parts/000-baseline.parquet")),
                "the job died at the dying pair");
        Map<Path, FileTime> before = new LinkedHashMap<>();
        for (Path p : files(runDir, ".parquet")) {
            before.put(p, Files.getLastModifiedTime(runDir.resolve(p)));
        }
        Thread.sleep(20);
        assertEquals(runDir, runAll("quantization", out, "--spark-master", "local[2]"));
        for (var e : before.entrySet()) {
            assertEquals(e.getValue(), Files.getLastModifiedTime(runDir.resolve(e.getKey())),
                    e.getKey() + " was stored before the resubmission and not redone");
        }
        assertSameParts(quantization, runDir);
    }

    @Test
    void aKilledFamilySweepResubmittedResumes() throws Exception {
        Path out = tmp.resolve("sweep-killed");
        Path runDir = out.resolve(sweep.getFileName().toString());
        FamilySweepConfig cfg = FamilySweepConfig.load(config(sweep), List.of());
        Map<String, List<Prompt>> prompts = prompts(sweep);
        String dying = "model 1/002-L1-dim-a1.0";
        RUNS.clear();
        try (SparkConditionRunner runner = SparkConditionRunner.builder(null).master("local[1,2]").build()) {
            FamilySweepStudy study = study(cfg, prompts, runDir).runner(runner, i -> new Faulty(new RunAllTask(
                    FamilySweepConfig.STUDY, cfg.toYaml(), prompts, runDir.toString(), i, null), dying, 99));
            Exception e = assertThrows(Exception.class, study::run);
            assertTrue(String.valueOf(e.getMessage()).contains("injected failure"), e.toString());
        }
        assertTrue(Files.exists(runDir.resolve("models/00-toy-refusal/done")), "the first model finished");
        Map<Path, FileTime> before = new LinkedHashMap<>();
        for (Path p : files(runDir, ".parquet")) {
            before.put(p, Files.getLastModifiedTime(runDir.resolve(p)));
        }
        assertTrue(before.keySet().stream().anyMatch(p -> p.startsWith("models/01-llama-random/parts")),
                "the second model's validation phase was stored before the job died: " + before.keySet());
        Thread.sleep(20);
        assertEquals(runDir, runAll("family-sweep", out, "--spark-master", "local[2]"));
        for (var e : before.entrySet()) {
            if (e.getKey().toString().contains("parts")) {
                assertEquals(e.getValue(), Files.getLastModifiedTime(runDir.resolve(e.getKey())),
                        e.getKey() + " was stored before the resubmission and not redone");
            }
        }
        assertSameParts(sweep, runDir);
    }

    private static FamilySweepStudy study(FamilySweepConfig cfg, Map<String, List<Prompt>> prompts, Path runDir) {
        return new FamilySweepStudy(cfg, prompts.get(RunAllTask.HARMFUL), prompts.get(RunAllTask.HARMLESS),
                prompts.get(RunAllTask.TEST), runDir, Models::language, Progress.silent());
    }

    /**
     * Every part (of every model and precision) and {@code results.parquet} hold the rows of the single-process run,
     * in the same order, but for the wall-clock columns.
     */
    static void assertSameParts(Path reference, Path runDir) throws Exception {
        List<Path> parts = files(reference, ".parquet");
        assertEquals(parts, files(runDir, ".parquet"), "the same parts");
        assertTrue(parts.size() > 2, "parts " + parts);
        for (Path p : parts) {
            List<Map<String, Object>> want = withoutTimes(reference.resolve(p));
            assertEquals(want, withoutTimes(runDir.resolve(p)), p.toString());
            assertTrue(!want.isEmpty(), p + " has rows");
        }
    }

    private static List<Map<String, Object>> withoutTimes(Path parquet) throws Exception {
        return ParquetReader.read(parquet).rows().stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>(r);
            TIMES.forEach(m::remove);
            return m;
        }).toList();
    }

    /** The run directory's files ending in {@code suffix} (no hidden temporary file), relative, sorted. */
    static List<Path> files(Path runDir, String suffix) throws Exception {
        try (Stream<Path> s = Files.walk(runDir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)
                            && !p.getFileName().toString().startsWith("."))
                    .map(runDir::relativize).sorted().toList();
        }
    }

    private static YamlConfig.Source config(Path runDir) {
        return YamlConfig.read(runDir.resolve("config.yaml").toString(),
                dev.steering.experiment.ExperimentConfig.BundledConfigs.classpath(Bundled.CONFIGS));
    }

    /** The single-process run's prompt sets (the bundled ones it copied into its run directory). */
    private static Map<String, List<Prompt>> prompts(Path runDir) throws java.io.IOException {
        Map<String, List<Prompt>> out = new LinkedHashMap<>();
        out.put(RunAllTask.HARMFUL, PromptSet.load(runDir.resolve("prompts/harm_train.jsonl")).prompts());
        out.put(RunAllTask.HARMLESS, PromptSet.load(runDir.resolve("prompts/benign.jsonl")).prompts());
        out.put(RunAllTask.TEST, out.get(RunAllTask.HARMLESS));
        return out;
    }

    /**
     * A task whose condition {@code key} ({@code group/key}) throws on its first {@code failures} task attempts
     * (Spark retries a failed task up to the master's maxFailures), counting every condition run in {@link #RUNS}.
     */
    record Faulty(StudyTask inner, String key, int failures) implements StudyTask {
        @Override
        public String group(Condition c) {
            return inner.group(c);
        }

        @Override
        public Session open() {
            Session s = inner.open();
            return new Session() {
                @Override
                public List<Map<String, Object>> run(Condition c) {
                    String k = inner.group(c) + "/" + c.key();
                    if (!(inner instanceof Faulty)) {
                        RUNS.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
                    }
                    if (k.equals(key) && TaskContext.get().attemptNumber() < failures) {
                        throw new IllegalStateException("injected failure of " + key);
                    }
                    return s.run(c);
                }

                @Override
                public void close() {
                    s.close();
                }
            };
        }
    }

    /**
     * A family-sweep task that fails (every attempt, so the job) if a condition's direction is not in the run
     * directory when an executor runs it: the driver extracts them, executors only read them.
     */
    record DirectionsFirst(StudyTask inner, String models, int model) implements StudyTask {
        @Override
        public String group(Condition c) {
            return inner.group(c);
        }

        @Override
        public Session open() {
            Session s = inner.open();
            return new Session() {
                @Override
                public List<Map<String, Object>> run(Condition c) {
                    String prefix = String.format("%02d-", model);
                    try (Stream<Path> dirs = Files.list(Path.of(models))) {
                        Path dir = dirs.filter(d -> d.getFileName().toString().startsWith(prefix)).findFirst()
                                .orElseThrow();
                        Path file = dir.resolve("directions").resolve(c.intervention() + "-L" + c.layer()
                                + ".safetensors");
                        if (!Files.exists(file)) {
                            throw new IllegalStateException(file + " is not there before " + c.key() + " runs");
                        }
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return s.run(c);
                }

                @Override
                public void close() {
                    s.close();
                }
            };
        }
    }

    private static Path runAll(String config, Path out, String... more) {
        return SparkRunAllTest.runAll(Stream.of(Stream.of("--config", config, "--output", out.toString()),
                Arrays.stream(SMALL), Arrays.stream(more)).flatMap(s -> s).toArray(String[]::new));
    }
}
