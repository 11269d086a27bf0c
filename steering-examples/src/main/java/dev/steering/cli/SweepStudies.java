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
        FamilySweepConfig.SweepPrompts p = cfg.prompts();
        FamilySweepStudy study;
        try {
            study = new FamilySweepStudy(cfg, load(p.harmfulPath(), "harm_train", "harmful_path", runDir),
                    load(p.harmlessPath(), "benign", "harmless_path", runDir),
                    load(p.testPath(), "benign", "test_path", runDir), runDir, Models::language, ConsoleProgress.create());
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        List<Map<String, Object>> rows = run(study::run);
        SweepReport.write(runDir, rows);
    }

    /** The quantization study: the run directory is printed last. */
    static int quantization(QuantizationConfig cfg, boolean fresh) throws Exception {
        return RunAllCommand.inRunDir(cfg.experiment().outputDir(), "quantization", YamlConfig.identity(cfg), fresh,
                runDir -> quantization(cfg, runDir));
    }

    private static void quantization(QuantizationConfig cfg, Path runDir) throws Exception {
        FamilySweepConfig.SweepPrompts p = cfg.prompts();
        QuantizationStudy study;
        try {
            study = new QuantizationStudy(cfg, load(p.harmfulPath(), "harm_train", "harmful_path", runDir),
                    load(p.harmlessPath(), "benign", "harmless_path", runDir),
                    load(p.testPath(), "benign", "test_path", runDir), runDir, Models::language, ConsoleProgress.create());
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        List<Map<String, Object>> rows = run(study::run);
        QuantizationReport.write(runDir, rows);
    }

    /** A study's rows; a precision the core cannot load yet (or any bad input) becomes a one-line error. */
    private static List<Map<String, Object>> run(java.util.function.Supplier<List<Map<String, Object>>> study) {
        try {
            return study.get();
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
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
