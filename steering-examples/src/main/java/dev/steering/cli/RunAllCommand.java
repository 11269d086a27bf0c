package dev.steering.cli;

import dev.steering.experiment.ConditionRunner;
import dev.steering.experiment.ExperimentConfig;
import dev.steering.experiment.FamilySweepConfig;
import dev.steering.experiment.QuantizationConfig;
import dev.steering.experiment.InputFormatException;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.PromptSet;
import dev.steering.experiment.RefusalStudy;
import dev.steering.experiment.RealToxicityPrompts;
import dev.steering.experiment.SharedRun;
import dev.steering.experiment.SharedRuns;
import dev.steering.experiment.ResultColumns;
import dev.steering.experiment.StudyTask;
import dev.steering.experiment.ToxicityColumns;
import dev.steering.experiment.ToxicityConfig;
import dev.steering.experiment.ToxicityStudy;
import dev.steering.experiment.YamlConfig;
import dev.steering.metrics.toxicity.RobertaClassifier;
import dev.steering.metrics.toxicity.ToxicityMetric;
import dev.steering.model.LanguageModel;
import dev.steering.report.StudyReport;
import dev.steering.report.ToxicityReport;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;
import java.util.stream.Stream;

/**
 * {@code run-all}: the whole refusal study in one command (baseline, sweep, sanity checks, results.parquet,
 * summary.csv, figures, reports/examples.md), or with a {@code study: toxicity} config the CAA toxicity study
 * ({@link ToxicityStudy}, docs/toxicity.md). The run id is derived from the config, so the same command resumes
 * an interrupted run; {@code --fresh} starts over.
 */
@picocli.CommandLine.Command(name = "run-all", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs the whole refusal study (or, with a 'study: toxicity' config, the CAA toxicity study).",
        footer = {"A config with 'study: toxicity' (e.g. --config toxicity) runs the CAA toxicity study "
                + "(docs/toxicity.md); 'study: family_sweep' (--config family-sweep) and 'study: quantization' "
                + "(--config quantization) the cross-family layer and quantization studies (docs/family-sweep.md).",
                "Writes artifacts/runs/<run_id>/ (see docs/pipeline-outputs.md) and prints its path."})
public final class RunAllCommand implements Command {
    private static final Pattern URI_SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://.*");

    @Option(names = "--config", defaultValue = "default", paramLabel = "NAME|FILE",
            description = "a YAML file or a bundled config: default, smoke, pythia-160m, toxicity, family-sweep, "
                    + "family-sweep-real, quantization, quantization-real (default: ${DEFAULT-VALUE})")
    String configName;

    @Option(names = "--set", paramLabel = "section.key=value",
            description = "override one key, e.g. --set model.name=pythia-160m --set "
                    + "experiment.output_dir=/tmp/runs (repeatable)")
    List<String> overrides = new java.util.ArrayList<>();

    @Option(names = "--output", paramLabel = "DIR|URI",
            description = "the directory of run directories: a path, file:///path, or hdfs://... or s3a://... "
                    + "(those need the Hadoop client: spark-submit with steering-spark.jar; docs/distributed.md) "
                    + "(same as --set experiment.output_dir=DIR)")
    String output;

    @Option(names = "--fresh", description = "discard an earlier run with the same config instead of resuming it")
    boolean fresh;

    @Option(names = "--spark-master", paramLabel = "MASTER",
            description = "run the conditions as an Apache Spark job, e.g. local[2] (needs the steering-spark jar; "
                    + "under spark-submit its --master is used without this option; docs/distributed.md)")
    String sparkMaster;

    @Override
    public Integer call() throws Exception {
        if (output != null) {
            overrides.add("experiment.output_dir=" + output);
        }
        YamlConfig.Source source;
        ExperimentConfig cfg;
        try {
            source = YamlConfig.read(configName, ExperimentConfig.BundledConfigs.classpath(Bundled.CONFIGS));
            if (ToxicityConfig.STUDY.equals(source.study())) {
                return runToxicity(ToxicityConfig.load(source, overrides), fresh, sparkMaster);
            }
            if (FamilySweepConfig.STUDY.equals(source.study())) {
                return SweepStudies.familySweep(FamilySweepConfig.load(source, overrides), fresh, sparkMaster);
            }
            if (QuantizationConfig.STUDY.equals(source.study())) {
                return SweepStudies.quantization(QuantizationConfig.load(source, overrides), fresh, sparkMaster);
            }
            cfg = ExperimentConfig.load(source, overrides);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        return inRunDir(cfg.experiment().outputDir(), cfg.model().name(), cfg.identity(), fresh, runDir -> {
            try (LanguageModel model = Models.language(cfg.model().name(), cfg.model().precision())) {
                Map<String, List<Prompt>> prompts = loadPrompts(cfg, runDir);
                RefusalStudy study;
                try {
                    study = new RefusalStudy(cfg, model, prompts, runDir, ConsoleProgress.create());
                } catch (IllegalArgumentException e) {
                    throw new CliException(e.getMessage());
                }
                List<Map<String, Object>> rows;
                try (ConditionRunner runner = runner(sparkMaster,
                        new RunAllTask("refusal", cfg.toYaml(), prompts, runDir.toString()))) {
                    rows = study.runner(runner).run();
                }
                StudyReport.write(runDir, rows);
            }
        });
    }

    /** The work of one study in its run directory. */
    @FunctionalInterface
    interface Study {
        void run(Path runDir) throws Exception;
    }

    /**
     * Runs {@code study} in the run directory {@code outputDir/<run id>} (emptied first with {@code fresh}, created if
     * needed) and prints the directory. If the study fails before any condition finished, a directory this call
     * created is removed again, so a failed run leaves no empty run behind; finished conditions are kept for
     * resuming. An {@code hdfs://}, {@code s3a://} (or other non-file) URI runs in a local working copy of a
     * {@link SharedRun} instead ({@link #inSharedRunDir}).
     */
    static int inRunDir(String outputDir, String modelName, Map<String, Object> identity, boolean fresh, Study study)
            throws Exception {
        if (isSharedStorage(outputDir)) {
            return inSharedRunDir(outputDir, runId(modelName, identity), fresh, study);
        }
        Path runDir = outputPath(outputDir).resolve(runId(modelName, identity));
        if (fresh) {
            deleteRecursively(runDir);
        }
        boolean created = !Files.exists(runDir);
        try {
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new CliException("experiment.output_dir " + outputDir + ": cannot create the run directory "
                    + runDir + ": " + IoErrors.reason(e));
        }
        try {
            study.run(runDir);
        } catch (Exception | Error e) {
            if (created && !hasFinishedConditions(runDir)) {
                try {
                    deleteRecursively(runDir);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
        System.out.println(runDir);
        return 0;
    }

    /**
     * Runs {@code study} on shared storage ({@code hdfs://...}, {@code s3a://...}): the run directory
     * {@code outputDir/<run id>} there is pulled into a local working copy (a temporary directory, deleted at the
     * end), the study runs in that copy and publishes each finished condition's part at once (its
     * {@link dev.steering.experiment.ResultStore}; a Spark job's executors theirs), and the rest (config, prompts,
     * directions, results, reports, figures) is pushed when the study finished. Prints the URI of the run directory.
     * Needs the Hadoop client on the class path (spark-submit with steering-spark.jar, docs/distributed.md).
     */
    private static int inSharedRunDir(String outputDir, String runId, boolean fresh, Study study) throws Exception {
        String uri = outputDir.replaceFirst("/+$", "") + "/" + runId;
        Path work = Files.createTempDirectory("steering-run-");
        try {
            SharedRun shared;
            try {
                shared = SharedRuns.open(uri, work.resolve(runId));
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new CliException("experiment.output_dir " + outputDir + ": " + e.getMessage());
            }
            boolean created;
            try {
                if (fresh) {
                    shared.delete();
                }
                created = !shared.exists();
                Files.createDirectories(shared.local());
                shared.pull();
            } catch (IOException | RuntimeException e) {
                throw new CliException("experiment.output_dir " + outputDir + ": cannot read " + uri + ": "
                        + storageError(e));
            }
            SharedRuns.attach(shared);
            try {
                study.run(shared.local());
                try {
                    shared.push(true);
                } catch (IOException e) {
                    throw new IOException("cannot upload the run to " + uri + ": " + e.getMessage(), e);
                }
            } catch (Exception | Error e) {
                try {
                    shared.pull(); // the parts the executors stored before the failure
                    if (created && !hasFinishedConditions(shared.local())) {
                        shared.delete();
                    }
                } catch (IOException | RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            } finally {
                SharedRuns.detach(shared);
            }
        } finally {
            deleteRecursively(work);
        }
        System.out.println(uri);
        return 0;
    }

    /** What a storage client's exception says, in one line, with the root cause when it is more telling. */
    private static String storageError(Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (root != e && root.getMessage() != null && !msg.contains(root.getMessage())) {
            msg += " (" + root.getMessage() + ")";
        }
        if (msg.contains("No FileSystem for scheme")) {
            msg += "; the scheme's Hadoop connector must be on the class path (s3a://: hadoop-aws and the AWS SDK, "
                    + "spark-submit --packages org.apache.hadoop:hadoop-aws:3.3.4; docs/distributed.md)";
        }
        return msg.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** True for a URI of another storage than the local file system ({@code hdfs://}, {@code s3a://}). */
    static boolean isSharedStorage(String outputDir) {
        return URI_SCHEME.matcher(outputDir).matches() && !outputDir.regionMatches(true, 0, "file:", 0, 5);
    }

    /**
     * The directory of run directories on the local file system: a path, or a {@code file:} URI of one (other URIs
     * are {@link #isSharedStorage shared storage}).
     */
    static Path outputPath(String outputDir) {
        if (outputDir.regionMatches(true, 0, "file:", 0, 5)) {
            try {
                return Path.of(URI.create(outputDir));
            } catch (IllegalArgumentException e) {
                throw new CliException("experiment.output_dir: " + outputDir + " is not a file URI of a local "
                        + "directory (file:///path): " + e.getMessage());
            }
        }
        return Path.of(outputDir);
    }

    /** True once a study stored a finished condition ({@code parts/*.parquet}, at any depth) or its results. */
    private static boolean hasFinishedConditions(Path runDir) throws IOException {
        if (Files.exists(runDir.resolve(dev.steering.experiment.ResultStore.RESULTS))) {
            return true;
        }
        // a sweep's parts are in models/<nn>-<name>/parts/ and models/<nn>-<name>/<precision>/parts/
        try (Stream<Path> s = Files.find(runDir, 5, (p, attrs) -> attrs.isRegularFile()
                && p.getFileName().toString().endsWith(".parquet") && p.getParent().getFileName().toString()
                .equals("parts"))) {
            return s.findAny().isPresent();
        }
    }

    /** The toxicity study ({@code study: toxicity}): {@link ToxicityStudy}, then {@link ToxicityReport}. */
    private static int runToxicity(ToxicityConfig cfg, boolean fresh, String sparkMaster) throws Exception {
        return inRunDir(cfg.experiment().outputDir(), cfg.model().name(), YamlConfig.identity(cfg), fresh,
                runDir -> runToxicity(cfg, runDir, sparkMaster));
    }

    private static void runToxicity(ToxicityConfig cfg, Path runDir, String sparkMaster) throws Exception {
        ToxicityConfig.Data d = cfg.data();
        Path file = d.rtpPath().equals(ExperimentConfig.BUNDLED)
                ? Bundled.rtp(runDir.resolve("prompts").resolve("rtp.jsonl")) : Path.of(d.rtpPath());
        if (!Files.isRegularFile(file)) {
            throw new CliException("data.rtp_path: no such file: " + file);
        }
        RealToxicityPrompts rtp;
        try {
            rtp = RealToxicityPrompts.load(file);
        } catch (InputFormatException e) {
            throw new CliException(e.getMessage());
        }
        Map<String, List<Prompt>> prompts = new LinkedHashMap<>();
        prompts.put(ToxicityColumns.CHALLENGING, rtp.challenging(d.challengingN(), d.seed(), d.challengingThreshold())
                .stream().map(RealToxicityPrompts.Entry::toPrompt).toList());
        prompts.put(ToxicityColumns.BENIGN, rtp.benign(d.benignN(), d.seed(), d.benignThreshold())
                .stream().map(RealToxicityPrompts.Entry::toPrompt).toList());
        RobertaClassifier classifier = Models.classifier(cfg.classifier().name());
        if (classifier.tokenizer().isEmpty()) {
            classifier.close();
            throw new CliException("classifier.name " + cfg.classifier().name() + " has no tokenizer (tokenizer.json, "
                    + "or vocab.json and merges.txt)");
        }
        try (ToxicityMetric metric = new ToxicityMetric(classifier, cfg.classifier().batchSize());
             LanguageModel model = Models.language(cfg.model().name(), cfg.model().precision())) {
            ToxicityStudy study;
            try {
                study = new ToxicityStudy(cfg, model, metric, prompts, runDir, ConsoleProgress.create());
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
            try (ConditionRunner runner = runner(sparkMaster,
                    new RunAllTask(ToxicityConfig.STUDY, cfg.toYaml(), prompts, runDir.toString()))) {
                ToxicityReport.write(runDir, study.runner(runner).run());
            }
        }
    }

    /**
     * The engine: in this process, or a Spark job when a master is given or spark-submit started this process
     * (docs/distributed.md).
     */
    static ConditionRunner runner(String sparkMaster, StudyTask task) {
        if (sparkMaster == null && !ConditionRunner.launchedOnCluster()) {
            return ConditionRunner.inProcess();
        }
        try {
            return ConditionRunner.distributed(sparkMaster, task);
        } catch (IllegalStateException e) {
            throw new CliException("--spark-master: " + e.getMessage());
        }
    }

    private static Map<String, List<Prompt>> loadPrompts(ExperimentConfig cfg, Path runDir) throws IOException {
        Map<String, String> paths = Map.of("harm_train", cfg.data().harmTrainPath(),
                "harm_test", cfg.data().harmTestPath(), "benign", cfg.data().benignPath());
        Map<String, List<Prompt>> out = new LinkedHashMap<>();
        for (String split : ResultColumns.SPLITS) {
            String p = paths.get(split);
            Path file = p == null || p.equals(ExperimentConfig.BUNDLED)
                    ? Bundled.prompts(split, runDir.resolve("prompts").resolve(split + ".jsonl"))
                    : Path.of(p);
            if (!Files.isRegularFile(file)) {
                throw new CliException("data." + split + "_path: no such file: " + file);
            }
            List<Prompt> ps;
            try {
                ps = PromptSet.load(file).prompts();
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
            out.put(split, ps.subList(0, Math.min(ps.size(), cfg.data().maxPromptsPerSplit())));
        }
        return out;
    }

    /** A readable name plus a hash of everything that changes the results: {@code toy-refusal-3f2a9c1d}. */
    static String runId(String modelName, Map<String, Object> identity) throws Exception {
        String name = modelName.replaceAll(".*[:/]", "").replaceAll("[^A-Za-z0-9._-]+", "_");
        byte[] canon = new com.fasterxml.jackson.databind.ObjectMapper()
                .configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
                .writeValueAsBytes(identity);
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canon)).substring(0, 8);
        return name + "-" + hash;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
