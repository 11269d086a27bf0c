package dev.steering.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.steering.Progress;
import dev.steering.direction.Directions;
import dev.steering.direction.SteeringVector;
import dev.steering.experiment.parquet.ParquetWriter;
import dev.steering.hooks.LayerSpec;
import dev.steering.model.LanguageModel;
import dev.steering.model.LoadOptions;
import dev.steering.report.ConditionStats;
import dev.steering.report.RefusalVerdict;
import dev.steering.report.SweepReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cross-family layer study ({@code study: family_sweep}, {@code docs/family-sweep.md}): for each model in turn,
 * loaded alone and closed before the next,
 * <ol>
 *   <li>optionally the quick layer validation: DIM at each of the model's {@code layer_pcts} with
 *       {@code validation_repeats} samples per test prompt; the layer with the highest coherent-refusal rate is the
 *       only layer of the full run;</li>
 *   <li>the full run: every method × layer × multiplier with {@code test_repeats} samples per test prompt;</li>
 *   <li>the follow-up rule: a method whose verdict at its best condition is <em>Partial</em> is rerun at
 *       {@code follow_up_pcts} and its best layer with {@code follow_up_multipliers}.</li>
 * </ol>
 * Every condition is stored as soon as it finishes ({@link ResultStore} under {@code models/<nn>-<name>/}); a model
 * whose phases all finished is not loaded again, so a resumed run loses at most the condition in flight. The rows of
 * all models are merged into {@code results.parquet} ({@link SweepColumns}). A distributed
 * {@link #runner(ConditionRunner, IntFunction) runner} runs each phase's conditions as tasks of a job, with the same
 * rows.
 */
public final class FamilySweepStudy {
    private static final Logger LOG = LoggerFactory.getLogger(FamilySweepStudy.class);
    private static final String DONE = "done";

    /** Loads a model by spec at a precision (the caller's resolver of aliases and bundled models). */
    @FunctionalInterface
    public interface ModelLoader {
        /** The model, which the study closes. */
        LanguageModel load(String spec, LoadOptions options);
    }

    /** One condition's steering test (replaced in tests to give chosen outcomes). */
    @FunctionalInterface
    interface SteeringTest {
        /** The rows of condition {@code c} steered with {@code v}, {@code base}'s columns first. */
        List<Map<String, Object>> run(RefusalInduction induction, SteeringVector v, Condition c, int repeats,
                                      Map<String, Object> base);
    }

    /** The plan's test: {@link RefusalInduction#test} with the condition's edits. */
    static final SteeringTest STEER = (induction, v, c, repeats, base) -> induction.test(
            induction.edits(v, c.layer(), c.alpha()), repeats, c.seed(), base, base.get(SweepColumns.MODEL) + " "
                    + c.key());

    private final FamilySweepConfig cfg;
    private final RefusalInduction.StudyPrompts prompts;
    private final Path runDir;
    private final ModelLoader loader;
    private final Progress progress;
    private final SteeringTest steeringTest;
    private ConditionRunner runner = ConditionRunner.inProcess();
    private IntFunction<StudyTask> modelTasks = i -> null;

    /**
     * @param cfg      the configuration
     * @param harmful  harmful extraction prompts
     * @param harmless harmless extraction prompts
     * @param test     benign test prompts (those also among the extraction prompts are dropped)
     * @param runDir   the run directory
     * @param loader   loads each model
     * @param progress where long loops report
     * @throws IllegalArgumentException if a prompt set is too small for the configured sizes
     */
    public FamilySweepStudy(FamilySweepConfig cfg, List<Prompt> harmful, List<Prompt> harmless, List<Prompt> test,
                            Path runDir, ModelLoader loader, Progress progress) {
        this(cfg, harmful, harmless, test, runDir, loader, progress, STEER);
    }

    FamilySweepStudy(FamilySweepConfig cfg, List<Prompt> harmful, List<Prompt> harmless, List<Prompt> test,
                     Path runDir, ModelLoader loader, Progress progress, SteeringTest steeringTest) {
        this.steeringTest = steeringTest;
        this.cfg = cfg;
        this.prompts = studyPrompts(cfg.prompts(), harmful, harmless, test, cfg.steering().methods().contains("cosmic"));
        this.runDir = runDir;
        this.loader = loader;
        this.progress = progress;
    }

    /**
     * Sets the engine that runs each phase's conditions (default {@link ConditionRunner#inProcess()}); the rows are
     * the same with any of them. The models still run one after another, each loaded here for its plans and its
     * directions (written beside the results before a phase's conditions run); a distributed runner spreads a
     * phase's conditions over its executors, which rebuild the model's study from {@code modelTasks} and read the
     * directions from the run directory.
     *
     * @param runner     the engine
     * @param modelTasks model index (in {@code models:}) → how an executor opens that model ({@link #open(int)})
     * @return this study
     */
    public FamilySweepStudy runner(ConditionRunner runner, IntFunction<StudyTask> modelTasks) {
        this.runner = runner;
        this.modelTasks = modelTasks;
        return this;
    }

    /**
     * Opens one model of the sweep to run conditions of its plans (on an executor of a distributed runner): the
     * conditions' directions must already be in the run directory, as {@link #run()} leaves them before a phase.
     *
     * @param index the model's index in {@code models:}
     */
    public StudyTask.Session open(int index) {
        FamilySweepConfig.SweepModel spec = cfg.models().get(index);
        Path dir = modelDir(runDir, index, spec.name());
        LanguageModel model = loader.load(spec.name(), LoadOptions.precision(spec.precision()));
        ModelRun run;
        try {
            run = new ModelRun(index, spec, model, dir, new ResultStore(dir, SweepColumns.SCHEMA));
            run.layersOf(spec.layerPcts());
            run.layersOf(cfg.phases().followUpPcts());
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
        }
        return new StudyTask.Session() {
            @Override
            public List<Map<String, Object>> run(Condition c) {
                return run.runCondition(c);
            }

            @Override
            public void close() {
                model.close();
            }
        };
    }

    /** Checks the sizes and removes extraction prompts from the test set. */
    static RefusalInduction.StudyPrompts studyPrompts(FamilySweepConfig.SweepPrompts sizes, List<Prompt> harmful,
                                                      List<Prompt> harmless, List<Prompt> test, boolean cosmic) {
        int need = sizes.extractionPrompts(cosmic);
        if (harmful.size() < need || harmless.size() < need) {
            throw new IllegalArgumentException("prompts: extraction needs " + need + " harmful and " + need
                    + " harmless prompts (dim_n" + (cosmic ? ", cosmic_n + cosmic_val_n" : "") + "), the sets have "
                    + harmful.size() + " and " + harmless.size());
        }
        Set<String> used = new LinkedHashSet<>();
        for (Prompt p : harmful.subList(0, need)) {
            used.add(p.prompt());
        }
        for (Prompt p : harmless.subList(0, need)) {
            used.add(p.prompt());
        }
        List<Prompt> t = test.stream().filter(p -> !used.contains(p.prompt())).limit(sizes.testN()).toList();
        if (t.size() < sizes.testN()) {
            throw new IllegalArgumentException("prompts: test_n is " + sizes.testN() + " but the test set has only "
                    + t.size() + " prompts not used for extraction");
        }
        return new RefusalInduction.StudyPrompts(harmful, harmless, t);
    }

    /**
     * Runs every model's phases not finished yet, then writes {@code results.parquet}.
     *
     * @return all rows of the study, model by model in plan order
     */
    public List<Map<String, Object>> run() {
        StudyRunner.writeAtomically(runDir.resolve("config.yaml"), cfg.toYaml());
        List<Map<String, Object>> all = new ArrayList<>();
        List<Map<String, Object>> directions = new ArrayList<>();
        for (int i = 0; i < cfg.models().size(); i++) {
            all.addAll(runModel(i, cfg.models().get(i)));
            directions.add(directionSummary(cfg.models().get(i).name(), modelDir(runDir, i, cfg.models().get(i).name())));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("study", FamilySweepConfig.STUDY);
        meta.put("config", cfg.toYaml());
        writeMerged(runDir, all, meta);
        writeDirections(runDir, directions);
        return all;
    }

    /** Writes {@code directions.json}: per model its directions' norms and extraction times, and cosines. */
    static void writeDirections(Path runDir, List<Map<String, Object>> models) {
        try {
            StudyRunner.writeAtomically(runDir.resolve(QuantizationStudy.COSINES), new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(Map.of("models", models)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A direction's norm and extraction time (null when unknown), for {@code directions.json}. */
    static Map<String, Object> describe(SteeringVector v) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("norm", v.norm());
        d.put("extraction_s", StudyRunner.finiteOrNull(RefusalInduction.Extracted.of(v).seconds()));
        return d;
    }

    /** The saved directions of a model and the DIM–COSMIC cosine at each layer where both exist. */
    private static Map<String, Object> directionSummary(String name, Path dir) {
        Map<String, SteeringVector> byName = new TreeMap<>();
        Path d = dir.resolve("directions");
        if (Files.isDirectory(d)) {
            try (var files = Files.list(d)) {
                files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).forEach(f -> byName.put(
                        f.getFileName().toString().replace(".safetensors", ""), SteeringVector.load(f)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + d + ": " + e.getMessage(), e);
            }
        }
        Map<String, Object> dirs = new LinkedHashMap<>();
        Map<String, Object> cos = new TreeMap<>();
        byName.forEach((k, v) -> {
            dirs.put(k, describe(v));
            if (k.startsWith("dim-L") && byName.containsKey("cosmic-L" + k.substring(5))) {
                cos.put(k.substring(5), Directions.cosines(Map.of("dim", v, "cosmic",
                        byName.get("cosmic-L" + k.substring(5)))).get("dim", "cosmic"));
            }
        });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", name);
        out.put("directions", dirs);
        out.put("dim_vs_cosmic", cos);
        return out;
    }

    static void writeMerged(Path runDir, List<Map<String, Object>> rows, Map<String, String> meta) {
        try {
            ParquetWriter.write(runDir.resolve(ResultStore.RESULTS), SweepColumns.SCHEMA, rows, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + runDir.resolve(ResultStore.RESULTS) + ": " + e.getMessage(), e);
        }
    }

    /** The {@link Condition#check} that marks a phase's conditions: none for the full run. */
    private static String checkOf(String phase) {
        return SweepColumns.FULL.equals(phase) ? null : phase.replace("_", "");
    }

    /** The phase of a condition of a model's plans. */
    private static String phaseOf(Condition c) {
        for (String phase : List.of(SweepColumns.VALIDATION, SweepColumns.FULL, SweepColumns.FOLLOW_UP)) {
            if (Objects.equals(checkOf(phase), c.check())) {
                return phase;
            }
        }
        throw new IllegalArgumentException("condition " + c.key() + " is of no phase of the family sweep");
    }

    /** {@code models/03-qwen2.5-7b-instruct}: where a model's parts, directions and rows live. */
    static Path modelDir(Path runDir, int index, String name) {
        return runDir.resolve("models").resolve(String.format("%02d-", index) + SweepReport.slug(name));
    }

    /** All stored rows of a finished model, in key order. */
    static List<Map<String, Object>> storedRows(ResultStore store) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String k : store.completed()) {
            rows.addAll(store.read(k));
        }
        return rows;
    }

    private List<Map<String, Object>> runModel(int index, FamilySweepConfig.SweepModel spec) {
        Path dir = modelDir(runDir, index, spec.name());
        ResultStore store = new ResultStore(dir, SweepColumns.SCHEMA);
        if (Files.exists(dir.resolve(DONE))) {
            LOG.info("{}: finished in an earlier run", spec.name());
            return storedRows(store);
        }
        try (LanguageModel model = loader.load(spec.name(), LoadOptions.precision(spec.precision()))) {
            ModelRun run = new ModelRun(index, spec, model, dir, store);
            List<Map<String, Object>> rows = run.all();
            StudyRunner.writeAtomically(dir.resolve(DONE), "");
            return rows;
        }
    }

    /** The phases of one loaded model. */
    private final class ModelRun {
        private final int index;
        private final FamilySweepConfig.SweepModel spec;
        private final LanguageModel model;
        private final Path dir;
        private final ResultStore store;
        private final RefusalInduction induction;
        private final int layers;
        /** Layer → the depth fraction it was named by (the first one naming it). */
        private final Map<Integer, Double> pctOf = new TreeMap<>();
        private final List<Map<String, Object>> rows = new ArrayList<>();
        private int nextIndex;

        ModelRun(int index, FamilySweepConfig.SweepModel spec, LanguageModel model, Path dir, ResultStore store) {
            this.index = index;
            this.spec = spec;
            this.model = model;
            this.dir = dir;
            this.store = store;
            this.layers = model.config().numLayers();
            FamilySweepConfig.Steering s = cfg.steering();
            this.induction = new RefusalInduction(model, spec.chat(), prompts, cfg.prompts(), cfg.generation(),
                    s.hookPoint(), s.steerRange(), progress);
        }

        List<Map<String, Object>> all() {
            boolean validate = spec.layerValidation() != null ? spec.layerValidation() : cfg.phases().layerValidation();
            List<Integer> ls = layersOf(spec.layerPcts());
            if (validate) {
                List<Map<String, Object>> v = phase(SweepColumns.VALIDATION, List.of("dim"), ls,
                        cfg.steering().multipliers());
                int best = ConditionStats.best(ConditionStats.of(v)).layer();
                LOG.info("{}: layer validation picks layer {} ({}% depth)", spec.name(), best,
                        Math.round(100 * pctOf.get(best)));
                ls = List.of(best);
            }
            List<Map<String, Object>> full = phase(SweepColumns.FULL, cfg.steering().methods(), ls,
                    cfg.steering().multipliers());
            if (cfg.phases().followUp()) {
                for (String method : cfg.steering().methods()) {
                    List<ConditionStats> mine = ConditionStats.of(full).stream()
                            .filter(c -> c.method().equals(method)).toList();
                    ConditionStats best = ConditionStats.best(mine);
                    if (best.verdict() == RefusalVerdict.PARTIAL) {
                        List<Integer> fl = new ArrayList<>(layersOf(cfg.phases().followUpPcts()));
                        if (!fl.contains(best.layer())) {
                            fl.add(best.layer());
                        }
                        LOG.info("{} {}: Partial at layer {}: follow-up at layers {}", spec.name(), method,
                                best.layer(), fl);
                        phase(SweepColumns.FOLLOW_UP, List.of(method), fl, cfg.phases().followUpMultipliers(), mine);
                    }
                }
            }
            return rows;
        }

        /** The layer indices of depth fractions, without repeats (a repeat is logged and run once). */
        private List<Integer> layersOf(List<Double> pcts) {
            List<Integer> out = new ArrayList<>();
            for (double p : pcts) {
                int l = LayerSpec.atDepth(p, layers);
                pctOf.putIfAbsent(l, p);
                if (out.contains(l)) {
                    LOG.info("{}: depth {} is layer {} of {} again; it runs once", spec.name(), p, l, layers);
                } else {
                    out.add(l);
                }
            }
            return out;
        }

        private List<Map<String, Object>> phase(String phase, List<String> methods, List<Integer> ls,
                                                List<Double> multipliers) {
            return phase(phase, methods, ls, multipliers, List.of());
        }

        /** Runs one phase's conditions (those already in {@code skip} excluded) and returns their rows. */
        private List<Map<String, Object>> phase(String phase, List<String> methods, List<Integer> ls,
                                                List<Double> multipliers, List<ConditionStats> skip) {
            List<Condition> plan = new ArrayList<>();
            long seed = cfg.generation().seed();
            String check = checkOf(phase);
            for (String method : methods) {
                for (int l : ls) {
                    for (double m : multipliers) {
                        if (skip.stream().noneMatch(c -> c.layer() == l && c.multiplier() == m)) {
                            plan.add(new Condition(nextIndex++, l, method, m, check, seed, 0));
                        }
                    }
                }
            }
            Map<String, String> meta = Map.of("model", model.id(), "phase", phase);
            // the phase's directions are built here, in plan order, before its conditions run anywhere
            StudyRunner.Execution exec = new StudyRunner.Execution(runner, modelTasks.apply(index), c -> 0,
                    todo -> todo.forEach(this::direction));
            List<Map<String, Object>> out = StudyRunner.runPlan(plan, store, progress, this::runCondition, meta, exec);
            rows.addAll(out);
            return out;
        }

        /** The condition's direction, read from {@code directions/} or extracted and saved there. */
        private RefusalInduction.Extracted direction(Condition c) {
            Path file = dir.resolve("directions").resolve(c.intervention() + "-L" + c.layer() + ".safetensors");
            return induction.direction(c.intervention(), c.layer(), file);
        }

        /** The rows of one condition of any phase (its phase is in its key, {@link #checkOf}). */
        private List<Map<String, Object>> runCondition(Condition c) {
            String phase = phaseOf(c);
            int repeats = SweepColumns.VALIDATION.equals(phase) ? cfg.phases().validationRepeats()
                    : cfg.prompts().testRepeats();
            RefusalInduction.Extracted d = direction(c);
            Map<String, Object> base = new LinkedHashMap<>();
            base.put(SweepColumns.MODEL, spec.name());
            base.put(SweepColumns.MODEL_ID, model.revision().map(r -> model.id() + "@" + r).orElse(model.id()));
            base.put(SweepColumns.FAMILY, spec.familyOrName());
            base.put(SweepColumns.N_LAYERS, layers);
            base.put(SweepColumns.PRECISION, spec.precision().configName());
            base.put(SweepColumns.PHASE, phase);
            base.put(SweepColumns.METHOD, c.intervention());
            base.put(SweepColumns.LAYER_PCT, pctOf.get(c.layer()));
            base.put(SweepColumns.LAYER, c.layer());
            base.put(SweepColumns.MULTIPLIER, c.alpha());
            base.put(SweepColumns.STEER_RANGE, cfg.steering().steerRange());
            base.put(SweepColumns.DIRECTION_NORM, d.vector().norm());
            base.put(SweepColumns.EXTRACTED_FROM, spec.precision().configName());
            base.put(SweepColumns.EXTRACTION_S, StudyRunner.finiteOrNull(d.seconds()));
            return steeringTest.run(induction, d.vector(), c, repeats, base);
        }
    }
}
