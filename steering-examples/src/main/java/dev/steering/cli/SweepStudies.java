package dev.steering.cli;

import dev.steering.experiment.ConditionRunner;
import dev.steering.experiment.ExperimentConfig;
import dev.steering.experiment.FamilySweepConfig;
import dev.steering.experiment.FamilySweepStudy;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.PromptSet;
import dev.steering.experiment.QuantizationConfig;
import dev.steering.experiment.QuantizationStudy;
import dev.steering.experiment.YamlConfig;
import dev.steering.report.QuantizationReport;
import dev.steering.report.SweepReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code run-all} with a {@code study: family_sweep} or {@code study: quantization} config: the cross-family layer
 * study ({@link FamilySweepStudy}) or the quantization study ({@link QuantizationStudy}), in this process or as a Spark
 * job (docs/distributed.md), then their reports (docs/family-sweep.md). Models are loaded by
 * {@link Models#language(String, dev.steering.model.LoadOptions)}.
 */
final class SweepStudies {
    private SweepStudies() {
    }

    /** The family sweep: the run directory is printed last. */
    static int familySweep(FamilySweepConfig cfg, boolean fresh, String sparkMaster) throws Exception {
        return RunAllCommand.inRunDir(cfg.experiment().outputDir(), "family-sweep", YamlConfig.identity(cfg), fresh,
                runDir -> run(cfg.prompts(), runDir, sparkMaster, (prompts, runner) -> new FamilySweepStudy(cfg,
                        prompts.get(RunAllTask.HARMFUL), prompts.get(RunAllTask.HARMLESS), prompts.get(RunAllTask.TEST),
                        runDir, Models::language, ConsoleProgress.create())
                        .runner(runner, i -> new RunAllTask(FamilySweepConfig.STUDY, cfg.toYaml(), prompts,
                                runDir.toString(), i, null)).run(),
                        rows -> SweepReport.write(runDir, rows)));
    }

    /** The quantization study: the run directory is printed last. */
    static int quantization(QuantizationConfig cfg, boolean fresh, String sparkMaster) throws Exception {
        return RunAllCommand.inRunDir(cfg.experiment().outputDir(), "quantization", YamlConfig.identity(cfg), fresh,
                runDir -> run(cfg.prompts(), runDir, sparkMaster, (prompts, runner) -> new QuantizationStudy(cfg,
                        prompts.get(RunAllTask.HARMFUL), prompts.get(RunAllTask.HARMLESS), prompts.get(RunAllTask.TEST),
                        runDir, Models::language, ConsoleProgress.create())
                        .runner(runner, (i, p) -> new RunAllTask(QuantizationConfig.STUDY, cfg.toYaml(), prompts,
                                runDir.toString(), i, p.configName())).run(),
                        rows -> QuantizationReport.write(runDir, rows)));
    }

    /** A sweep study over its three prompt sets ({@link RunAllTask#HARMFUL} ...) on an engine, to its rows. */
    @FunctionalInterface
    private interface Sweep {
        List<Map<String, Object>> run(Map<String, List<Prompt>> prompts, ConditionRunner runner);
    }

    /** What is written from a study's rows. */
    @FunctionalInterface
    private interface Report {
        void write(List<Map<String, Object>> rows) throws Exception;
    }

    /**
     * Builds the study over the config's prompt sets and runs it on its engine (here, or Spark: docs/distributed.md),
     * then its report; a bad config value or a precision the core cannot load (any {@link IllegalArgumentException})
     * becomes a one-line error.
     */
    private static void run(FamilySweepConfig.SweepPrompts p, Path runDir, String sparkMaster, Sweep sweep,
                            Report report) throws Exception {
        Map<String, List<Prompt>> prompts = new LinkedHashMap<>();
        prompts.put(RunAllTask.HARMFUL, load(p.harmfulPath(), "harm_train", "harmful_path", runDir));
        prompts.put(RunAllTask.HARMLESS, load(p.harmlessPath(), "benign", "harmless_path", runDir));
        prompts.put(RunAllTask.TEST, load(p.testPath(), "benign", "test_path", runDir));
        List<Map<String, Object>> rows;
        try (ConditionRunner runner = RunAllCommand.runner(sparkMaster, null)) {
            rows = sweep.run(prompts, runner);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        report.write(rows);
    }

    /** A prompt file, or with {@code <bundled>} the bundled split copied into the run directory. */
    private static List<Prompt> load(String path, String bundledSplit, String key, Path runDir) throws Exception {
        Path file = path == null || path.equals(ExperimentConfig.BUNDLED)
                ? Bundled.prompts(bundledSplit, runDir.resolve("prompts").resolve(bundledSplit + ".jsonl"))
                : Path.of(path);
        if (!Files.isRegularFile(file)) {
            throw new CliException("prompts." + key + ": no such file: " + file);
        }
        try {
            return PromptSet.load(file).prompts();
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }
}
