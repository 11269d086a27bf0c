package dev.steering.cli;

import dev.steering.Progress;
import dev.steering.experiment.Condition;
import dev.steering.experiment.ExperimentConfig;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.PromptSet;
import dev.steering.experiment.RefusalStudy;
import dev.steering.experiment.ResultColumns;
import dev.steering.experiment.ResultStore;
import dev.steering.experiment.StudyTask;
import dev.steering.experiment.YamlConfig;
import dev.steering.experiment.parquet.ParquetReader;
import dev.steering.model.LanguageModel;
import dev.steering.spark.SparkConditionRunner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The smoke study on the bundled toy model, run in one process and as a Spark job in local mode: the same rows, part
 * by part; a task that fails once is retried without losing or doubling a row; a job that dies is resubmitted and
 * resumes.
 */
class SparkRunAllTest {
    /** Runs per condition key, counted by the test tasks (local mode: executors run in this JVM). */
    static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();

    @TempDir
    static Path tmp;
    static Path reference;

    @BeforeAll
    static void singleProcess() {
        reference = runAll("--config", "smoke", "--output", tmp.resolve("single").toString());
    }

    @Test
    void sparkLocalModeWritesTheSameRowsAsOneProcess() throws Exception {
        Path runDir = runAll("--config", "smoke", "--output", tmp.resolve("spark").toString(),
                "--spark-master", "local[2]");
        assertEquals(reference.getFileName(), runDir.getFileName(), "the same run id");
        assertSameParts(runDir);
        assertTrue(Files.exists(runDir.resolve("summary.csv")) && Files.exists(runDir.resolve("sanity_template.json")),
                "the reports are written as after a single-process run");
    }

    @Test
    void theToxicityStudyBuildsItsVectorsAfterTheBaselineStageAndWritesTheSameRows() throws Exception {
        String[] small = {"--config", "toxicity", "--set", "experiment.layers=[0, 1]", "--set", "experiment.alphas=[-1, 0, 1]",
                "--set", "data.challenging_n=3", "--set", "data.benign_n=3", "--set", "generation.max_new_tokens=4"};
        Path one = runAll(Stream.concat(Stream.of(small), Stream.of("--output", tmp.resolve("tox1").toString()))
                .toArray(String[]::new));
        Path spark = runAll(Stream.concat(Stream.of(small), Stream.of("--output", tmp.resolve("tox2").toString(),
                "--spark-master", "local[2]")).toArray(String[]::new));
        assertEquals(partNames(one), partNames(spark));
        assertEquals(5, partNames(spark).size(), "baseline + 2 layers x 2 alphas");
        assertEquals(ParquetReader.read(one.resolve(ResultStore.RESULTS)).rows(),
                ParquetReader.read(spark.resolve(ResultStore.RESULTS)).rows());
        for (int layer : new int[]{0, 1}) {
            Path v = Path.of("directions", "layer_" + layer, "v.safetensors");
            assertEquals(-1, Files.mismatch(one.resolve(v), spark.resolve(v)), "the same CAA vector at layer " + layer);
        }
    }

    @Test
    void aTaskThatFailsOnceIsRetriedWithoutLosingOrDoublingRows() throws Exception {
        Path runDir = tmp.resolve("retry").resolve(reference.getFileName().toString());
        RUNS.clear();
        try (LanguageModel model = Models.language(config().model().name())) {
            RefusalStudy study = new RefusalStudy(config(), model, prompts(), runDir, Progress.silent());
            List<Condition> plan = study.plan();
            // the baseline runs as a stage of its own; the grid's conditions then go two to a task, in plan order, so
            // the failing one's task has already stored its first condition when it fails
            String stored = plan.get(1).key();
            String failing = plan.get(2).key();
            try (SparkConditionRunner runner = SparkConditionRunner.builder(new Faulty(task(runDir), failing, 1))
                    .master("local[2,2]").conditionsPerTask(2).build()) {
                study.runner(runner).run();
            }
            assertEquals(2, RUNS.get(failing).get(), "the failed condition ran again on the retry");
            assertEquals(1, RUNS.get(stored).get(), "its task's stored condition was skipped on the retry");
            for (Condition c : plan) {
                assertTrue(RUNS.containsKey(c.key()), c.key() + " ran");
            }
        }
        assertSameParts(runDir);
        try (Stream<Path> files = Files.list(runDir.resolve("parts"))) {
            assertEquals(RUNS.size(), files.count(), "one part per condition, no temporary file left by the failed attempt");
        }
    }

    @Test
    void aKilledJobResubmittedResumes() throws Exception {
        Path out = tmp.resolve("killed");
        Path runDir = out.resolve(reference.getFileName().toString());
        String dying = "003-check-seed-baseline";
        RUNS.clear();
        try (LanguageModel model = Models.language(config().model().name());
             SparkConditionRunner runner = SparkConditionRunner.builder(new Faulty(task(runDir), dying, 99))
                     .master("local[1,2]").build()) {
            RefusalStudy study = new RefusalStudy(config(), model, prompts(), runDir, Progress.silent());
            Exception e = assertThrows(Exception.class, () -> study.runner(runner).run());
            assertTrue(String.valueOf(e.getMessage()).contains("injected failure"), e.toString());
        }
        ResultStore store = new ResultStore(runDir);
        assertTrue(!store.has(dying) && store.has("000-baseline"), "the job died part-way: " + store.completed());
        Map<String, FileTime> before = new LinkedHashMap<>();
        for (String k : store.completed()) {
            before.put(k, Files.getLastModifiedTime(runDir.resolve("parts").resolve(k + ".parquet")));
        }
        Thread.sleep(20);
        assertEquals(runDir, runAll("--config", "smoke", "--output", out.toString(), "--spark-master", "local[2]"));
        for (var e : before.entrySet()) {
            assertEquals(e.getValue(), Files.getLastModifiedTime(runDir.resolve("parts").resolve(e.getKey() + ".parquet")),
                    e.getKey() + " was stored before the resubmission and not redone");
        }
        assertSameParts(runDir);
    }

    @Test
    void aFileUriOutputIsTheLocalDirectory() {
        Path dir = tmp.toAbsolutePath().resolve("uri");
        assertEquals(dir, RunAllCommand.outputPath("file://" + dir));
        assertEquals(dir, RunAllCommand.outputPath(dir.toUri().toString()));
        assertEquals(Path.of("runs"), RunAllCommand.outputPath("runs"));
    }

    /** Every part and results.parquet hold the rows of the single-process run, in the same order. */
    private static void assertSameParts(Path runDir) throws Exception {
        List<String> names = partNames(reference);
        assertEquals(names, partNames(runDir), "the same parts");
        for (String n : names) {
            assertEquals(ParquetReader.read(reference.resolve("parts").resolve(n)).rows(),
                    ParquetReader.read(runDir.resolve("parts").resolve(n)).rows(), n);
        }
        List<Map<String, Object>> rows = ParquetReader.read(runDir.resolve(ResultStore.RESULTS)).rows();
        assertEquals(ParquetReader.read(reference.resolve(ResultStore.RESULTS)).rows(), rows);
        assertEquals(3L * 6 * 3 + 3L * 3 * 3, rows.size(), "smoke: 3 main conditions x 18 rows, 3 checks x 9 rows");
        assertTrue(rows.stream().allMatch(r -> r.get(ResultColumns.COMPLETION) != null));
    }

    private static List<String> partNames(Path runDir) throws Exception {
        try (Stream<Path> s = Files.list(runDir.resolve("parts"))) {
            // a straggler killed mid-write may leave a hidden temporary file; the store ignores it
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet")).sorted().toList();
        }
    }

    private static ExperimentConfig config() {
        return ExperimentConfig.load(YamlConfig.read(reference.resolve("config.yaml").toString(),
                ExperimentConfig.BundledConfigs.classpath(Bundled.CONFIGS)), List.of());
    }

    /** The reference run's prompts (the bundled sets it wrote into its run directory), as run-all limits them. */
    private static Map<String, List<Prompt>> prompts() throws IOException {
        Map<String, List<Prompt>> out = new LinkedHashMap<>();
        for (String split : ResultColumns.SPLITS) {
            List<Prompt> ps = PromptSet.load(reference.resolve("prompts").resolve(split + ".jsonl")).prompts();
            out.put(split, ps.subList(0, Math.min(ps.size(), config().data().maxPromptsPerSplit())));
        }
        return out;
    }

    private static RunAllTask task(Path runDir) throws IOException {
        return new RunAllTask("refusal", config().toYaml(), prompts(), runDir.toString());
    }

    /**
     * The run-all task whose condition {@code key} throws on its first {@code failures} task attempts (Spark retries
     * a failed task up to the master's maxFailures), counting every condition run in {@link #RUNS}.
     */
    record Faulty(StudyTask inner, String key, int failures) implements StudyTask {
        @Override
        public Session open() {
            Session s = inner.open();
            return new Session() {
                @Override
                public List<Map<String, Object>> run(Condition c) {
                    RUNS.computeIfAbsent(c.key(), k -> new AtomicInteger()).incrementAndGet();
                    if (c.key().equals(key) && TaskContext.get().attemptNumber() < failures) {
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

    /** Runs {@code run-all args} in this JVM, asserts exit code 0 and returns the run directory it printed. */
    static Path runAll(String... args) {
        return Path.of(runAllPrinting(args));
    }

    /** Runs {@code run-all args} in this JVM, asserts exit code 0 and returns the run directory (or URI) it printed. */
    static String runAllPrinting(String... args) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        int code;
        try {
            String[] argv = Stream.concat(Stream.of("run-all"), Stream.of(args)).toArray(String[]::new);
            code = Main.run(argv, new PrintStream(stderr, true, StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code, stderr.toString(StandardCharsets.UTF_8));
        String[] lines = stdout.toString(StandardCharsets.UTF_8).strip().split("\n");
        return lines[lines.length - 1].strip();
    }
}
