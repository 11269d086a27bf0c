package dev.steering.experiment;

import dev.steering.model.Precision;
import java.util.ArrayList;
import java.util.List;

/**
 * The quantization study's configuration ({@code study: quantization}): per model and precision, the DIM direction at
 * the model's layer and the steering test at one multiplier. Read from YAML like {@link FamilySweepConfig}. See
 * {@code docs/family-sweep.md}.
 *
 * @param study       always {@code quantization}
 * @param models      the models, one at a time
 * @param precisions  load precisions ({@link Precision} names); the first is the reference the cosines are taken to
 * @param extractFrom {@code self}: each precision's own direction; {@code reference}: the direction of the first
 *                    precision steers every precision (the plan's fallback when hooks fail on quantized modules)
 * @param steering    multiplier and where the direction is added
 * @param prompts     extraction and test prompt sets ({@code cosmic_n} and {@code cosmic_val_n} are not used)
 * @param generation  sampling settings
 * @param experiment  output location
 */
public record QuantizationConfig(String study, List<QuantModel> models, List<String> precisions, String extractFrom,
                                 Steering steering, FamilySweepConfig.SweepPrompts prompts,
                                 ExperimentConfig.Generation generation, FamilySweepConfig.Output experiment) {

    /** The {@link YamlConfig#STUDY} value of this config. */
    public static final String STUDY = "quantization";

    /**
     * @param name     alias, repository id, directory or {@code bundled:NAME}
     * @param family   the model family (null: the name)
     * @param chat     prompt through the model's chat template
     * @param layerPct the depth fraction of the direction and the steering; layer = {@code int(pct · n_layers)}
     */
    public record QuantModel(String name, String family, boolean chat, double layerPct) {
    }

    /**
     * @param multiplier multiplier of the raw direction
     * @param steerRange {@code to_end} or {@code single}
     * @param hookPoint  {@code resid_pre} or {@code resid_post}
     */
    public record Steering(double multiplier, String steerRange, String hookPoint) {
    }

    /** The precisions in config order. */
    public List<Precision> precisionList() {
        List<Precision> out = new ArrayList<>();
        for (String p : precisions) {
            out.add(Precision.parse(p));
        }
        return out;
    }

    /**
     * Binds and validates a config read with {@link YamlConfig#read}, applying overrides.
     *
     * @throws IllegalArgumentException naming the file and key on any problem
     */
    public static QuantizationConfig load(YamlConfig.Source source, List<String> overrides) {
        QuantizationConfig c = YamlConfig.bind(source, overrides, QuantizationConfig.class);
        c.validate(source.origin());
        return c;
    }

    private void validate(String origin) {
        YamlConfig.check(STUDY.equals(study), origin, "study", "must be " + STUDY);
        FamilySweepConfig.validateModels(origin, models);
        for (int i = 0; i < models.size(); i++) {
            QuantModel m = models.get(i);
            FamilySweepConfig.validateModel(origin, i, m.name(), null);
            FamilySweepConfig.validatePcts(origin, "models[" + i + "].layer_pct", List.of(m.layerPct()));
        }
        YamlConfig.check(models.stream().map(QuantModel::name).distinct().count() == models.size(), origin, "models",
                "lists a model twice");
        YamlConfig.check(precisions != null && !precisions.isEmpty(), origin, "precisions", "must list at least one");
        List<Precision> ps = List.of();
        try {
            ps = precisionList();
        } catch (IllegalArgumentException e) {
            YamlConfig.check(false, origin, "precisions", e.getMessage());
        }
        YamlConfig.check(ps.stream().distinct().count() == ps.size(), origin, "precisions", "has a repeat");
        YamlConfig.check(List.of("self", "reference").contains(extractFrom), origin, "extract_from",
                "must be self or reference");
        YamlConfig.check(Double.isFinite(steering.multiplier()), origin, "steering.multiplier", "must be a number");
        FamilySweepConfig.validateSteering(origin, "steering", steering.steerRange(), steering.hookPoint());
        FamilySweepConfig.validatePrompts(origin, prompts);
        FamilySweepConfig.validateGeneration(origin, generation);
        YamlConfig.check(experiment.outputDir() != null && !experiment.outputDir().isBlank(), origin,
                "experiment.output_dir", "must be set");
    }

    /** The config as YAML (saved in each run directory). */
    public String toYaml() {
        return YamlConfig.toYaml(this);
    }
}
