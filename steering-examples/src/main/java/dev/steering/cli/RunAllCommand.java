package dev.steering.cli;

import dev.steering.experiment.ConditionRunner;
import dev.steering.experiment.ExperimentConfig;
import dev.steering.experiment.InputFormatException;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.PromptSet;
import dev.steering.experiment.RefusalStudy;
import dev.steering.experiment.RealToxicityPrompts;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code run-all}: the whole refusal study in one command (baseline, sweep, sanity checks, results.parquet,
 * summary.csv, figures, reports/examples.md), or with a {@code study: toxicity} config the CAA toxicity study
 * ({@link ToxicityStudy}, docs/toxicity.md). The run id is derived from the config, so the same command resumes
 * an interrupted run; {@code --fresh} starts over.
 */
public final class RunAllCommand implements FlagCommand {
    @Override
    public String name() {
        return "run-all";
    }

    @Override
    public Set<String> flags() {
        return Set.of("fresh");
    }

    @Override
    public String usage() {
        return "usage: steering run-all [--config NAME|FILE] [--set section.key=value ...] [--output DIR] [--fresh]"
                + " [--spark-master MASTER]\n"
                + "  --config   a YAML file or a bundled config: " + Bundled.CONFIGS + " (default: default)\n"
                + "  --set      override one key, e.g. --set model.name=pythia-160m --set experiment.output_dir=/tmp/runs\n"
                + "  --output   the directory of run directories (same as --set experiment.output_dir=DIR)\n"
                + "  --fresh    discard an earlier run with the same config instead of resuming it\n"
                + "  --spark-master  run the conditions as an Apache Spark job, e.g. local[2] (needs the steering-spark\n"
                + "             jar; under spark-submit its --master is used without this option; docs/distributed.md)\n"
                + "A config with 'study: toxicity' (e.g. --config toxicity) runs the CAA toxicity study (docs/toxicity.md).\n"
                + "Writes artifacts/runs/<run_id>/ (see docs/pipeline-outputs.md) and prints its path.";
    }

    @Override
    public int run(Args args) throws Exception {
        String configName = args.get("config", "default");
        List<String> overrides = new ArrayList<>(args.getAll("set"));
        String output = args.get("output", null);
        if (output != null) {
            overrides.add("experiment.output_dir=" + output);
        }
        boolean fresh = args.flag("fresh");
        String sparkMaster = args.get("spark-master", null);
        args.finish();
        YamlConfig.Source source;
        ExperimentConfig cfg;
        try {
            source = YamlConfig.read(configName, ExperimentConfig.BundledConfigs.classpath(Bundled.CONFIGS));
            if (ToxicityConfig.STUDY.equals(source.study())) {
                return runToxicity(ToxicityConfig.load(source, overrides), fresh, sparkMaster);
            }
            cfg = ExperimentConfig.load(source, overrides);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        Path runDir = prepare(cfg.experiment().outputDir(), cfg.model().name(), cfg.identity(), fresh);
        try (LanguageModel model = Bundled.model(cfg.model().name())) {
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
        System.out.println(runDir);
        return 0;
    }

    /** The toxicity study ({@code study: toxicity}): {@link ToxicityStudy}, then {@link ToxicityReport}. */
    private static int runToxicity(ToxicityConfig cfg, boolean fresh, String sparkMaster) throws Exception {
        Path runDir = prepare(cfg.experiment().outputDir(), cfg.model().name(), YamlConfig.identity(cfg), fresh);
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
        RobertaClassifier classifier = Bundled.classifier(cfg.classifier().name());
        if (classifier.tokenizer().isEmpty()) {
            classifier.close();
            throw new CliException("classifier.name " + cfg.classifier().name() + " has no tokenizer (tokenizer.json, "
                    + "or vocab.json and merges.txt)");
        }
        try (ToxicityMetric metric = new ToxicityMetric(classifier, cfg.classifier().batchSize());
             LanguageModel model = Bundled.model(cfg.model().name())) {
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
        System.out.println(runDir);
        return 0;
    }

    /**
     * The engine: in this process, or a Spark job when a master is given or spark-submit started this process
     * (docs/distributed.md).
     */
    private static ConditionRunner runner(String sparkMaster, StudyTask task) {
        if (sparkMaster == null && !ConditionRunner.launchedOnCluster()) {
            return ConditionRunner.inProcess();
        }
        try {
            return ConditionRunner.distributed(sparkMaster, task);
        } catch (IllegalStateException e) {
            throw new CliException("--spark-master: " + e.getMessage());
        }
    }

    /** The run directory {@code outputDir/<run id>}, emptied first with {@code fresh}, created if needed. */
    private static Path prepare(String outputDir, String modelName, Map<String, Object> identity, boolean fresh)
            throws Exception {
        if (outputDir.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            throw new CliException("experiment.output_dir: " + outputDir + " is a URI; give a directory path that "
                    + "every Spark executor sees (a shared mount: docs/distributed.md, Shared storage)");
        }
        Path runDir = Path.of(outputDir).resolve(runId(modelName, identity));
        if (fresh) {
            deleteRecursively(runDir);
        }
        Files.createDirectories(runDir);
        return runDir;
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
