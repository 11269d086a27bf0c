package dev.steering.cli;

import dev.steering.experiment.ExperimentConfig;
import dev.steering.experiment.FamilySweepConfig;
import dev.steering.experiment.QuantizationConfig;
import dev.steering.experiment.InputFormatException;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.PromptSet;
import dev.steering.experiment.RefusalStudy;
import dev.steering.experiment.RealToxicityPrompts;
import dev.steering.experiment.ResultColumns;
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
        return "usage: steering run-all [--config NAME|FILE] [--set section.key=value ...] [--fresh]\n"
                + "  --config   a YAML file or a bundled config: " + Bundled.CONFIGS + " (default: default)\n"
                + "  --set      override one key, e.g. --set model.name=pythia-160m --set experiment.output_dir=/tmp/runs\n"
                + "  --fresh    discard an earlier run with the same config instead of resuming it\n"
                + "A config with 'study: toxicity' (e.g. --config toxicity) runs the CAA toxicity study (docs/toxicity.md);\n"
                + "'study: family_sweep' (--config family-sweep) and 'study: quantization' (--config quantization) the\n"
                + "cross-family layer and quantization studies (docs/family-sweep.md).\n"
                + "Writes artifacts/runs/<run_id>/ (see docs/pipeline-outputs.md) and prints its path.";
    }

    @Override
    public int run(Args args) throws Exception {
        String configName = args.get("config", "default");
        List<String> overrides = args.getAll("set");
        boolean fresh = args.flag("fresh");
        args.finish();
        YamlConfig.Source source;
        ExperimentConfig cfg;
        try {
            source = YamlConfig.read(configName, ExperimentConfig.BundledConfigs.classpath(Bundled.CONFIGS));
            if (ToxicityConfig.STUDY.equals(source.study())) {
                return runToxicity(ToxicityConfig.load(source, overrides), fresh);
            }
            if (FamilySweepConfig.STUDY.equals(source.study())) {
                return SweepStudies.familySweep(FamilySweepConfig.load(source, overrides), fresh);
            }
            if (QuantizationConfig.STUDY.equals(source.study())) {
                return SweepStudies.quantization(QuantizationConfig.load(source, overrides), fresh);
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
            List<Map<String, Object>> rows = study.run();
            StudyReport.write(runDir, rows);
        }
        System.out.println(runDir);
        return 0;
    }

    /** The toxicity study ({@code study: toxicity}): {@link ToxicityStudy}, then {@link ToxicityReport}. */
    private static int runToxicity(ToxicityConfig cfg, boolean fresh) throws Exception {
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
            ToxicityReport.write(runDir, study.run());
        }
        System.out.println(runDir);
        return 0;
    }

    /** The run directory {@code outputDir/<run id>}, emptied first with {@code fresh}, created if needed. */
    static Path prepare(String outputDir, String modelName, Map<String, Object> identity, boolean fresh)
            throws Exception {
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
