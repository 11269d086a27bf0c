package dev.steering.experiment;

import dev.steering.hooks.LayerSpec;
import java.util.List;

/**
 * The toxicity study's configuration ({@code study: toxicity}), read from YAML like {@link ExperimentConfig}: keys are
 * snake_case, {@code --set section.key=value} overrides, and an unknown key, a wrong type or an impossible value is an
 * error naming it.
 *
 * @param study      always {@code toxicity} (tells {@code run-all} which study a config is for)
 * @param model      the steered language model
 * @param classifier the toxicity classifier
 * @param data       the RealToxicityPrompts subsets
 * @param generation sampling settings
 * @param caa        how the CAA vectors are built
 * @param experiment the sweep grid and output location
 */
public record ToxicityConfig(String study, ExperimentConfig.Model model, Classifier classifier, Data data,
                             ExperimentConfig.Generation generation, Caa caa, Experiment experiment) {

    /** The {@link YamlConfig#STUDY} value of this config. */
    public static final String STUDY = "toxicity";
    /** {@code experiment.layers} value standing for every layer of the model. */
    public static final String ALL_LAYERS = "all";

    /**
     * @param name      a RoBERTa classifier: alias, repository id or directory (it must ship a tokenizer)
     * @param batchSize texts per classifier forward pass
     */
    public record Classifier(String name, int batchSize) {
    }

    /**
     * @param rtpPath              a RealToxicityPrompts JSONL file, or {@code <bundled>} for the synthetic sample
     * @param challengingN         prompts of the challenging subset
     * @param benignN              prompts of the benign subset
     * @param challengingThreshold minimum prompt toxicity of the challenging subset
     * @param benignThreshold      maximum prompt toxicity of the benign subset
     * @param seed                 seed of the subset sampling
     */
    public record Data(String rtpPath, int challengingN, int benignN, double challengingThreshold,
                       double benignThreshold, long seed) {
    }

    /**
     * @param pairs           contrastive pairs (most toxic with least toxic baseline completion of the challenging
     *                        subset)
     * @param poolLastTokens  activations are mean-pooled over this many last tokens of each prompt + completion
     */
    public record Caa(int pairs, int poolLastTokens) {
    }

    /**
     * @param layers    {@code all}, or layer indices, depth percentages and ranges ({@link LayerSpec})
     * @param alphas    multipliers of the raw CAA vector (α = 0 is the baseline and runs once)
     * @param outputDir where run directories are created
     */
    public record Experiment(List<String> layers, List<Double> alphas, String outputDir) {
        /** The layers this config names on a model with {@code numLayers} blocks. */
        public List<Integer> resolveLayers(int numLayers) {
            return (layers.equals(List.of(ALL_LAYERS)) ? LayerSpec.range(0, LayerSpec.END)
                    : LayerSpec.parse(layers.toArray(String[]::new))).resolve(numLayers);
        }
    }

    /**
     * Binds and validates a config read with {@link YamlConfig#read}, applying overrides.
     *
     * @throws IllegalArgumentException naming the file and key on any problem
     */
    public static ToxicityConfig load(YamlConfig.Source source, List<String> overrides) {
        ToxicityConfig c = YamlConfig.bind(source, overrides, ToxicityConfig.class);
        c.validate(source.origin());
        return c;
    }

    private void validate(String origin) {
        YamlConfig.check(STUDY.equals(study), origin, "study", "must be " + STUDY);
        YamlConfig.check(model != null && model.name() != null && !model.name().isBlank(), origin, "model.name",
                "must be set");
        model.checkDtype(origin);
        YamlConfig.check(classifier != null && classifier.name() != null && !classifier.name().isBlank(), origin,
                "classifier.name", "must be set");
        YamlConfig.check(classifier.batchSize() > 0, origin, "classifier.batch_size", "must be positive");
        YamlConfig.check(data.rtpPath() != null && !data.rtpPath().isBlank(), origin, "data.rtp_path",
                "must be set (a file or " + ExperimentConfig.BUNDLED + ")");
        YamlConfig.check(data.challengingN() > 0, origin, "data.challenging_n", "must be positive");
        YamlConfig.check(data.benignN() > 0, origin, "data.benign_n", "must be positive");
        YamlConfig.check(generation.maxNewTokens() > 0, origin, "generation.max_new_tokens", "must be positive");
        YamlConfig.check(generation.temperature() >= 0, origin, "generation.temperature", "must be ≥ 0");
        YamlConfig.check(generation.topP() > 0 && generation.topP() <= 1, origin, "generation.top_p",
                "must be in (0, 1]");
        YamlConfig.check(generation.batchSize() > 0, origin, "generation.batch_size", "must be positive");
        YamlConfig.check(caa.pairs() > 0, origin, "caa.pairs", "must be positive");
        YamlConfig.check(caa.poolLastTokens() > 0, origin, "caa.pool_last_tokens", "must be positive");
        YamlConfig.check(experiment.layers() != null && !experiment.layers().isEmpty(), origin, "experiment.layers",
                "must be 'all' or list at least one layer");
        YamlConfig.check(experiment.alphas() != null && !experiment.alphas().isEmpty()
                        && experiment.alphas().stream().allMatch(a -> a != null && Double.isFinite(a)), origin,
                "experiment.alphas", "must be a non-empty list of numbers");
        YamlConfig.check(experiment.outputDir() != null && !experiment.outputDir().isBlank(), origin,
                "experiment.output_dir", "must be set");
    }

    /** The config as YAML (saved in each run directory). */
    public String toYaml() {
        return YamlConfig.toYaml(this);
    }
}
