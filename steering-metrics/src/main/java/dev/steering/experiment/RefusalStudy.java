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
import dev.steering.generate.TeacherForcing;
import dev.steering.generate.TokenizedPrompt;
import dev.steering.hooks.Ablate;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.Intervention;
import dev.steering.hooks.LayerSpec;
import dev.steering.hooks.Positions;
import dev.steering.metrics.CompletionScorer;
import dev.steering.metrics.HelpfulnessMetric;
import dev.steering.metrics.ModelRefusalScore;
import dev.steering.metrics.NextTokenShift;
import dev.steering.metrics.QualityMetric;
import dev.steering.metrics.RefusalMetric;
import dev.steering.model.BosConvention;
import dev.steering.model.LanguageModel;
import dev.steering.report.OperatingPointSearch;
import dev.steering.report.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
 *   <li>for each layer, the contrastive direction from {@code harm_train}, then every intervention × α of its grid
 *       on all three splits (α = 0 is the baseline and runs once);</li>
 *   <li>every completion also gets the KL side effect ({@link NextTokenShift}: the baseline completion of the same
 *       prompt teacher-forced with and without the edit) and the model-based refusal score
 *       ({@link ModelRefusalScore});</li>
 *   <li>the operating-point search ({@link OperatingPointSearch}) on harm_train and the benign validation part,
 *       written to {@code operating_point.json};</li>
 *   <li>sanity checks at the selected operating point (its intervention and α at every layer): template robustness
 *       (alternative prefixes: a new direction, its cosine to the original and a rerun) and seed robustness (a subset
 *       rerun with another seed); the confound check is computed from the rows by the report.</li>
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
    private final CompletionScorer scorer;
    private final ResultStore store;
    private final List<Integer> layers;
    private final TeacherForcing teacherForcing;
    private final ModelRefusalScore modelRefusal;
    /** split → prompt id → the baseline's generated tokens (the teacher-forced sequences of the KL). */
    private final Map<String, Map<String, long[]>> baselineTokens = new HashMap<>();
    /**
     * "split/prompt id" → the unsteered teacher-forced logits of the baseline completion: the same for every
     * condition, so computed once when they fit in {@link #UNSTEERED_CACHE_FLOATS} (small vocabularies), else
     * recomputed per condition.
     */
    private final Map<String, float[][]> unsteeredLogits = new HashMap<>();
    private final boolean cacheUnsteered;
    /** At most this many floats of unsteered logits are kept (256 MB). */
    static final long UNSTEERED_CACHE_FLOATS = 64L << 20;
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
                    p.encode(model, cfg.model().chat()), BosConvention.TOKENIZER)).toList());
        }
        this.store = new ResultStore(runDir);
        this.scorer = new CompletionScorer(RefusalMetric.defaults(), HelpfulnessMetric.defaults(),
                QualityMetric.withStubLimit(cfg.generation().maxNewTokens(), cfg.metrics().stubShare()));
        this.teacherForcing = TeacherForcing.of(model, cfg.generation().batchSize());
        this.modelRefusal = ModelRefusalScore.of(refusalTokens(model, cfg.metrics().refusalTokens()));
        long promptCount = this.splits.values().stream().mapToLong(List::size).sum();
        this.cacheUnsteered = promptCount * (cfg.generation().maxNewTokens() + 1L) * model.config().vocabSize()
                <= UNSTEERED_CACHE_FLOATS;
    }

    /**
     * The first token of each string that the tokenizer encodes as that word (strings whose first token decodes to
     * something else, e.g. an unknown-token marker or a word piece, are skipped).
     *
     * @throws IllegalArgumentException when no string gives a token
     */
    static long[] refusalTokens(LanguageModel model, List<String> strings) {
        var tok = model.requireTokenizer();
        List<Long> out = new ArrayList<>();
        for (String s : strings) {
            long[] ids = tok.encode(s);
            String word = s.strip().split("\\s+")[0];
            if (ids.length > 0 && tok.decode(new long[]{ids[0]}).strip().replace("\u2581", "").equals(word)) {
                out.add(ids[0]);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("metrics.refusal_tokens: none of " + strings + " is a single token of "
                    + model.id() + "'s tokenizer");
        }
        return out.stream().mapToLong(Long::longValue).distinct().toArray();
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

    /** The conditions of the main grid, in order: baseline, then per layer and intervention its α grid. */
    public List<Condition> plan() {
        List<Condition> out = new ArrayList<>();
        long seed = cfg.generation().seed();
        out.add(Condition.baseline(0, seed));
        for (int layer : layers) {
            for (String iv : cfg.experiment().interventions()) {
                for (double a : cfg.experiment().alphas().of(iv)) {
                    if (a != 0) {
                        out.add(new Condition(out.size(), layer, iv, a, null, seed, 0));
                    }
                }
            }
        }
        return out;
    }

    /**
     * The sanity-check conditions at {@code point} (an intervention and α; its layer is ignored): a seed rerun of the
     * baseline, then at every layer a template rerun and a seed rerun. Indices continue after {@code grid}.
     */
    public List<Condition> checkPlan(List<Condition> grid, Setting point) {
        List<Condition> out = new ArrayList<>(grid);
        if (!cfg.sanityChecks().enabled()) {
            return out;
        }
        int n = cfg.sanityChecks().rerunSubsetN();
        long seed = cfg.generation().seed();
        long alt = cfg.sanityChecks().altSeed();
        out.add(new Condition(out.size(), null, "none", 0, "seed", alt, n));
        if (point != null && !point.isBaseline()) {
            for (int layer : layers) {
                out.add(new Condition(out.size(), layer, point.intervention(), point.alpha(), "template", seed, n));
                out.add(new Condition(out.size(), layer, point.intervention(), point.alpha(), "seed", alt, n));
            }
        }
        return out;
    }

    /**
     * Runs the main grid, the operating-point search ({@code operating_point.json}) and the sanity checks at the
     * point it selects, every condition not finished yet, then writes {@code results.parquet}.
     *
     * @return all rows of the study
     */
    public List<Map<String, Object>> run() {
        StudyRunner.writeAtomically(runDir.resolve("config.yaml"), cfg.toYaml());
        List<Condition> grid = plan();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", model.id());
        meta.put("config", cfg.toYaml());
        // the baseline first (the steered conditions' KL is measured against its stored completions), then the rest;
        // every direction the unfinished conditions use is built here once, beside the results, before they run
        StudyRunner.Execution exec = new StudyRunner.Execution(runner, null,
                c -> c.isBaseline() && c.check() == null ? 0 : 1, todo -> todo.stream().filter(c -> !c.isBaseline())
                        .forEach(c -> direction(c.layer(), "template".equals(c.check()))));
        List<Map<String, Object>> rows = StudyRunner.runPlan(grid, store, progress, this::runCondition, meta, exec);
        Setting point = null;
        if (cfg.operatingPoint().enabled()) {
            OperatingPointSearch.Result r = search().run(rows);
            OperatingPointSearch.write(runDir.resolve(OperatingPointSearch.FILE), r);
            point = r.checkPoint();
            LOG.info("operating point {} ({} of {} generations of the full grid)", r.chosen().label(),
                    r.generationsUsed(), r.fullGridGenerations());
        }
        List<Condition> all = checkPlan(grid, point);
        if (all.size() > grid.size()) {
            rows = StudyRunner.runPlan(all, store, progress, this::runCondition, meta, exec);
        }
        writeTemplateCheck();
        return rows;
    }

    /** The operating-point search of the config (budget, benign validation part, successive halving). */
    OperatingPointSearch search() {
        ExperimentConfig.OperatingPoint op = cfg.operatingPoint();
        List<String> benign = splits.get("benign").stream().map(TokenizedPrompt::id).toList();
        return new OperatingPointSearch(new OperatingPointSearch.Budget(op.maxKlFirstToken(), op.maxHelpfulnessDrop()),
                OperatingPointSearch.validationPart(benign, op.benignValidationShare(), cfg.generation().seed()),
                op.minPrompts(), op.eta());
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
            List<Completion> out = StudyRunner.generate(m, ps, gen, progress, c.key() + " " + e.getKey());
            if (c.isBaseline() && c.check() == null) {
                Map<String, long[]> tokens = new HashMap<>();
                out.forEach(comp -> tokens.put(comp.promptId(), comp.tokens()));
                baselineTokens.put(e.getKey(), tokens);
            }
            List<Side> sides = sideEffects(edits, e.getKey(), ps);
            for (int i = 0; i < out.size(); i++) {
                rows.add(row(c, e.getKey(), out.get(i), sides.get(i)));
            }
        }
        return rows;
    }

    /** The KL side effect and model-based refusal score of one prompt under one condition's edits. */
    private record Side(NextTokenShift shift, double modelRefusal) {
    }

    /**
     * Teacher-forces each prompt's baseline completion with and without {@code edits}, a batch at a time (so only a
     * batch of logits is held).
     */
    private List<Side> sideEffects(List<Edit> edits, String split, List<TokenizedPrompt> ps) {
        Map<String, long[]> base = baselineTokens(split);
        List<Side> out = new ArrayList<>();
        int b = cfg.generation().batchSize();
        for (int start = 0; start < ps.size(); start += b) {
            List<TokenizedPrompt> batch = ps.subList(start, Math.min(ps.size(), start + b));
            List<long[]> prompts = batch.stream().map(TokenizedPrompt::tokens).toList();
            List<long[]> conts = batch.stream().map(p -> {
                long[] t = base.get(p.id());
                if (t == null) {
                    throw new IllegalStateException("no baseline completion of prompt " + p.id() + " in split " + split);
                }
                return t;
            }).toList();
            List<float[][]> steered = teacherForcing.logits(edits, prompts, conts);
            List<float[][]> unsteered = edits.isEmpty() ? steered : unsteered(split, batch, prompts, conts);
            for (int i = 0; i < batch.size(); i++) {
                out.add(new Side(NextTokenShift.of(unsteered.get(i), steered.get(i), conts.get(i).length),
                        modelRefusal.score(steered.get(i)[0])));
            }
        }
        return out;
    }

    /** The unsteered teacher-forced logits of a batch: cached when small enough, else computed. */
    private List<float[][]> unsteered(String split, List<TokenizedPrompt> batch, List<long[]> prompts,
                                      List<long[]> conts) {
        if (!cacheUnsteered) {
            return teacherForcing.logits(List.of(), prompts, conts);
        }
        List<String> keys = batch.stream().map(p -> split + "/" + p.id()).toList();
        if (!keys.stream().allMatch(unsteeredLogits::containsKey)) {
            List<float[][]> computed = teacherForcing.logits(List.of(), prompts, conts);
            for (int i = 0; i < keys.size(); i++) {
                unsteeredLogits.put(keys.get(i), computed.get(i));
            }
        }
        return keys.stream().map(unsteeredLogits::get).toList();
    }

    /** The baseline's generated tokens of {@code split}: from this run, else from its stored part. */
    private Map<String, long[]> baselineTokens(String split) {
        if (!baselineTokens.containsKey(split)) {
            String key = Condition.baseline(0, cfg.generation().seed()).key();
            for (Map<String, Object> r : store.read(key)) {
                String tokens = (String) r.get(ResultColumns.TOKEN_IDS);
                baselineTokens.computeIfAbsent((String) r.get(ResultColumns.SPLIT), k -> new HashMap<>())
                        .put((String) r.get(ResultColumns.PROMPT_ID), tokens.isEmpty() ? new long[0]
                                : Arrays.stream(tokens.split(" ")).mapToLong(Long::parseLong).toArray());
            }
        }
        return baselineTokens.getOrDefault(split, Map.of());
    }

    private Map<String, Object> row(Condition c, String split, Completion comp, Side side) {
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
        r.put(ResultColumns.TOKEN_IDS, String.join(" ", Arrays.stream(comp.tokens()).mapToObj(Long::toString).toList()));
        r.put(ResultColumns.KL_FIRST_TOKEN, StudyRunner.finiteOrNull(side.shift().klFirstToken()));
        r.put(ResultColumns.KL_MEAN, StudyRunner.finiteOrNull(side.shift().klMean()));
        r.put(ResultColumns.MODEL_REFUSAL_SCORE, StudyRunner.finiteOrNull(side.modelRefusal()));
        r.put(ResultColumns.MODEL_IS_REFUSAL, ModelRefusalScore.isRefusal(side.modelRefusal()));
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
