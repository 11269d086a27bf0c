package dev.steering.cli;

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
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code run-all} with a {@code study: family_sweep} or {@code study: quantization} config: the cross-family layer
 * study ({@link FamilySweepStudy}) or the quantization study ({@link QuantizationStudy}), then their reports
 * (docs/family-sweep.md). Models are loaded by {@link Models#language(String, dev.steering.model.LoadOptions)}.
 */
final class SweepStudies {
    private SweepStudies() {
    }

    /** The family sweep: the run directory is printed last. */
    static int familySweep(FamilySweepConfig cfg, boolean fresh) throws Exception {
        return RunAllCommand.inRunDir(cfg.experiment().outputDir(), "family-sweep", YamlConfig.identity(cfg), fresh,
                runDir -> familySweep(cfg, runDir));
    }

    private static void familySweep(FamilySweepConfig cfg, Path runDir) throws Exception {
        run(cfg.prompts(), runDir, (harmful, harmless, test) -> new FamilySweepStudy(cfg, harmful, harmless, test,
                runDir, Models::language, ConsoleProgress.create())::run, rows -> SweepReport.write(runDir, rows));
    }

    /** The quantization study: the run directory is printed last. */
    static int quantization(QuantizationConfig cfg, boolean fresh) throws Exception {
        return RunAllCommand.inRunDir(cfg.experiment().outputDir(), "quantization", YamlConfig.identity(cfg), fresh,
                runDir -> quantization(cfg, runDir));
    }

    private static void quantization(QuantizationConfig cfg, Path runDir) throws Exception {
        run(cfg.prompts(), runDir, (harmful, harmless, test) -> new QuantizationStudy(cfg, harmful, harmless, test,
                runDir, Models::language, ConsoleProgress.create())::run, rows -> QuantizationReport.write(runDir, rows));
    }

    /** A sweep study over its three prompt sets, from the constructor's arguments to its rows. */
    @FunctionalInterface
    private interface Sweep {
        Supplier<List<Map<String, Object>>> create(List<Prompt> harmful, List<Prompt> harmless, List<Prompt> test);
    }

    /** What is written from a study's rows. */
    @FunctionalInterface
    private interface Report {
        void write(List<Map<String, Object>> rows) throws Exception;
    }

    /**
     * Builds the study over the config's prompt sets and runs it, then its report; a bad config value or a precision
     * the core cannot load (any {@link IllegalArgumentException}) becomes a one-line error.
     */
    private static void run(FamilySweepConfig.SweepPrompts p, Path runDir, Sweep sweep, Report report)
            throws Exception {
        List<Map<String, Object>> rows;
        try {
            rows = sweep.create(load(p.harmfulPath(), "harm_train", "harmful_path", runDir),
                    load(p.harmlessPath(), "benign", "harmless_path", runDir),
                    load(p.testPath(), "benign", "test_path", runDir)).get();
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
