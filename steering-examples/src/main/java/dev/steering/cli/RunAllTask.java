package dev.steering.cli;

import dev.steering.Progress;
import dev.steering.experiment.Condition;
import dev.steering.experiment.ExperimentConfig;
import dev.steering.experiment.FamilySweepConfig;
import dev.steering.experiment.FamilySweepStudy;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.QuantizationConfig;
import dev.steering.experiment.QuantizationStudy;
import dev.steering.experiment.RefusalStudy;
import dev.steering.experiment.StudyTask;
import dev.steering.experiment.ToxicityConfig;
import dev.steering.experiment.ToxicityStudy;
import dev.steering.experiment.YamlConfig;
import dev.steering.metrics.toxicity.ToxicityMetric;
import dev.steering.model.LanguageModel;
import dev.steering.model.Precision;
import java.io.Serial;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * How an executor rebuilds a {@code run-all} study: the effective config (YAML), the prompts and the run directory.
 * The model and classifier are loaded by name where the task opens (bundled names resolve from the jar, hub names
 * from the executor's Hugging Face cache, local directories must be visible to every executor).
 *
 * @param study     {@code refusal}, {@code toxicity}, {@code family_sweep} or {@code quantization}
 * @param config    the effective config as YAML ({@code config.yaml} of the run)
 * @param prompts   split or subset name → prompts (the sweeps': {@link #HARMFUL}, {@link #HARMLESS}, {@link #TEST})
 * @param runDir    the run directory, as the executors see it
 * @param model     a sweep's model (its index in {@code models:}), else -1
 * @param precision the quantization study's precision of that model, else null
 */
record RunAllTask(String study, String config, Map<String, List<Prompt>> prompts, String runDir, int model,
                  String precision) implements StudyTask {
    @Serial
    private static final long serialVersionUID = 1L;
    /** The sweeps' prompt sets. */
    static final String HARMFUL = "harmful";
    static final String HARMLESS = "harmless";
    static final String TEST = "test";

    RunAllTask {
        Map<String, List<Prompt>> copy = new LinkedHashMap<>();
        prompts.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        prompts = copy;
    }

    /** The task of a one-model study ({@code refusal}, {@code toxicity}). */
    RunAllTask(String study, String config, Map<String, List<Prompt>> prompts, String runDir) {
        this(study, config, prompts, runDir, -1, null);
    }

    /** A sweep's conditions share the session of their task: one model (at one precision). */
    @Override
    public String group(Condition c) {
        return model < 0 ? "model" : "model " + model + (precision == null ? "" : " at " + precision);
    }

    /** Loads the model as {@code run-all} does (on an executor too: the same ND4J build choice as the driver's). */
    @Override
    public Session open() {
        Main.preferOneDnn();
        String origin = "config.yaml of " + runDir;
        Path dir = Path.of(runDir);
        if (ToxicityConfig.STUDY.equals(study)) {
            ToxicityConfig cfg = ToxicityConfig.load(YamlConfig.parse(config, origin), List.of());
            ToxicityMetric metric = new ToxicityMetric(Models.classifier(cfg.classifier().name()),
                    cfg.classifier().batchSize());
            LanguageModel lm = Models.language(cfg.model().name(), cfg.model().precision());
            ToxicityStudy s = new ToxicityStudy(cfg, lm, metric, prompts, dir, Progress.logging());
            return session(s::runCondition, lm, metric);
        }
        if (FamilySweepConfig.STUDY.equals(study)) {
            FamilySweepConfig cfg = FamilySweepConfig.load(YamlConfig.parse(config, origin), List.of());
            return new FamilySweepStudy(cfg, prompts.get(HARMFUL), prompts.get(HARMLESS), prompts.get(TEST), dir,
                    Models::language, Progress.logging()).open(model);
        }
        if (QuantizationConfig.STUDY.equals(study)) {
            QuantizationConfig cfg = QuantizationConfig.load(YamlConfig.parse(config, origin), List.of());
            return new QuantizationStudy(cfg, prompts.get(HARMFUL), prompts.get(HARMLESS), prompts.get(TEST), dir,
                    Models::language, Progress.logging()).open(model, Precision.parse(precision));
        }
        ExperimentConfig cfg = ExperimentConfig.load(YamlConfig.parse(config, origin), List.of());
        LanguageModel lm = Models.language(cfg.model().name(), cfg.model().precision());
        RefusalStudy s = new RefusalStudy(cfg, lm, prompts, dir, Progress.logging());
        return session(s::runCondition, lm, null);
    }

    private static Session session(Function<Condition, List<Map<String, Object>>> run, LanguageModel model,
                                   ToxicityMetric metric) {
        return new Session() {
            @Override
            public List<Map<String, Object>> run(Condition c) {
                return run.apply(c);
            }

            @Override
            public void close() {
                try (model) {
                    if (metric != null) {
                        metric.close();
                    }
                }
            }
        };
    }
}
