package dev.steering.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.steering.Progress;
import dev.steering.SteeredModel;
import dev.steering.direction.ContrastivePrefix;
import dev.steering.direction.DirectionResult;
import dev.steering.direction.Directions;
import dev.steering.direction.MeanDifference;
import dev.steering.direction.SteeringVector;
import dev.steering.direction.SteeringVectorFile;
import dev.steering.generate.Completion;
import dev.steering.generate.GenerationConfig;
import dev.steering.generate.TokenizedPrompt;
import dev.steering.hooks.Ablate;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.Intervention;
import dev.steering.hooks.LayerSpec;
import dev.steering.hooks.Positions;
import dev.steering.metrics.CompletionScorer;
import dev.steering.model.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The refusal-steering study: does a direction learned on one family of harmful prompts steer another family, and
 * what does it break on benign prompts?
 * <ol>
 *   <li>baseline completions on every split;</li>
 *   <li>for each layer, the contrastive direction from {@code harm_train}, then every intervention × α on all three
 *       splits (α = 0 is the baseline and runs once);</li>
 *   <li>sanity checks: template robustness (alternative prefixes: a new direction, its cosine to the original and
 *       one α rerun) and seed robustness (a subset rerun with another seed); the confound check is computed from
 *       the rows by the report.</li>
 * </ol>
 * Every finished condition is stored at once ({@link ResultStore}), so running the same study again resumes.
 */
public final class RefusalStudy {
    private static final Logger LOG = LoggerFactory.getLogger(RefusalStudy.class);

    private final ExperimentConfig cfg;
    private final LanguageModel model;
    private final Map<String, List<TokenizedPrompt>> splits;
    private final Path runDir;
    private final Progress progress;
    private final CompletionScorer scorer = CompletionScorer.defaults();
    private final ResultStore store;
    private final List<Integer> layers;
    private ConditionRunner runner = ConditionRunner.inProcess();

    /**
     * @param cfg     the configuration
     * @param model   the loaded model (its layers must cover the config's)
     * @param prompts split name → prompts ({@link ResultColumns#SPLITS}), already limited to the configured size
     * @param runDir  the run directory
     * @param progress where long loops report
     */
    public RefusalStudy(ExperimentConfig cfg, LanguageModel model, Map<String, List<Prompt>> prompts, Path runDir,
                        Progress progress) {
        this.cfg = cfg;
        this.model = model;
        this.runDir = runDir;
        this.progress = progress;
        this.layers = LayerSpec.parse(cfg.experiment().layers().toArray(String[]::new))
                .resolve(model.config().numLayers());
        this.splits = new LinkedHashMap<>();
        for (String split : ResultColumns.SPLITS) {
            List<Prompt> ps = prompts.get(split);
            if (ps == null || ps.isEmpty()) {
                throw new IllegalArgumentException("split " + split + " has no prompts");
            }
            this.splits.put(split, ps.stream().map(p -> new TokenizedPrompt(p.id(), p.prompt(),
                    model.encodePrompt(p.prompt(), cfg.model().chat()))).toList());
        }
        this.store = new ResultStore(runDir);
    }

    /**
     * Sets the engine that runs the conditions (default {@link ConditionRunner#inProcess()}); the rows are the same
     * with any of them.
     *
     * @return this study
     */
    public RefusalStudy runner(ConditionRunner runner) {
        this.runner = runner;
        return this;
    }

    /** The layer indices the config resolves to on this model. */
    public List<Integer> layers() {
        return layers;
    }

    /** The conditions, in order: baseline, grid, checks. */
    public List<Condition> plan() {
        List<Condition> out = new ArrayList<>();
        long seed = cfg.generation().seed();
        out.add(Condition.baseline(0, seed));
        for (int layer : layers) {
            for (String iv : cfg.experiment().interventions()) {
                for (double a : cfg.experiment().alphas()) {
                    if (a != 0) {
                        out.add(new Condition(out.size(), layer, iv, a, null, seed, 0));
                    }
                }
            }
        }
        if (cfg.sanityChecks().enabled()) {
            double top = cfg.experiment().alphas().stream().mapToDouble(Double::doubleValue).max().orElse(0);
            int n = cfg.sanityChecks().rerunSubsetN();
            long alt = cfg.sanityChecks().altSeed();
            out.add(new Condition(out.size(), null, "none", 0, "seed", alt, n));
            for (int layer : layers) {
                if (top != 0) {
                    out.add(new Condition(out.size(), layer, "add", top, "template", seed, n));
                    out.add(new Condition(out.size(), layer, "add", top, "seed", alt, n));
                }
            }
        }
        return out;
    }

    /**
     * Runs every condition not finished yet, then writes {@code results.parquet}.
     *
     * @return all rows of the study
     */
    public List<Map<String, Object>> run() {
        StudyRunner.writeAtomically(runDir.resolve("config.yaml"), cfg.toYaml());
        List<Condition> plan = plan();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", model.id());
        meta.put("config", cfg.toYaml());
        // every direction the unfinished conditions use is built here once, beside the results, before they run
        StudyRunner.Execution exec = new StudyRunner.Execution(runner, c -> 0, todo -> todo.stream()
                .filter(c -> !c.isBaseline()).forEach(c -> direction(c.layer(), "template".equals(c.check()))));
        List<Map<String, Object>> rows = StudyRunner.runPlan(plan, store, progress, this::runCondition, meta, exec);
        writeTemplateCheck();
        return rows;
    }

    /** The rows of one condition of {@link #plan()} (not stored: the {@link ConditionRunner} stores them). */
    public List<Map<String, Object>> runCondition(Condition c) {
        List<Edit> edits = c.isBaseline() ? List.of()
                : List.of(new Edit(hook(c.layer()), intervention(c), direction(c.layer(), "template".equals(c.check())),
                Positions.all()));
        SteeredModel m = new SteeredModel(model, edits);
        GenerationConfig gen = StudyRunner.generation(cfg.generation(), c.seed());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (var e : splits.entrySet()) {
            List<TokenizedPrompt> ps = c.subset() > 0 ? e.getValue().subList(0, Math.min(c.subset(), e.getValue().size()))
                    : e.getValue();
            List<Completion> out;
            out = StudyRunner.generate(m, ps, gen, progress, c.key() + " " + e.getKey());
            for (Completion comp : out) {
                rows.add(row(c, e.getKey(), comp));
            }
        }
        return rows;
    }

    private Map<String, Object> row(Condition c, String split, Completion comp) {
        Map<String, Object> f = scorer.score(comp.text(), comp.logprobs(), comp.entropies()).toFields();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put(ResultColumns.PROMPT_ID, comp.promptId());
        r.put(ResultColumns.SPLIT, split);
        r.put(ResultColumns.LAYER, c.layer());
        r.put(ResultColumns.INTERVENTION, c.intervention());
        r.put(ResultColumns.ALPHA, c.alpha());
        r.put(ResultColumns.SAMPLE, 0);
        r.put(ResultColumns.PROMPT, comp.prompt());
        r.put(ResultColumns.COMPLETION, comp.text());
        r.put(ResultColumns.N_TOKENS, comp.length());
        for (String k : List.of(ResultColumns.REFUSAL_SCORE, ResultColumns.IS_REFUSAL, ResultColumns.COHERENT_REFUSAL,
                ResultColumns.HELPFULNESS_SCORE, ResultColumns.IS_HELPFUL, ResultColumns.QUALITY,
                ResultColumns.N_WORDS, ResultColumns.DISTINCT_2)) {
            r.put(k, f.get(k));
        }
        r.put(ResultColumns.MEAN_ENTROPY, StudyRunner.finiteOrNull(comp.meanEntropy()));
        r.put(ResultColumns.MEAN_LOGPROB, StudyRunner.finiteOrNull(comp.meanLogprob()));
        r.put(ResultColumns.SEED, c.seed());
        r.put(ResultColumns.CHECK, c.check());
        r.put(ResultColumns.REFUSAL_MATCHES, json(f.get(ResultColumns.REFUSAL_MATCHES)));
        return r;
    }

    private HookPoint hook(int layer) {
        return new HookPoint(layer, HookPoint.Kind.parse(cfg.direction().hookPoint()));
    }

    private static Intervention intervention(Condition c) {
        return "add".equals(c.intervention()) ? Add.alpha(c.alpha()) : Ablate.alpha(c.alpha());
    }

    /** The layer's direction from {@code harm_train} (the main or the alternative prefixes), cached in the run dir. */
    SteeringVector direction(int layer, boolean alternative) {
        Path dir = runDir.resolve("directions").resolve((alternative ? "alt_" : "") + "layer_" + layer);
        Path file = dir.resolve("v.safetensors");
        if (Files.exists(file)) {
            return SteeringVector.load(file);
        }
        ExperimentConfig.Direction d = cfg.direction();
        String ref = alternative ? cfg.sanityChecks().altPrefixes().refusalPrefix() : d.refusalPrefix();
        String comp = alternative ? cfg.sanityChecks().altPrefixes().compliancePrefix() : d.compliancePrefix();
        ContrastivePrefix method = ContrastivePrefix.defaults()
                .prompts(splits.get("harm_train").stream().map(TokenizedPrompt::text).toList())
                .prefixes(ref, comp)
                .position(ContrastivePrefix.Position.parse(d.tokenPosition()))
                .chat(cfg.model().chat())
                .batchSize(cfg.generation().batchSize());
        DirectionResult r = method.build(model, hook(layer));
        SteeringVectorFile.saveWithStats(r, dir, d.normalize());
        return SteeringVector.load(file);
    }

    private void writeTemplateCheck() {
        if (!cfg.sanityChecks().enabled()) {
            return;
        }
        Map<String, Object> cos = new LinkedHashMap<>();
        Map<String, SteeringVector> all = new LinkedHashMap<>();
        for (int layer : layers) {
            cos.put("layer_" + layer, MeanDifference.cosine(direction(layer, false).raw(), direction(layer, true).raw()));
            all.put("layer_" + layer, direction(layer, false));
            all.put("alt_layer_" + layer, direction(layer, true));
        }
        Directions.CosineTable table = Directions.cosines(all);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("alt_prefixes", cfg.sanityChecks().altPrefixes());
        out.put("cosine_to_original", cos);
        out.put("cosine_table", Map.of("names", table.names(), "cosines", table.cosines()));
        try {
            StudyRunner.writeAtomically(runDir.resolve("sanity_template.json"),
                    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String json(Object o) {
        try {
            return new ObjectMapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
