package dev.steering.experiment;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.steering.model.Precision;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * The refusal study's configuration, read from YAML into typed records. Keys are snake_case as in the bundled
 * {@code configs/*.yaml}; an unknown key, a wrong type or an impossible value is an error naming it.
 *
 * @param model        which model
 * @param data         prompt files
 * @param generation   sampling settings
 * @param direction    how the direction is built
 * @param experiment   the sweep grid and output location
 * @param sanityChecks the robustness checks
 * @param metrics      settings of the metrics that depend on the study (stub length, refusal tokens)
 * @param operatingPoint the automatic operating-point search under a side-effect budget
 */
public record ExperimentConfig(Model model, Data data, Generation generation, Direction direction,
                               Experiment experiment, @JsonProperty("sanity_checks") SanityChecks sanityChecks,
                               Metrics metrics, @JsonProperty("operating_point") OperatingPoint operatingPoint) {

    /** Stands for the prompt files bundled with the examples. */
    public static final String BUNDLED = "<bundled>";

    /**
     * @param name   alias, repo id or directory
     * @param device {@code cpu} or {@code cuda}: must match the JVM's ND4J backend (chosen at build time, see docs)
     * @param dtype  the weight precision: {@code float32} (default), {@code bfloat16}, {@code float16}, {@code int8},
     *               {@code int4} or {@code auto} (see {@link Precision})
     * @param chat   prompt through the model's chat template (instruction-tuned models)
     */
    public record Model(String name, String device, String dtype, boolean chat) {
        /**
         * The precision {@code dtype} names, float32 when absent.
         *
         * @throws IllegalArgumentException naming the accepted values
         */
        public Precision precision() {
            return dtype == null ? Precision.FLOAT32 : Precision.parse(dtype);
        }

        /** Checks {@code dtype} (as {@code model.dtype} of {@code origin}). */
        void checkDtype(String origin) {
            try {
                precision();
            } catch (IllegalArgumentException e) {
                YamlConfig.check(false, origin, "model.dtype", e.getMessage());
            }
        }
    }

    /**
     * @param harmTrainPath     harmful prompts the direction is built from, or {@code <bundled>}
     * @param harmTestPath      harmful prompts of another family and style, or {@code <bundled>}
     * @param benignPath        benign prompts (side effects), or {@code <bundled>}
     * @param maxPromptsPerSplit at most this many prompts of each split are used
     */
    public record Data(String harmTrainPath, String harmTestPath, String benignPath, int maxPromptsPerSplit) {
    }

    /**
     * @param maxNewTokens tokens generated per prompt
     * @param temperature  0 = greedy
     * @param topP         nucleus mass
     * @param seed         run seed (each prompt's sampler is seeded from it and the prompt id)
     * @param batchSize    prompts per forward batch
     */
    public record Generation(int maxNewTokens, double temperature, double topP, long seed, int batchSize) {
    }

    /**
     * @param method           {@code contrastive_prefix}
     * @param refusalPrefix    forced refusal prefix
     * @param compliancePrefix forced compliance prefix
     * @param hookPoint        {@code resid_post} or {@code resid_pre}
     * @param tokenPosition    {@code prefix_last} or {@code prefix_mean}
     * @param normalize        store directions unit-norm (α then applies to the unit vector either way)
     */
    public record Direction(String method, String refusalPrefix, String compliancePrefix, String hookPoint,
                            String tokenPosition, boolean normalize) {
    }

    /**
     * @param layers        layer indices or depth percentages ({@code "60%"})
     * @param interventions {@code add} and/or {@code ablate}
     * @param alphas        strengths per intervention (α = 0 is the baseline and runs once)
     * @param outputDir     where run directories are created
     */
    public record Experiment(List<String> layers, List<String> interventions, Alphas alphas, String outputDir) {
    }

    /**
     * The strengths of each intervention. In YAML either a mapping {@code {add: [0, 8, 16], ablate: [0, 0.5, 1]}} or
     * a plain list, which is the {@code add} grid (ablate then keeps {@link #DEFAULT_ABLATE}): {@code Ablate.alpha(1)}
     * already removes the projection fully, so α &gt; 1 for ablate (over-subtraction) runs only when written under
     * {@code ablate:}.
     *
     * @param byIntervention intervention name → strengths
     */
    public record Alphas(Map<String, List<Double>> byIntervention) {
        /** The ablate grid when none is given: none, a quarter, half, three quarters and all of the projection. */
        public static final List<Double> DEFAULT_ABLATE = List.of(0.0, 0.25, 0.5, 0.75, 1.0);

        public Alphas {
            Map<String, List<Double>> m = new java.util.LinkedHashMap<>();
            byIntervention.forEach((k, v) -> m.put(k, v == null ? null : java.util.Collections.unmodifiableList(
                    new java.util.ArrayList<>(v))));
            byIntervention = java.util.Collections.unmodifiableMap(m);
        }

        /** Reads the YAML value: a mapping per intervention, or a list (the add grid). */
        @com.fasterxml.jackson.annotation.JsonCreator(mode = com.fasterxml.jackson.annotation.JsonCreator.Mode.DELEGATING)
        static Alphas fromYaml(JsonNode node) {
            Map<String, List<Double>> m = new java.util.LinkedHashMap<>();
            if (node.isArray() || node.isNumber()) {
                m.put("add", numbers(node, "experiment.alphas"));
            } else if (node.isObject()) {
                for (var it = node.fields(); it.hasNext(); ) {
                    var e = it.next();
                    m.put(e.getKey(), numbers(e.getValue(), "experiment.alphas." + e.getKey()));
                }
            } else {
                throw new IllegalArgumentException("experiment.alphas must be a mapping {add: [...], ablate: [...]} or "
                        + "a list, got " + node);
            }
            return new Alphas(m);
        }

        private static List<Double> numbers(JsonNode node, String key) {
            List<Double> out = new java.util.ArrayList<>();
            for (JsonNode x : node.isArray() ? node : List.of(node)) {
                if (!x.isNumber()) {
                    throw new IllegalArgumentException(key + " must be a list of numbers, got '" + x.asText() + "'");
                }
                out.add(x.doubleValue());
            }
            return out;
        }

        /** The YAML form: a mapping per intervention. */
        @com.fasterxml.jackson.annotation.JsonValue
        Map<String, List<Double>> toYaml() {
            return byIntervention;
        }

        /** The strengths of {@code intervention}: as given, else {@link #DEFAULT_ABLATE} for ablate, else none. */
        public List<Double> of(String intervention) {
            List<Double> a = byIntervention.get(intervention);
            return a != null ? a : "ablate".equals(intervention) ? DEFAULT_ABLATE : List.of();
        }

        /** True for an ablate strength beyond the full projection (α &gt; 1), named over-subtraction in reports. */
        public static boolean isOverSubtraction(String intervention, double alpha) {
            return "ablate".equals(intervention) && alpha > 1;
        }
    }

    /**
     * @param stubShare     a completion with no content and fewer than this share of {@code max_new_tokens} tokens is
     *                      degenerate (a stub)
     * @param refusalTokens strings whose first token begins a refusal: the model-based refusal score is the log-odds
     *                      of their probability mass at the first generated position (strings the tokenizer maps to
     *                      its unknown token are skipped)
     */
    public record Metrics(double stubShare, List<String> refusalTokens) {
    }

    /**
     * @param enabled               run the search
     * @param maxKlFirstToken       budget: mean {@code kl_first_token} on the benign validation prompts
     * @param maxHelpfulnessDrop    budget: drop of the benign helpful rate against the baseline (0.1 = 10 points)
     * @param benignValidationShare share of the benign prompts searched on (the rest is the held-out benign test)
     * @param minPrompts            prompts per split of the first successive-halving rung
     * @param eta                   successive halving keeps the best 1/eta of the candidates per rung and multiplies
     *                              the prompts by eta
     */
    public record OperatingPoint(boolean enabled, double maxKlFirstToken, double maxHelpfulnessDrop,
                                 double benignValidationShare, int minPrompts, int eta) {
    }

    /**
     * @param enabled      run the checks
     * @param altPrefixes  other prefixes for the template-robustness check
     * @param rerunSubsetN prompts per split rerun in the checks
     * @param altSeed      seed of the seed-robustness rerun
     */
    public record SanityChecks(boolean enabled, AltPrefixes altPrefixes, int rerunSubsetN, long altSeed) {
    }

    /**
     * @param refusalPrefix    alternative refusal prefix
     * @param compliancePrefix alternative compliance prefix
     */
    public record AltPrefixes(String refusalPrefix, String compliancePrefix) {
    }

    /**
     * Loads a config: {@code nameOrPath} is a YAML file, or the name of a bundled config found by
     * {@code bundled} ({@code default}, {@code smoke}, {@code pythia-160m}, ...). Overrides are
     * {@code section.key=value} (the value is YAML: {@code 3}, {@code [4, 8]}, {@code "60%"}).
     *
     * @throws IllegalArgumentException naming the file and key on any problem
     */
    public static ExperimentConfig load(String nameOrPath, List<String> overrides, BundledConfigs bundled) {
        return load(YamlConfig.read(nameOrPath, bundled), overrides);
    }

    /**
     * Binds and validates an already read config ({@link YamlConfig#read}) with overrides.
     *
     * @throws IllegalArgumentException naming the file and key on any problem
     */
    public static ExperimentConfig load(YamlConfig.Source source, List<String> overrides) {
        ExperimentConfig c = YamlConfig.bind(source, overrides, ExperimentConfig.class);
        c.validate(source.origin());
        return c;
    }

    /** Binds a parsed tree, turning Jackson's errors into messages that name the key. */
    static ExperimentConfig bind(JsonNode tree, String origin) {
        ExperimentConfig c = YamlConfig.bind(tree, origin, ExperimentConfig.class);
        c.validate(origin);
        return c;
    }

    private void validate(String origin) {
        check(model != null && model.name() != null && !model.name().isBlank(), origin, "model.name", "must be set");
        check(model.device() == null || model.device().equals("cpu") || model.device().equals("cuda"), origin,
                "model.device", "must be cpu or cuda");
        if (model.device() != null) {
            try {
                dev.steering.model.Device.parse(model.device()).check();
            } catch (IllegalArgumentException e) {
                check(false, origin, "model.device", e.getMessage());
            }
        }
        model.checkDtype(origin);
        check(data.maxPromptsPerSplit() > 0, origin, "data.max_prompts_per_split", "must be positive");
        check(generation.maxNewTokens() > 0, origin, "generation.max_new_tokens", "must be positive");
        check(generation.temperature() >= 0, origin, "generation.temperature", "must be ≥ 0");
        check(generation.topP() > 0 && generation.topP() <= 1, origin, "generation.top_p", "must be in (0, 1]");
        check(generation.batchSize() > 0, origin, "generation.batch_size", "must be positive");
        check("contrastive_prefix".equals(direction.method()), origin, "direction.method",
                "must be contrastive_prefix (other methods are available from the API)");
        check(List.of("resid_post", "resid_pre").contains(direction.hookPoint()), origin, "direction.hook_point",
                "must be resid_post or resid_pre");
        check(List.of("prefix_last", "prefix_mean").contains(direction.tokenPosition()), origin,
                "direction.token_position", "must be prefix_last or prefix_mean (last_prompt_token cannot see the "
                        + "prefixes: the difference there is exactly zero)");
        check(experiment.layers() != null && !experiment.layers().isEmpty(), origin, "experiment.layers",
                "must list at least one layer");
        check(experiment.interventions() != null && !experiment.interventions().isEmpty()
                        && List.of("add", "ablate").containsAll(experiment.interventions()), origin,
                "experiment.interventions", "must be a non-empty list of add / ablate");
        check(experiment.alphas() != null, origin, "experiment.alphas", "must be set");
        for (String iv : experiment.alphas().byIntervention().keySet()) {
            check(List.of("add", "ablate").contains(iv), origin, "experiment.alphas." + iv,
                    "is not an intervention (expected add or ablate)");
        }
        for (String iv : experiment.interventions()) {
            List<Double> a = experiment.alphas().of(iv);
            check(a != null && !a.isEmpty() && a.stream().allMatch(x -> x != null && Double.isFinite(x)), origin,
                    "experiment.alphas." + iv, "must be a non-empty list of numbers");
            check(!"ablate".equals(iv) || a.stream().allMatch(x -> x >= 0), origin, "experiment.alphas.ablate",
                    "must be ≥ 0 (1 removes the projection fully; > 1 over-subtracts)");
        }
        check(experiment.outputDir() != null && !experiment.outputDir().isBlank(), origin, "experiment.output_dir",
                "must be set");
        check(sanityChecks.rerunSubsetN() > 0, origin, "sanity_checks.rerun_subset_n", "must be positive");
        check(metrics != null, origin, "metrics", "section must be set ({stub_share: 0.5, refusal_tokens: [I]})");
        check(metrics.stubShare() > 0 && metrics.stubShare() <= 1, origin, "metrics.stub_share", "must be in (0, 1]");
        check(metrics.refusalTokens() != null && !metrics.refusalTokens().isEmpty(), origin, "metrics.refusal_tokens",
                "must list at least one string");
        check(operatingPoint != null, origin, "operating_point", "section must be set");
        check(operatingPoint.maxKlFirstToken() >= 0, origin, "operating_point.max_kl_first_token", "must be ≥ 0");
        check(operatingPoint.maxHelpfulnessDrop() >= 0 && operatingPoint.maxHelpfulnessDrop() <= 1, origin,
                "operating_point.max_helpfulness_drop", "must be in [0, 1]");
        check(operatingPoint.benignValidationShare() > 0 && operatingPoint.benignValidationShare() < 1, origin,
                "operating_point.benign_validation_share", "must be in (0, 1)");
        check(operatingPoint.minPrompts() > 0, origin, "operating_point.min_prompts", "must be positive");
        check(operatingPoint.eta() >= 2, origin, "operating_point.eta", "must be ≥ 2");
    }

    private static void check(boolean ok, String origin, String key, String what) {
        YamlConfig.check(ok, origin, key, what);
    }

    /** The config as YAML (saved in each run directory). */
    public String toYaml() {
        return YamlConfig.toYaml(this);
    }

    /** A canonical map of everything that changes the results (for the run id); the output directory excluded. */
    public Map<String, Object> identity() {
        return YamlConfig.identity(this);
    }

    /** Finds bundled configs by name. */
    public interface BundledConfigs {
        /** The YAML of config {@code name}, or null. */
        InputStream open(String name) throws IOException;

        /** Names of the bundled configs. */
        List<String> names();

        /** Configs bundled as classpath resources {@code configs/<name>.yaml}. */
        static BundledConfigs classpath(List<String> names) {
            return new BundledConfigs() {
                @Override
                public InputStream open(String name) {
                    return ExperimentConfig.class.getResourceAsStream("/configs/" + name + ".yaml");
                }

                @Override
                public List<String> names() {
                    return names;
                }
            };
        }
    }
}
