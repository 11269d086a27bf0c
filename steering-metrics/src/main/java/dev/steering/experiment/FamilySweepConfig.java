package dev.steering.experiment;

import dev.steering.model.Precision;
import java.util.List;

/**
 * The cross-family layer study's configuration ({@code study: family_sweep}), read from YAML like
 * {@link ExperimentConfig}: snake_case keys, {@code --set section.key=value} overrides, and an unknown key, a wrong type
 * or an impossible value is an error naming it. See {@code docs/family-sweep.md}.
 *
 * @param study      always {@code family_sweep}
 * @param models     the models, studied one at a time in this order
 * @param steering   methods, multipliers and where the direction is added
 * @param prompts    extraction and test prompt sets
 * @param generation sampling settings ({@code max_new_tokens}, temperature, top-p, seed, batch size)
 * @param phases     the quick layer validation and the follow-up rule for "Partial" results
 * @param experiment output location
 */
public record FamilySweepConfig(String study, List<SweepModel> models, Steering steering, SweepPrompts prompts,
                                ExperimentConfig.Generation generation, Phases phases, Output experiment) {

    /** The {@link YamlConfig#STUDY} value of this config. */
    public static final String STUDY = "family_sweep";
    /** Direction methods a config may name. */
    public static final List<String> METHODS = List.of("dim", "cosmic");

    /**
     * One model of the sweep.
     *
     * @param name            alias, repository id, directory or {@code bundled:NAME}
     * @param family          the model family (the cross-model figure draws one line per family); null: the name
     * @param dtype           the load precision ({@link Precision}: float32, bfloat16, float16, int8, int4)
     * @param chat            prompt through the model's chat template
     * @param layerPcts       depth fractions in [0, 1); layer = {@code int(pct · n_layers)}
     * @param layerValidation run the quick DIM layer validation for this model; null: {@code phases.layer_validation}
     */
    public record SweepModel(String name, String family, String dtype, boolean chat, List<Double> layerPcts,
                             Boolean layerValidation) {
        /** The family, or the name when none is given. */
        public String familyOrName() {
            return family == null || family.isBlank() ? name : family;
        }

        /** The precision {@link #dtype} names (float32 when unset). */
        public Precision precision() {
            return dtype == null ? Precision.FLOAT32 : Precision.parse(dtype);
        }
    }

    /**
     * @param methods     {@code dim} and/or {@code cosmic}
     * @param multipliers multipliers of the raw direction ({@code x += m·r}, the step is {@code m·‖r‖} long)
     * @param steerRange  {@code to_end}: added at the layer and every later one; {@code single}: at the layer only
     * @param hookPoint   {@code resid_pre} (Arditi's block input) or {@code resid_post}
     */
    public record Steering(List<String> methods, List<Double> multipliers, String steerRange, String hookPoint) {
    }

    /**
     * @param harmfulPath  harmful prompts (JSONL/CSV), or {@code <bundled>} (the bundled {@code harm_train})
     * @param harmlessPath harmless prompts, or {@code <bundled>} (the bundled {@code benign})
     * @param testPath     benign test prompts, or {@code <bundled>} (the bundled {@code benign}); prompts used for
     *                     extraction are skipped
     * @param dimN         harmful and harmless prompts of each DIM direction (the plan: 5 + 5)
     * @param cosmicN      harmful and harmless prompts of COSMIC's candidates (the plan: 50 + 50)
     * @param cosmicValN   harmful and harmless validation prompts of COSMIC's selection (the ones after the first
     *                     {@code cosmic_n})
     * @param testN        benign test prompts (the plan: 10)
     * @param testRepeats  samples per test prompt (the plan: 5)
     */
    public record SweepPrompts(String harmfulPath, String harmlessPath, String testPath, int dimN, int cosmicN,
                               int cosmicValN, int testN, int testRepeats) {
        /** Harmful or harmless prompts needed from the start of each file. */
        int extractionPrompts(boolean cosmic) {
            return cosmic ? Math.max(dimN, cosmicN + cosmicValN) : dimN;
        }
    }

    /**
     * @param layerValidation     quick DIM-only run over each model's {@code layer_pcts}; its best layer is the only
     *                            one of the full run (DIM and COSMIC)
     * @param validationRepeats   samples per test prompt in the quick validation
     * @param followUp            the "Partial" follow-up: a method whose verdict is Partial is rerun at
     *                            {@code follow_up_pcts} and its best layer with {@code follow_up_multipliers}
     * @param followUpPcts        the finer layers (the plan: 0.3 and 0.7)
     * @param followUpMultipliers the multipliers (the plan: 10, 20, 25)
     */
    public record Phases(boolean layerValidation, int validationRepeats, boolean followUp, List<Double> followUpPcts,
                         List<Double> followUpMultipliers) {
    }

    /** @param outputDir where run directories are created */
    public record Output(String outputDir) {
    }

    /**
     * Binds and validates a config read with {@link YamlConfig#read}, applying overrides.
     *
     * @throws IllegalArgumentException naming the file and key on any problem
     */
    public static FamilySweepConfig load(YamlConfig.Source source, List<String> overrides) {
        FamilySweepConfig c = YamlConfig.bind(source, overrides, FamilySweepConfig.class);
        c.validate(source.origin());
        return c;
    }

    private void validate(String origin) {
        YamlConfig.check(STUDY.equals(study), origin, "study", "must be " + STUDY);
        validateModels(origin, models);
        for (int i = 0; i < models.size(); i++) {
            SweepModel m = models.get(i);
            validateModel(origin, i, m.name(), m.dtype());
            validatePcts(origin, "models[" + i + "].layer_pcts", m.layerPcts());
        }
        YamlConfig.check(models.stream().map(m -> m.name() + "@" + m.precision()).distinct().count() == models.size(),
                origin, "models", "lists a model twice at the same dtype");
        YamlConfig.check(steering.methods() != null && !steering.methods().isEmpty()
                && METHODS.containsAll(steering.methods()), origin, "steering.methods", "must list dim and/or cosmic");
        validateNumbers(origin, "steering.multipliers", steering.multipliers());
        validateSteering(origin, "steering", steering.steerRange(), steering.hookPoint());
        validatePrompts(origin, prompts);
        YamlConfig.check(prompts.cosmicN() > 0, origin, "prompts.cosmic_n", "must be positive");
        YamlConfig.check(prompts.cosmicValN() > 0, origin, "prompts.cosmic_val_n", "must be positive");
        validateGeneration(origin, generation);
        YamlConfig.check(phases.validationRepeats() > 0, origin, "phases.validation_repeats", "must be positive");
        validatePcts(origin, "phases.follow_up_pcts", phases.followUpPcts());
        validateNumbers(origin, "phases.follow_up_multipliers", phases.followUpMultipliers());
        YamlConfig.check(experiment.outputDir() != null && !experiment.outputDir().isBlank(), origin,
                "experiment.output_dir", "must be set");
    }

    static void validateModels(String origin, List<?> models) {
        YamlConfig.check(models != null && !models.isEmpty(), origin, "models", "must list at least one model");
    }

    static void validateModel(String origin, int i, String name, String dtype) {
        YamlConfig.check(name != null && !name.isBlank(), origin, "models[" + i + "].name", "must be set");
        try {
            if (dtype != null) {
                Precision.parse(dtype);
            }
        } catch (IllegalArgumentException e) {
            YamlConfig.check(false, origin, "models[" + i + "].dtype", e.getMessage());
        }
    }

    static void validatePcts(String origin, String key, List<Double> pcts) {
        YamlConfig.check(pcts != null && !pcts.isEmpty() && pcts.stream().allMatch(p -> p != null && p >= 0 && p < 1),
                origin, key, "must be a non-empty list of depth fractions in [0, 1), e.g. [0.5, 0.6]");
    }

    static void validateNumbers(String origin, String key, List<Double> xs) {
        YamlConfig.check(xs != null && !xs.isEmpty() && xs.stream().allMatch(a -> a != null && Double.isFinite(a)),
                origin, key, "must be a non-empty list of numbers");
    }

    static void validateSteering(String origin, String section, String steerRange, String hookPoint) {
        YamlConfig.check(List.of("to_end", "single").contains(steerRange), origin, section + ".steer_range",
                "must be to_end or single");
        YamlConfig.check(List.of("resid_pre", "resid_post").contains(hookPoint), origin, section + ".hook_point",
                "must be resid_pre or resid_post");
    }

    static void validatePrompts(String origin, SweepPrompts p) {
        YamlConfig.check(p.dimN() > 0, origin, "prompts.dim_n", "must be positive");
        YamlConfig.check(p.testN() > 0, origin, "prompts.test_n", "must be positive");
        YamlConfig.check(p.testRepeats() > 0, origin, "prompts.test_repeats", "must be positive");
    }

    static void validateGeneration(String origin, ExperimentConfig.Generation g) {
        YamlConfig.check(g.maxNewTokens() > 0, origin, "generation.max_new_tokens", "must be positive");
        YamlConfig.check(g.temperature() >= 0, origin, "generation.temperature", "must be ≥ 0");
        YamlConfig.check(g.topP() > 0 && g.topP() <= 1, origin, "generation.top_p", "must be in (0, 1]");
        YamlConfig.check(g.batchSize() > 0, origin, "generation.batch_size", "must be positive");
    }

    /** The config as YAML (saved in each run directory). */
    public String toYaml() {
        return YamlConfig.toYaml(this);
    }
}
