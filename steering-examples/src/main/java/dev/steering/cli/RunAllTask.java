package dev.steering.cli;

import dev.steering.Progress;
import dev.steering.experiment.Condition;
import dev.steering.experiment.ExperimentConfig;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.RefusalStudy;
import dev.steering.experiment.StudyTask;
import dev.steering.experiment.ToxicityConfig;
import dev.steering.experiment.ToxicityStudy;
import dev.steering.experiment.YamlConfig;
import dev.steering.metrics.toxicity.ToxicityMetric;
import dev.steering.model.LanguageModel;
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
 * @param study   {@code refusal} or {@code toxicity}
 * @param config  the effective config as YAML ({@code config.yaml} of the run)
 * @param prompts split or subset name → prompts
 * @param runDir  the run directory, as the executors see it
 */
record RunAllTask(String study, String config, Map<String, List<Prompt>> prompts, String runDir) implements StudyTask {
    @Serial
    private static final long serialVersionUID = 1L;

    RunAllTask {
        Map<String, List<Prompt>> copy = new LinkedHashMap<>();
        prompts.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        prompts = copy;
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
            LanguageModel model = Models.language(cfg.model().name(), cfg.model().precision());
            ToxicityStudy s = new ToxicityStudy(cfg, model, metric, prompts, dir, Progress.logging());
            return session(s::runCondition, model, metric);
        }
        ExperimentConfig cfg = ExperimentConfig.load(YamlConfig.parse(config, origin), List.of());
        LanguageModel model = Models.language(cfg.model().name(), cfg.model().precision());
        RefusalStudy s = new RefusalStudy(cfg, model, prompts, dir, Progress.logging());
        return session(s::runCondition, model, null);
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
