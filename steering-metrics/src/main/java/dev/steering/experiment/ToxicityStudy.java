package dev.steering.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.Progress;
import dev.steering.SteeredModel;
import dev.steering.direction.DirectionResult;
import dev.steering.direction.MeanDifference;
import dev.steering.direction.PromptHash;
import dev.steering.direction.ProvenanceMetadata;
import dev.steering.direction.SteeringVector;
import dev.steering.direction.SteeringVectorFile;
import dev.steering.generate.Completion;
import dev.steering.generate.GenerationConfig;
import dev.steering.generate.TokenizedPrompt;
import dev.steering.hooks.ActivationCache;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.Positions;
import dev.steering.metrics.toxicity.ToxicityMetric;
import dev.steering.metrics.toxicity.ToxicityScore;
import dev.steering.model.Activations;
import dev.steering.model.BosConvention;
import dev.steering.model.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The all-layers CAA toxicity study: can a contrastive activation addition vector, learned from the model's own more
 * and less toxic completions, make its continuations of RealToxicityPrompts more or less toxic, and at which layer?
 * <ol>
 *   <li>baseline completions on the {@code challenging} and {@code benign} subsets, scored by the classifier;</li>
 *   <li>a CAA vector per layer: the challenging subset's baseline completions ranked by toxicity, the i-th most toxic
 *       paired with the i-th least toxic ({@code caa.pairs} pairs, at most half the subset), each prompt + completion
 *       read at {@code resid_post} and mean-pooled over its last {@code caa.pool_last_tokens} tokens,
 *       {@code v_l = mean(toxic − non-toxic)} ({@link MeanDifference}); saved under {@code directions/layer_<l>/};</li>
 *   <li>every layer × α ≠ 0 on both subsets, adding {@code α · v_l} (the raw vector, as CAA does) at every position.</li>
 * </ol>
 * Every finished condition is stored at once ({@link ResultStore} with {@link ToxicityColumns#SCHEMA}), so running the
 * same study again resumes; the CAA vectors are read back from the run directory.
 */
public final class ToxicityStudy {
    private static final Logger LOG = LoggerFactory.getLogger(ToxicityStudy.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ToxicityConfig cfg;
    private final LanguageModel model;
    private final ToxicityMetric metric;
    private final Map<String, List<TokenizedPrompt>> subsets = new LinkedHashMap<>();
    private final Path runDir;
    private final Progress progress;
    private final ResultStore store;
    private final List<Integer> layers;
    private ConditionRunner runner = ConditionRunner.inProcess();

    /**
     * @param cfg      the configuration
     * @param model    the loaded language model
     * @param metric   the toxicity classifier (not closed here)
     * @param prompts  subset name ({@link ToxicityColumns#SUBSETS}) → prompts
     * @param runDir   the run directory
     * @param progress where long loops report
     * @throws IllegalArgumentException if a subset is missing or empty, or a layer is outside the model
     */
    public ToxicityStudy(ToxicityConfig cfg, LanguageModel model, ToxicityMetric metric,
                         Map<String, List<Prompt>> prompts, Path runDir, Progress progress) {
        this.cfg = cfg;
        this.model = model;
        this.metric = metric;
        this.runDir = runDir;
        this.progress = progress;
        this.layers = cfg.experiment().resolveLayers(model.config().numLayers());
        for (String s : ToxicityColumns.SUBSETS) {
            List<Prompt> ps = prompts.get(s);
            if (ps == null || ps.isEmpty()) {
                throw new IllegalArgumentException("subset " + s + " has no prompts");
            }
            subsets.put(s, ps.stream().map(p -> new TokenizedPrompt(p.id(), p.prompt(),
                    p.encode(model, cfg.model().chat()), BosConvention.TOKENIZER)).toList());
        }
        this.store = new ResultStore(runDir, ToxicityColumns.SCHEMA);
    }

    /**
     * Sets the engine that runs the conditions (default {@link ConditionRunner#inProcess()}); the rows are the same
     * with any of them.
     *
     * @return this study
     */
    public ToxicityStudy runner(ConditionRunner runner) {
        this.runner = runner;
        return this;
    }

    /** The layer indices the config resolves to on this model. */
    public List<Integer> layers() {
        return layers;
    }

    /** The conditions, in order: the baseline, then every layer × α ≠ 0. */
    public List<Condition> plan() {
        List<Condition> out = new ArrayList<>();
        long seed = cfg.generation().seed();
        out.add(Condition.baseline(0, seed));
        for (int layer : layers) {
            for (double a : cfg.experiment().alphas()) {
                if (a != 0) {
                    out.add(new Condition(out.size(), layer, "add", a, null, seed, 0));
                }
            }
        }
        return out;
    }

    /**
     * Runs every condition not finished yet, then writes {@code results.parquet}.
     *
     * @return all rows of the study ({@link ToxicityColumns})
     */
    public List<Map<String, Object>> run() {
        StudyRunner.writeAtomically(runDir.resolve("config.yaml"), cfg.toYaml());
        List<Condition> plan = plan();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", model.id());
        meta.put("classifier", metric.classifier().id());
        meta.put("study", ToxicityConfig.STUDY);
        meta.put("config", cfg.toYaml());
        // the baseline runs first; the CAA vectors come from its rows and are built here once, beside the results
        StudyRunner.Execution exec = new StudyRunner.Execution(runner, null, c -> c.isBaseline() ? 0 : 1,
                todo -> todo.stream().filter(c -> !c.isBaseline()).findFirst().ifPresent(c -> vector(c.layer())));
        return StudyRunner.runPlan(plan, store, progress, this::runCondition, meta, exec);
    }

    /** The rows of one condition of {@link #plan()} (not stored: the {@link ConditionRunner} stores them). */
    public List<Map<String, Object>> runCondition(Condition c) {
        List<Edit> edits = c.isBaseline() ? List.of()
                : List.of(new Edit(HookPoint.residPost(c.layer()), Add.multiplier(c.alpha()), vector(c.layer()),
                Positions.all()));
        SteeredModel m = new SteeredModel(model, edits);
        GenerationConfig gen = StudyRunner.generation(cfg.generation(), c.seed());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (var e : subsets.entrySet()) {
            List<Completion> out;
            out = StudyRunner.generate(m, e.getValue(), gen, progress, c.key() + " " + e.getKey());
            List<ToxicityScore> scores = metric.score(out.stream().map(Completion::text).toList());
            for (int i = 0; i < out.size(); i++) {
                rows.add(row(c, e.getKey(), out.get(i), scores.get(i)));
            }
        }
        return rows;
    }

    private static Map<String, Object> row(Condition c, String subset, Completion comp, ToxicityScore score) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put(ToxicityColumns.PROMPT_ID, comp.promptId());
        r.put(ToxicityColumns.SUBSET, subset);
        r.put(ToxicityColumns.LAYER, c.layer());
        r.put(ToxicityColumns.ALPHA, c.alpha());
        r.put(ToxicityColumns.PROMPT, comp.prompt());
        r.put(ToxicityColumns.COMPLETION, comp.text());
        r.put(ToxicityColumns.N_TOKENS, comp.length());
        r.put(ToxicityColumns.TOXICITY, score.toxicity());
        try {
            r.put(ToxicityColumns.TOX_LABELS, JSON.writeValueAsString(score.probs()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        r.put(ToxicityColumns.MEAN_ENTROPY, StudyRunner.finiteOrNull(comp.meanEntropy()));
        r.put(ToxicityColumns.MEAN_LOGPROB, StudyRunner.finiteOrNull(comp.meanLogprob()));
        r.put(ToxicityColumns.SEED, c.seed());
        return r;
    }

    private static Path vectorFile(Path runDir, int layer) {
        return runDir.resolve("directions").resolve("layer_" + layer).resolve("v.safetensors");
    }

    /** The layer's CAA vector, read from the run directory; all missing layers are built in one pass. */
    SteeringVector vector(int layer) {
        Path file = vectorFile(runDir, layer);
        if (!Files.exists(file)) {
            buildVectors(layers.stream().filter(l -> !Files.exists(vectorFile(runDir, l))).toList());
        }
        return SteeringVector.load(file);
    }

    private void buildVectors(List<Integer> todo) {
        List<Map<String, Object>> baseline = store.read(plan().get(0).key()).stream()
                .filter(r -> ToxicityColumns.CHALLENGING.equals(r.get(ToxicityColumns.SUBSET)))
                .sorted(Comparator.comparingDouble(r -> -((Number) r.get(ToxicityColumns.TOXICITY)).doubleValue()))
                .toList();
        int pairs = Math.min(cfg.caa().pairs(), baseline.size() / 2);
        if (pairs < 1) {
            throw new IllegalStateException("CAA needs at least 2 challenging prompts to form a pair, got "
                    + baseline.size());
        }
        List<long[]> toxic = new ArrayList<>();
        List<long[]> clean = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            toxic.add(tokens(baseline.get(i)));
            clean.add(tokens(baseline.get(baseline.size() - 1 - i)));
        }
        List<HookPoint> hooks = todo.stream().map(HookPoint::residPost).toList();
        LOG.info("building CAA vectors at {} layers from {} pairs", todo.size(), pairs);
        Map<HookPoint, List<double[]>> toxicPooled = pooled(toxic, hooks);
        Map<HookPoint, List<double[]>> cleanPooled = pooled(clean, hooks);
        for (HookPoint h : hooks) {
            List<double[]> diffs = new ArrayList<>();
            for (int i = 0; i < pairs; i++) {
                double[] d = toxicPooled.get(h).get(i).clone();
                double[] n = cleanPooled.get(h).get(i);
                for (int j = 0; j < d.length; j++) {
                    d[j] -= n[j];
                }
                diffs.add(d);
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("method", "caa_toxicity");
            meta.put("position", "mean of the last " + cfg.caa().poolLastTokens() + " tokens of prompt + completion");
            meta.put("n_pairs", Integer.toString(pairs));
            meta.put("toxic_set_hash", PromptHash.of(toxic));
            meta.put("non_toxic_set_hash", PromptHash.of(clean));
            DirectionResult r = MeanDifference.of(diffs, ProvenanceMetadata.describe(model, h, meta),
                    "the toxicity CAA vector at " + h.name() + " (toxic and non-toxic texts give the same activations)");
            SteeringVectorFile.saveWithStats(r, vectorFile(runDir, h.layer()).getParent(), false);
        }
    }

    /** The tokens of a row's prompt followed by its completion. */
    private long[] tokens(Map<String, Object> row) {
        String prompt = (String) row.get(ToxicityColumns.PROMPT);
        String completion = (String) row.get(ToxicityColumns.COMPLETION);
        if (!cfg.model().chat()) {
            return model.encodePrompt(prompt + completion, false);
        }
        long[] p = model.encodePrompt(prompt, true);
        long[] c = model.requireTokenizer().encode(completion);
        return LongStream.concat(LongStream.of(p), LongStream.of(c)).toArray();
    }

    /** Per hook, one row per text: the mean of its last {@code pool_last_tokens} activations, in double. */
    private Map<HookPoint, List<double[]>> pooled(List<long[]> texts, List<HookPoint> hooks) {
        Map<HookPoint, ActivationCache> acts = Activations.read(model.graph(List.of()), texts, hooks,
                cfg.generation().batchSize());
        Map<HookPoint, List<double[]>> out = new LinkedHashMap<>();
        for (HookPoint h : hooks) {
            List<double[]> rows = new ArrayList<>();
            ActivationCache cache = acts.get(h);
            for (int i = 0; i < cache.size(); i++) {
                int n = cache.length(i);
                int from = Math.max(0, n - cfg.caa().poolLastTokens());
                List<double[]> last = new ArrayList<>();
                for (int t = from; t < n; t++) {
                    last.add(cache.row(i, t));
                }
                rows.add(MeanDifference.mean(last));
            }
            out.put(h, rows);
        }
        return out;
    }

}
