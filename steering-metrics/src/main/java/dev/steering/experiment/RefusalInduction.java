package dev.steering.experiment;

import dev.steering.Progress;
import dev.steering.SteeredModel;
import dev.steering.direction.Cosmic;
import dev.steering.direction.DifferenceInMeans;
import dev.steering.direction.SteeringVector;
import dev.steering.generate.Completion;
import dev.steering.generate.TokenizedPrompt;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.Positions;
import dev.steering.metrics.CompletionScorer;
import dev.steering.metrics.CompletionScores;
import dev.steering.metrics.Quality;
import dev.steering.model.LanguageModel;
import dev.steering.report.ConditionStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plan's steering test on one loaded model, shared by {@link FamilySweepStudy} and {@link QuantizationStudy}:
 * extract a refusal direction (DIM from {@code dim_n} harmful + harmless prompts, or COSMIC's choice at a layer), add
 * {@code m·r} at the layer (and every later one with {@code to_end}), sample the benign test prompts
 * {@code test_repeats} times each, and score every sample.
 */
final class RefusalInduction {
    private static final Logger LOG = LoggerFactory.getLogger(RefusalInduction.class);
    private static final String EXTRACTION_META = "extraction_seconds";

    private final LanguageModel model;
    private final boolean chat;
    private final StudyPrompts prompts;
    private final FamilySweepConfig.SweepPrompts sizes;
    private final ExperimentConfig.Generation generation;
    private final HookPoint.Kind hook;
    private final boolean toEnd;
    private final Progress progress;
    private final CompletionScorer scorer = CompletionScorer.defaults();
    private Cosmic.Selection cosmic;
    private DifferenceInMeans.Candidates cosmicCandidates;

    /**
     * The prompt sets of a study.
     *
     * @param harmful  harmful prompts (extraction)
     * @param harmless harmless prompts (extraction)
     * @param test     benign test prompts, none of them used for extraction
     */
    record StudyPrompts(List<Prompt> harmful, List<Prompt> harmless, List<Prompt> test) {
    }

    /**
     * A direction and how long its extraction took.
     *
     * @param vector  the raw direction
     * @param seconds extraction time in seconds, to the millisecond (measured when it was built, kept in the file's
     *                metadata; the first COSMIC layer of a model includes COSMIC's selection over all layers)
     */
    record Extracted(SteeringVector vector, double seconds) {
        /** A saved direction with the extraction time of its metadata (NaN when it has none). */
        static Extracted of(SteeringVector v) {
            return new Extracted(v, Double.parseDouble(v.metadata().getOrDefault(EXTRACTION_META, "NaN")));
        }
    }

    RefusalInduction(LanguageModel model, boolean chat, StudyPrompts prompts, FamilySweepConfig.SweepPrompts sizes,
                     ExperimentConfig.Generation generation, String hookPoint, String steerRange, Progress progress) {
        this.model = model;
        this.chat = chat;
        this.prompts = prompts;
        this.sizes = sizes;
        this.generation = generation;
        this.hook = HookPoint.Kind.parse(hookPoint);
        this.toEnd = "to_end".equals(steerRange);
        this.progress = progress;
    }

    /** The number of layers of the model. */
    int numLayers() {
        return model.config().numLayers();
    }

    /**
     * The direction of {@code method} at {@code layer}, read from {@code file} when an earlier run saved it, else
     * extracted and saved there.
     */
    Extracted direction(String method, int layer, Path file) {
        if (Files.exists(file)) {
            return Extracted.of(SteeringVector.load(file));
        }
        long t0 = System.nanoTime();
        SteeringVector v = "cosmic".equals(method) ? cosmicAt(layer) : dimAt(layer);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, String> meta = new LinkedHashMap<>(v.metadata());
        meta.put(EXTRACTION_META, String.format(Locale.ROOT, "%.3f", seconds));
        SteeringVector out = new SteeringVector(v.raw(), meta);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + file.getParent() + ": " + e.getMessage(), e);
        }
        out.save(file, false);
        return Extracted.of(out);
    }

    /** DIM from the first {@code dim_n} harmful and harmless prompts, read at the configured hook. */
    private SteeringVector dimAt(int layer) {
        return dim(sizes.dimN(), 0).build(model, new HookPoint(layer, hook)).vector();
    }

    /**
     * COSMIC's choice restricted to one layer: its selection is run once per model (candidates from the first
     * {@code cosmic_n} prompts of each set, validation on the next {@code cosmic_val_n}), and at {@code layer} the
     * candidate position with the highest {@code S_abl + S_add} among those COSMIC kept (among all when it kept none
     * there) is taken. COSMIC's candidates are block inputs ({@code resid_pre}).
     */
    private SteeringVector cosmicAt(int layer) {
        if (cosmic == null) {
            DifferenceInMeans d = dim(sizes.cosmicN(), 0);
            List<String> hv = texts(prompts.harmful(), sizes.cosmicN(), sizes.cosmicValN());
            List<String> sv = texts(prompts.harmless(), sizes.cosmicN(), sizes.cosmicValN());
            d = chat ? d.validationChat(model, hv, sv) : d.validation(hv, sv);
            cosmic = Cosmic.of(d).select(model);
            cosmicCandidates = d.candidates(model);
            LOG.info("{}: COSMIC selects position {} at layer {} over all layers", model.id(), cosmic.position(),
                    cosmic.layer());
        }
        Cosmic.Candidate best = cosmic.table().stream().filter(c -> c.layer() == layer && !Double.isNaN(c.score()))
                .max(Comparator.comparing(Cosmic.Candidate::kept).thenComparingDouble(Cosmic.Candidate::score))
                .orElseThrow(() -> new IllegalStateException("COSMIC has no scored candidate at layer " + layer
                        + " of " + model.id()));
        double[] r = cosmicCandidates.r(best.position(), layer);
        float[] f = new float[r.length];
        for (int i = 0; i < r.length; i++) {
            f[i] = (float) r[i];
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("method", "cosmic");
        meta.put("model", model.id());
        meta.put("hook", HookPoint.residPre(layer).name());
        meta.put("position", Integer.toString(best.position()));
        meta.put("s_abl", Double.toString(best.sAbl()));
        meta.put("s_add", Double.toString(best.sAdd()));
        meta.put("kept_by_cosmic", Boolean.toString(best.kept()));
        meta.put("cosmic_selected_layer", Integer.toString(cosmic.layer()));
        return new SteeringVector(f, meta);
    }

    private DifferenceInMeans dim(int n, int from) {
        List<String> harmful = texts(prompts.harmful(), from, n);
        List<String> harmless = texts(prompts.harmless(), from, n);
        DifferenceInMeans d = chat ? DifferenceInMeans.ofChat(model, harmful, harmless)
                : DifferenceInMeans.of(harmful, harmless);
        return d.batchSize(generation.batchSize());
    }

    private static List<String> texts(List<Prompt> ps, int from, int n) {
        if (from + n > ps.size()) {
            throw new IllegalArgumentException("need " + (from + n) + " extraction prompts, the set has " + ps.size());
        }
        return ps.subList(from, from + n).stream().map(Prompt::prompt).toList();
    }

    /** The edits adding {@code multiplier · v} at {@code layer} (and every later layer with {@code to_end}). */
    List<Edit> edits(SteeringVector v, int layer, double multiplier) {
        List<Edit> out = new ArrayList<>();
        int last = toEnd ? numLayers() - 1 : layer;
        for (int l = layer; l <= last; l++) {
            out.add(new Edit(new HookPoint(l, hook), Add.multiplier(multiplier), v, Positions.all()));
        }
        return out;
    }

    /**
     * The steering test: each of the first {@code test_n} test prompts sampled {@code repeats} times with the edits,
     * one row per sample with {@code base}'s columns first.
     */
    List<Map<String, Object>> test(List<Edit> edits, int repeats, long seed, Map<String, Object> base, String label) {
        long t0 = System.nanoTime();
        List<Prompt> test = prompts.test().subList(0, Math.min(sizes.testN(), prompts.test().size()));
        List<TokenizedPrompt> batch = new ArrayList<>();
        Map<String, int[]> origin = new LinkedHashMap<>();
        for (int r = 0; r < repeats; r++) {
            for (int i = 0; i < test.size(); i++) {
                Prompt p = test.get(i);
                String id = p.id() + "#" + r;
                batch.add(new TokenizedPrompt(id, p.prompt(), model.encodePrompt(p.prompt(), chat)));
                origin.put(id, new int[]{i, r});
            }
        }
        List<Completion> out = StudyRunner.generate(new SteeredModel(model, edits), batch,
                StudyRunner.generation(generation, seed), progress, label);
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Completion c : out) {
            int[] at = origin.get(c.promptId());
            CompletionScores s = scorer.score(c.text());
            boolean refusal = s.refusal().isRefusal();
            Quality q = s.quality().quality();
            Map<String, Object> row = new LinkedHashMap<>(base);
            row.put(SweepColumns.CONDITION_S, seconds);
            row.put(SweepColumns.PROMPT_ID, test.get(at[0]).id());
            row.put(SweepColumns.SAMPLE, at[1]);
            row.put(SweepColumns.PROMPT, c.prompt());
            row.put(SweepColumns.COMPLETION, c.text());
            row.put(SweepColumns.N_TOKENS, c.length());
            row.put(SweepColumns.REFUSAL_SCORE, Math.round(s.refusal().refusalScore() * 1e4) / 1e4);
            row.put(SweepColumns.IS_REFUSAL, refusal);
            row.put(SweepColumns.COHERENT_REFUSAL, refusal && q == Quality.COHERENT);
            row.put(SweepColumns.GARBLED_REFUSAL, refusal && ConditionStats.isGarbled(q.label()));
            row.put(SweepColumns.QUALITY, q.label());
            row.put(SweepColumns.SEED, seed);
            rows.add(row);
        }
        return rows;
    }

}
