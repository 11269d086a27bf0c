package dev.steering.experiment;

import dev.steering.Progress;
import dev.steering.direction.Directions;
import dev.steering.direction.SteeringVector;
import dev.steering.hooks.LayerSpec;
import dev.steering.model.LanguageModel;
import dev.steering.model.LoadOptions;
import dev.steering.model.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The quantization study ({@code study: quantization}, {@code docs/family-sweep.md}): for each model and each
 * precision in turn (one model loaded at a time, closed before the next), the DIM direction at the model's layer,
 * the steering test at the multiplier, and the cosines between the precisions' directions ({@link #COSINES}; the
 * plan's reading: above 0.90 quantization preserves the direction).
 *
 * <p>With {@code extract_from: reference} the first precision's direction steers every precision (the plan's fallback
 * when hooks fail on quantized modules); each precision's own direction is still extracted for the cosines when it
 * can be (a failure is logged and leaves its cosines empty).
 *
 * <p>Every (model, precision) is stored when it finishes ({@link ResultStore} under
 * {@code models/<nn>-<name>/<precision>/}); a finished one is not loaded again. A distributed
 * {@link #runner(ConditionRunner, BiFunction) runner} runs the pairs as tasks of one job, with the same rows.
 */
public final class QuantizationStudy {
    private static final Logger LOG = LoggerFactory.getLogger(QuantizationStudy.class);
    /** The file of the direction norms, extraction times and cosine matrices, in the run directory. */
    public static final String COSINES = "directions.json";

    private final QuantizationConfig cfg;
    private final RefusalInduction.StudyPrompts prompts;
    private final Path runDir;
    private final FamilySweepStudy.ModelLoader loader;
    private final Progress progress;
    private ConditionRunner runner = ConditionRunner.inProcess();
    private BiFunction<Integer, Precision, StudyTask> pairTasks = (i, p) -> null;

    /**
     * @param cfg      the configuration
     * @param harmful  harmful extraction prompts
     * @param harmless harmless extraction prompts
     * @param test     benign test prompts (those also among the extraction prompts are dropped)
     * @param runDir   the run directory
     * @param loader   loads each model at each precision
     * @param progress where long loops report
     * @throws IllegalArgumentException if a prompt set is too small for the configured sizes
     */
    public QuantizationStudy(QuantizationConfig cfg, List<Prompt> harmful, List<Prompt> harmless, List<Prompt> test,
                             Path runDir, FamilySweepStudy.ModelLoader loader, Progress progress) {
        this.cfg = cfg;
        this.prompts = FamilySweepStudy.studyPrompts(cfg.prompts(), harmful, harmless, test, false);
        this.runDir = runDir;
        this.loader = loader;
        this.progress = progress;
    }

    /**
     * Sets the engine that runs the (model, precision) pairs (default {@link ConditionRunner#inProcess()}, one after
     * another); the rows are the same with any of them. A distributed runner runs every pair as a task of one stage
     * (with {@code extract_from: reference}, the reference precision's pairs first, as a stage of their own, since
     * the others steer with their direction); an executor opens a pair with {@code pairTasks}.
     *
     * @param runner    the engine
     * @param pairTasks (model index in {@code models:}, precision) → how an executor opens it ({@link #open})
     * @return this study
     */
    public QuantizationStudy runner(ConditionRunner runner, BiFunction<Integer, Precision, StudyTask> pairTasks) {
        this.runner = runner;
        this.pairTasks = pairTasks;
        return this;
    }

    /**
     * Runs every (model, precision) not finished yet, then writes {@code results.parquet} and {@link #COSINES}.
     *
     * @return all rows, model by model and precision by precision
     */
    public List<Map<String, Object>> run() {
        StudyRunner.writeAtomically(runDir.resolve("config.yaml"), cfg.toYaml());
        Precision reference = cfg.precisionList().get(0);
        boolean fromReference = "reference".equals(cfg.extractFrom());
        Condition cond = condition();
        // stage 0: the pairs that steer with their own direction (every pair with extract_from: self); stage 1: the
        // pairs that steer with the reference precision's, which stage 0 left in the run directory
        List<List<ConditionRunner.Batch>> stages = List.of(new ArrayList<>(), new ArrayList<>());
        int pairs = 0;
        for (int i = 0; i < cfg.models().size(); i++) {
            QuantizationConfig.QuantModel m = cfg.models().get(i);
            for (Precision p : cfg.precisionList()) {
                pairs++;
                ResultStore store = store(i, p);
                if (store.has(cond.key())) {
                    LOG.info("{} at {}: finished in an earlier run", m.name(), p);
                    continue;
                }
                int index = i;
                stages.get(fromReference && p != reference ? 1 : 0).add(new ConditionRunner.Batch(
                        pairTasks.apply(i, p), List.of(cond), c -> runHere(index, p, c), store));
            }
        }
        int todo = stages.get(0).size() + stages.get(1).size();
        LOG.info("{} (model, precision) pairs, {} finished earlier, {} to run", pairs, pairs - todo, todo);
        try (Progress.Task task = progress.start("conditions", pairs)) {
            task.step(pairs - todo);
            for (List<ConditionRunner.Batch> stage : stages) {
                if (!stage.isEmpty()) {
                    runner.run(stage, task);
                }
            }
        }
        List<Map<String, Object>> all = new ArrayList<>();
        List<Map<String, Object>> summary = new ArrayList<>();
        for (int i = 0; i < cfg.models().size(); i++) {
            QuantizationConfig.QuantModel m = cfg.models().get(i);
            Path dir = FamilySweepStudy.modelDir(runDir, i, m.name());
            Map<String, SteeringVector> own = new LinkedHashMap<>();
            for (Precision p : cfg.precisionList()) {
                List<Map<String, Object>> rows = store(i, p).read(cond.key());
                store(i, p).consolidate(List.of(cond.key()), Map.of("model",
                        rows.isEmpty() ? m.name() : String.valueOf(rows.get(0).get(SweepColumns.MODEL_ID)),
                        "precision", p.configName()));
                all.addAll(rows);
                Path ownFile = ownFile(dir, p);
                if (Files.exists(ownFile)) {
                    own.put(p.configName(), SteeringVector.load(ownFile));
                }
            }
            summary.add(summarise(m, own));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("study", QuantizationConfig.STUDY);
        meta.put("config", cfg.toYaml());
        FamilySweepStudy.writeMerged(runDir, all, meta);
        FamilySweepStudy.writeDirections(runDir, summary);
        return all;
    }

    /**
     * Opens one (model, precision) pair (on an executor of a distributed runner): loads the model at the precision;
     * its condition extracts the pair's own direction (saved under the model's {@code directions/}), reads the
     * reference precision's with {@code extract_from: reference}, and runs the steering test.
     *
     * @param index     the model's index in {@code models:}
     * @param precision one of the config's precisions
     */
    public StudyTask.Session open(int index, Precision precision) {
        QuantizationConfig.QuantModel m = cfg.models().get(index);
        LanguageModel model = loader.load(m.name(), LoadOptions.precision(precision));
        return new StudyTask.Session() {
            @Override
            public List<Map<String, Object>> run(Condition c) {
                return runPair(m, FamilySweepStudy.modelDir(runDir, index, m.name()), precision, model, c);
            }

            @Override
            public void close() {
                model.close();
            }
        };
    }

    /** The one condition of every (model, precision) pair. */
    private Condition condition() {
        return new Condition(0, null, "dim", cfg.steering().multiplier(), null, cfg.generation().seed(), 0);
    }

    /** Where a pair's part goes: {@code models/<nn>-<name>/<precision>/}. */
    private ResultStore store(int index, Precision p) {
        Path dir = FamilySweepStudy.modelDir(runDir, index, cfg.models().get(index).name());
        return new ResultStore(dir.resolve(p.configName()), SweepColumns.SCHEMA);
    }

    private static Path ownFile(Path modelDir, Precision p) {
        return modelDir.resolve("directions").resolve(p.configName() + "-dim.safetensors");
    }

    /** Runs a pair in this process, its model loaded for it alone. */
    private List<Map<String, Object>> runHere(int index, Precision p, Condition c) {
        try (StudyTask.Session s = open(index, p)) {
            return s.run(c);
        }
    }

    /** A model's directions: norm and extraction time per precision, and the cosine matrix across precisions. */
    private static Map<String, Object> summarise(QuantizationConfig.QuantModel m, Map<String, SteeringVector> own) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", m.name());
        Map<String, Object> dirs = new LinkedHashMap<>();
        own.forEach((p, v) -> dirs.put(p, FamilySweepStudy.describe(v)));
        out.put("directions", dirs);
        Directions.CosineTable t = cosineMatrix(own);
        out.put("precisions", t.names());
        out.put("cosines", t.cosines());
        return out;
    }

    /** The cosine of every pair of directions (the diagonal is 1, the matrix symmetric). */
    static Directions.CosineTable cosineMatrix(Map<String, SteeringVector> directions) {
        if (directions.isEmpty()) {
            return new Directions.CosineTable(List.of(), new double[0][0]);
        }
        return Directions.cosines(directions);
    }

    /** The rows of a pair's condition, with its model loaded at its precision. */
    private List<Map<String, Object>> runPair(QuantizationConfig.QuantModel m, Path dir, Precision p,
                                              LanguageModel model, Condition c) {
        Precision reference = cfg.precisionList().get(0);
        boolean fromReference = "reference".equals(cfg.extractFrom()) && p != reference;
        int layers = model.config().numLayers();
        int layer = LayerSpec.atDepth(m.layerPct(), layers);
        RefusalInduction induction = new RefusalInduction(model, m.chat(), prompts, cfg.prompts(),
                cfg.generation(), cfg.steering().hookPoint(), cfg.steering().steerRange(), progress);
        RefusalInduction.Extracted mine = null;
        try {
            mine = induction.direction("dim", layer, ownFile(dir, p));
        } catch (RuntimeException e) {
            if (!fromReference) {
                throw e;
            }
            LOG.warn("{} at {}: no direction of its own ({}); steering with the {} direction", m.name(), p,
                    e.getMessage(), reference);
        }
        RefusalInduction.Extracted used = fromReference ? referenceDirection(dir, reference) : mine;
        Map<String, Object> base = new LinkedHashMap<>();
        base.put(SweepColumns.MODEL, m.name());
        base.put(SweepColumns.MODEL_ID, model.revision().map(r -> model.id() + "@" + r).orElse(model.id()));
        base.put(SweepColumns.FAMILY, m.family() == null || m.family().isBlank() ? m.name() : m.family());
        base.put(SweepColumns.N_LAYERS, layers);
        base.put(SweepColumns.PRECISION, p.configName());
        base.put(SweepColumns.PHASE, SweepColumns.QUANTIZATION);
        base.put(SweepColumns.METHOD, "dim");
        base.put(SweepColumns.LAYER_PCT, m.layerPct());
        base.put(SweepColumns.LAYER, layer);
        base.put(SweepColumns.MULTIPLIER, cfg.steering().multiplier());
        base.put(SweepColumns.STEER_RANGE, cfg.steering().steerRange());
        base.put(SweepColumns.DIRECTION_NORM, used.vector().norm());
        base.put(SweepColumns.EXTRACTED_FROM, fromReference ? reference.configName() : p.configName());
        base.put(SweepColumns.EXTRACTION_S, StudyRunner.finiteOrNull(used.seconds()));
        return induction.test(induction.edits(used.vector(), layer, c.alpha()), cfg.prompts().testRepeats(),
                c.seed(), base, m.name() + " " + p);
    }

    /** The reference precision's direction, saved when that precision ran (it runs first). */
    private static RefusalInduction.Extracted referenceDirection(Path dir, Precision reference) {
        Path file = ownFile(dir, reference);
        if (!Files.exists(file)) {
            throw new IllegalStateException("extract_from: reference needs the " + reference + " direction " + file
                    + ", which the first precision's run did not leave");
        }
        return RefusalInduction.Extracted.of(SteeringVector.load(file));
    }
}
