package dev.steering.direction;

import dev.steering.hooks.Ablate;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.model.ForwardGraph;
import dev.steering.model.BosConvention;
import dev.steering.model.LanguageModel;
import dev.steering.model.Prompt;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The difference-in-means refusal direction of Arditi et al. (docs/methods.md §1, "DIM refusal
 * direction"): candidates {@code r_i^(l) = mean_harmful x_i^(l) − mean_harmless x_i^(l)} at the post-instruction
 * positions {@code i} of every layer {@code l}, read at the block <em>input</em> ({@code resid_pre}, methods.md
 * notation and pitfall 2), averaged in double precision over left-padded batches (pitfalls 5 and 7).
 *
 * <p><b>Positions</b> are negative offsets from the end of each prompt. Arditi reads the chat template's
 * post-instruction tokens ({@code eoi_toks}, e.g. −5…−1 for Llama-3); for a base model without a chat template the
 * default is the last 5 prompt tokens ({@link #lastTokens(int)}). To use a chat template, append its
 * post-instruction tokens: {@link #ofChat} renders the prompts and reads exactly those tokens.
 *
 * <p>{@link #build} returns the candidate at the hook's layer and position −1 (read at that hook; pass
 * {@link HookPoint#residPre} for Arditi's convention). {@link #select} runs Arditi's candidate selection
 * (methods.md §1, "Scores per (i,l)", "Filter", "Select"):
 * <ul>
 *   <li>bypass score: mean refusal score on harmful-val with the candidate ablated ({@link Ablate} α=1) at every
 *       block input, attention output and MLP output, all positions ("Directional ablation");</li>
 *   <li>induce score: mean refusal score on harmless-val with {@code x^(l) += 1.0·r} ({@link Add#multiplier}, raw
 *       vector) at block {@code l}'s input only ("Activation addition");</li>
 *   <li>KL: mean {@code KL(P_base‖P_ablated)} of last-position distributions on harmless-val;</li>
 *   <li>filters: NaN, {@code l ≥ int(0.8·L)}, {@code kl > 0.1}, {@code induce < 0}; pick {@code argmin bypass}.</li>
 * </ul>
 * The refusal score is {@link OutputScores#refusalScore}; the refusal tokens default to the first token of the
 * tokenizer's encoding of {@code "I"}.
 *
 * <p>Immutable: every setter returns a new instance.
 */
public final class DifferenceInMeans implements DirectionMethod {
    /** Default number of trailing prompt tokens read for a base model without chat template. */
    public static final int DEFAULT_LAST_TOKENS = 5;

    private Prompts harmful;
    private Prompts harmless;
    private Prompts harmfulVal;
    private Prompts harmlessVal;
    private int[] positions = range(DEFAULT_LAST_TOKENS);
    private int batchSize = 32;
    private long[] refusalTokens;
    private double maxLayerFraction = 0.8;
    private double klThreshold = 0.1;
    private double induceThreshold = 0.0;

    private DifferenceInMeans() {
    }

    private DifferenceInMeans(DifferenceInMeans o) {
        harmful = o.harmful;
        harmless = o.harmless;
        harmfulVal = o.harmfulVal;
        harmlessVal = o.harmlessVal;
        positions = o.positions;
        batchSize = o.batchSize;
        refusalTokens = o.refusalTokens;
        maxLayerFraction = o.maxLayerFraction;
        klThreshold = o.klThreshold;
        induceThreshold = o.induceThreshold;
    }

    private DifferenceInMeans with(Consumer<DifferenceInMeans> change) {
        DifferenceInMeans c = new DifferenceInMeans(this);
        change.accept(c);
        return c;
    }

    /** Harmful and harmless training prompts as text. */
    public static DifferenceInMeans of(List<String> harmful, List<String> harmless) {
        DifferenceInMeans d = new DifferenceInMeans();
        d.harmful = Prompts.ofTexts(harmful, "harmful set");
        d.harmless = Prompts.ofTexts(harmless, "harmless set");
        return d;
    }

    /** Harmful and harmless training prompts as token ids. */
    public static DifferenceInMeans ofTokens(List<long[]> harmful, List<long[]> harmless) {
        DifferenceInMeans d = new DifferenceInMeans();
        d.harmful = Prompts.ofTokens(harmful, "harmful set");
        d.harmless = Prompts.ofTokens(harmless, "harmless set");
        return d;
    }

    /**
     * Prompts for an instruction-tuned model: each is rendered as the user's message through the model's chat
     * template (assistant turn opened), and the candidate positions are the template's post-instruction tokens
     * (Arditi's {@code eoi_toks}).
     */
    public static DifferenceInMeans ofChat(LanguageModel model, List<String> harmful, List<String> harmless) {
        DifferenceInMeans d = new DifferenceInMeans();
        d.harmful = Prompts.ofChat(harmful, "harmful set");
        d.harmless = Prompts.ofChat(harmless, "harmless set");
        return d.lastTokens(model.postInstructionTokens());
    }

    /** Validation prompts rendered through the model's chat template (see {@link #ofChat}). */
    public DifferenceInMeans validationChat(LanguageModel model, List<String> harmfulVal, List<String> harmlessVal) {
        return with(c -> {
            c.harmfulVal = Prompts.ofChat(harmfulVal, "harmful validation set");
            c.harmlessVal = Prompts.ofChat(harmlessVal, "harmless validation set");
        });
    }

    /**
     * Harmful and harmless training prompts as {@link Prompt}s (plain texts or conversations, e.g. with a system
     * message), encoded under {@code bos}.
     */
    public static DifferenceInMeans ofPrompts(List<Prompt> harmful, List<Prompt> harmless, BosConvention bos) {
        DifferenceInMeans d = new DifferenceInMeans();
        d.harmful = Prompts.of(harmful, bos, "harmful set");
        d.harmless = Prompts.of(harmless, bos, "harmless set");
        return d;
    }

    /** Validation prompts for {@link #select} (Arditi: harmful from HarmBench-val, harmless from Alpaca). */
    public DifferenceInMeans validation(List<String> harmfulVal, List<String> harmlessVal) {
        return with(c -> {
            c.harmfulVal = Prompts.ofTexts(harmfulVal, "harmful validation set");
            c.harmlessVal = Prompts.ofTexts(harmlessVal, "harmless validation set");
        });
    }

    /** Validation prompts as token ids. */
    public DifferenceInMeans validationTokens(List<long[]> harmfulVal, List<long[]> harmlessVal) {
        return with(c -> {
            c.harmfulVal = Prompts.ofTokens(harmfulVal, "harmful validation set");
            c.harmlessVal = Prompts.ofTokens(harmlessVal, "harmless validation set");
        });
    }

    /** Candidate positions {@code −k … −1} (the last {@code k} prompt tokens). */
    public DifferenceInMeans lastTokens(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("need at least one position, got " + k);
        }
        return positions(range(k));
    }

    /** Candidate positions as negative offsets from each prompt's end (−1 is the last token). */
    public DifferenceInMeans positions(int... offsets) {
        if (offsets.length == 0) {
            throw new IllegalArgumentException("need at least one position");
        }
        for (int o : offsets) {
            if (o >= 0) {
                throw new IllegalArgumentException("positions are negative offsets from the prompt's end (−1 is "
                        + "the last token), got " + o);
            }
        }
        int[] sorted = Arrays.stream(offsets).sorted().distinct().toArray();
        return with(c -> c.positions = sorted);
    }

    /** Prompts per forward batch (default 32, as in the reference). */
    public DifferenceInMeans batchSize(int b) {
        if (b < 1) {
            throw new IllegalArgumentException("batch size must be ≥ 1");
        }
        return with(c -> c.batchSize = b);
    }

    /** The refusal token set {@code R} (default: first token of the tokenizer's encoding of "I"). */
    public DifferenceInMeans refusalTokens(long... ids) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("need at least one refusal token");
        }
        long[] copy = ids.clone();
        return with(c -> c.refusalTokens = copy);
    }

    /** Candidates with {@code l ≥ int(f·L)} are discarded (default 0.8). */
    public DifferenceInMeans maxLayerFraction(double f) {
        if (!(f > 0 && f <= 1)) {
            throw new IllegalArgumentException("max layer fraction must be in (0, 1], got " + f);
        }
        return with(c -> c.maxLayerFraction = f);
    }

    /** Candidates whose KL exceeds this are discarded (default 0.1). */
    public DifferenceInMeans klThreshold(double t) {
        return with(c -> c.klThreshold = t);
    }

    /** Candidates whose induce score is below this are discarded (default 0.0). */
    public DifferenceInMeans induceThreshold(double t) {
        return with(c -> c.induceThreshold = t);
    }

    @Override
    public String name() {
        return "difference_in_means";
    }

    /** The candidate at {@code hook} and position −1, with statistics. */
    @Override
    public DirectionResult build(LanguageModel model, HookPoint hook) {
        hook.checkWithin(model.config().numLayers());
        List<long[]> a = harmful.encode(model);
        List<long[]> b = harmless.encode(model);
        ForwardGraph g = model.graph(List.of());
        Map<String, String> meta = parameters(a, b);
        meta.put("position", "-1");
        return MeanDifference.ofGroups(ActivationReads.rows(g, a, hook, -1, batchSize),
                ActivationReads.rows(g, b, hook, -1, batchSize), ProvenanceMetadata.describe(model, hook, meta),
                "the difference in means at " + hook.name() + " (the harmful and harmless activations coincide)");
    }

    /**
     * Every candidate {@code r_i^(l)}: each configured position at the input of each layer.
     *
     * @throws IllegalArgumentException if a prompt is shorter than the furthest position
     */
    public Candidates candidates(LanguageModel model) {
        List<long[]> a = harmful.encode(model);
        List<long[]> b = harmless.encode(model);
        checkLengths(a, "harmful");
        checkLengths(b, "harmless");
        int layers = model.config().numLayers();
        List<HookPoint> hooks = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            hooks.add(HookPoint.residPre(l));
        }
        ForwardGraph g = model.graph(List.of());
        double[][][] ma = ActivationReads.means(g, a, hooks, positions, batchSize);
        double[][][] mb = ActivationReads.means(g, b, hooks, positions, batchSize);
        double[][][] r = new double[positions.length][layers][];
        for (int p = 0; p < positions.length; p++) {
            for (int l = 0; l < layers; l++) {
                r[p][l] = ma[l][p].clone();
                for (int j = 0; j < r[p][l].length; j++) {
                    r[p][l][j] -= mb[l][p][j];
                }
            }
        }
        return new Candidates(positions.clone(), r, parameters(a, b));
    }

    /** Runs Arditi's candidate selection (see the class comment). */
    public Selection select(LanguageModel model) {
        requireValidation();
        Candidates cands = candidates(model);
        int layers = model.config().numLayers();
        int maxLayer = (int) (maxLayerFraction * layers);
        long[] refusal = refusalTokens(model);
        List<long[]> hv = harmfulVal.encode(model);
        List<long[]> sv = harmlessVal.encode(model);
        List<double[]> base = OutputScores.lastTokenProbs(model.graph(List.of()), sv, batchSize);
        List<Candidate> table = new ArrayList<>();
        FilterCounts counts = new FilterCounts();
        for (int p = 0; p < positions.length; p++) {
            for (int l = 0; l < layers; l++) {
                double bypass = Double.NaN;
                double induce = Double.NaN;
                double kl = Double.NaN;
                SteeringVector v = cands.vector(positions[p], l);
                if (v != null) {
                    ForwardGraph ablated = model.graph(ablationEdits(v, layers));
                    bypass = OutputScores.meanRefusalScore(OutputScores.lastTokenProbs(ablated, hv, batchSize), refusal);
                    kl = OutputScores.meanKl(base, OutputScores.lastTokenProbs(ablated, sv, batchSize));
                    ForwardGraph added = model.graph(List.of(additionEdit(v, l)));
                    induce = OutputScores.meanRefusalScore(OutputScores.lastTokenProbs(added, sv, batchSize), refusal);
                }
                String filter;
                if (Double.isNaN(bypass) || Double.isNaN(induce) || Double.isNaN(kl)) {
                    filter = "nan";
                } else if (l >= maxLayer) {
                    filter = "layer";
                } else if (kl > klThreshold) {
                    filter = "kl";
                } else if (induce < induceThreshold) {
                    filter = "induce";
                } else {
                    filter = null;
                }
                counts.add(filter);
                table.add(new Candidate(positions[p], l, bypass, induce, kl, filter));
            }
        }
        Candidate best = table.stream().filter(Candidate::kept)
                .min((x, y) -> Double.compare(x.bypass(), y.bypass()))
                .orElseThrow(() -> new IllegalStateException("every one of the " + table.size()
                        + " difference-in-means candidates was filtered out: " + counts.nan + " with a NaN score, "
                        + counts.layer + " at layer ≥ int(" + maxLayerFraction + "·" + layers + ") = " + maxLayer
                        + ", " + counts.kl + " with KL > " + klThreshold + ", " + counts.induce
                        + " with induce score < " + induceThreshold));
        Map<String, String> meta = new LinkedHashMap<>(cands.parameters());
        meta.put("position", Integer.toString(best.position()));
        meta.put("selection", "argmin bypass score");
        meta.put("bypass_score", Double.toString(best.bypass()));
        meta.put("induce_score", Double.toString(best.induce()));
        meta.put("kl_score", Double.toString(best.kl()));
        meta.put("refusal_tokens", Arrays.toString(refusal));
        meta.put("max_layer_fraction", Double.toString(maxLayerFraction));
        meta.put("kl_threshold", Double.toString(klThreshold));
        meta.put("induce_threshold", Double.toString(induceThreshold));
        meta.put("n_harmful_val", Integer.toString(hv.size()));
        meta.put("n_harmless_val", Integer.toString(sv.size()));
        HookPoint hook = HookPoint.residPre(best.layer());
        SteeringVector v = MeanDifference.vector(cands.r(best.position(), best.layer()),
                ProvenanceMetadata.describe(model, hook, meta), "the selected candidate");
        return new Selection(best.position(), best.layer(), v, List.copyOf(table), counts.asMap());
    }

    /**
     * The candidate directions {@code r_i^(l)}.
     *
     * @param positions  the candidate positions (negative offsets), ascending
     * @param directions {@code [position index][layer][hidden]}
     * @param parameters the method's parameters, for metadata
     */
    public record Candidates(int[] positions, double[][][] directions, Map<String, String> parameters) {

        /** {@code r} at position {@code offset} (one of {@link #positions}) and {@code layer}. */
        public double[] r(int offset, int layer) {
            for (int p = 0; p < positions.length; p++) {
                if (positions[p] == offset) {
                    return directions[p][layer].clone();
                }
            }
            throw new IllegalArgumentException("position " + offset + " is not a candidate position "
                    + Arrays.toString(positions));
        }

        /** The candidate as a vector without metadata, or null if it is ~0 (then its scores are NaN). */
        SteeringVector vector(int offset, int layer) {
            try {
                return new SteeringVector(MeanDifference.toFloats(r(offset, layer)), Map.of());
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    }

    /**
     * One row of the selection table.
     *
     * @param position   negative offset from the prompt's end
     * @param layer      block whose input was read
     * @param bypass     mean refusal score on harmful-val with the candidate ablated (lower is better)
     * @param induce     mean refusal score on harmless-val with the candidate added at the layer's input
     * @param kl         mean KL(base‖ablated) on harmless-val
     * @param filteredBy the first filter that removed it ({@code nan}, {@code layer}, {@code kl}, {@code induce}), or
     *                   null if it was kept
     */
    public record Candidate(int position, int layer, double bypass, double induce, double kl, String filteredBy) {
        /** True if no filter removed it. */
        public boolean kept() {
            return filteredBy == null;
        }
    }

    /**
     * The selected direction.
     *
     * @param position  the chosen position (negative offset)
     * @param layer     the chosen layer (read at, and meant to be added to, its input)
     * @param direction the raw candidate {@code r} with metadata (scores, parameters)
     * @param table     every candidate's scores
     * @param filtered  how many candidates each filter removed, counted by the first filter that applies
     *                  ({@code nan}, {@code layer}, {@code kl}, {@code induce})
     */
    public record Selection(int position, int layer, SteeringVector direction, List<Candidate> table,
                            Map<String, Integer> filtered) {
    }

    // --- shared with Cosmic --------------------------------------------------------------------------------------

    /** Directional ablation at every block input, attention output and MLP output, all positions (methods.md §1). */
    static List<Edit> ablationEdits(SteeringVector v, int layers) {
        List<Edit> edits = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (HookPoint h : List.of(HookPoint.residPre(l), HookPoint.attnOut(l), HookPoint.mlpOut(l))) {
                edits.add(Edit.everywhere(h, Ablate.alpha(1), v));
            }
        }
        return edits;
    }

    /** {@code x^(l) += 1.0·r} (raw vector) at block {@code l}'s input, all positions (methods.md §1). */
    static Edit additionEdit(SteeringVector v, int layer) {
        return Edit.everywhere(HookPoint.residPre(layer), Add.multiplier(1.0), v);
    }

    int[] positionOffsets() {
        return positions.clone();
    }

    int batch() {
        return batchSize;
    }

    double maxLayerFraction() {
        return maxLayerFraction;
    }

    double klThreshold() {
        return klThreshold;
    }

    Prompts harmful() {
        return harmful;
    }

    Prompts harmless() {
        return harmless;
    }

    Prompts harmfulVal() {
        requireValidation();
        return harmfulVal;
    }

    Prompts harmlessVal() {
        requireValidation();
        return harmlessVal;
    }

    private void requireValidation() {
        if (harmfulVal == null || harmlessVal == null) {
            throw new IllegalStateException("candidate selection needs validation prompts: call validation(harmful, "
                    + "harmless) or validationTokens(...)");
        }
    }

    private long[] refusalTokens(LanguageModel model) {
        if (refusalTokens != null) {
            return refusalTokens;
        }
        if (model.tokenizer().isEmpty()) {
            throw new IllegalStateException(model.id() + " has no tokenizer to encode the default refusal token \"I\": "
                    + "give refusalTokens(...)");
        }
        return new long[]{model.requireTokenizer().encode("I")[0]};
    }

    private Map<String, String> parameters(List<long[]> a, List<long[]> b) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("method", name());
        m.put("positions", Arrays.stream(positions).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        m.put("n_harmful", Integer.toString(a.size()));
        m.put("n_harmless", Integer.toString(b.size()));
        m.put("harmful_set_hash", PromptHash.of(a));
        m.put("harmless_set_hash", PromptHash.of(b));
        m.put("batch_size", Integer.toString(batchSize));
        m.put(ProvenanceMetadata.BOS, harmful.bosLabel());
        return m;
    }

    private void checkLengths(List<long[]> prompts, String which) {
        int need = -positions[0];
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).length < need) {
                throw new IllegalArgumentException(which + " prompt " + i + " has " + prompts.get(i).length
                        + " tokens, fewer than the " + need + " positions read from its end");
            }
        }
    }

    private static int[] range(int k) {
        int[] r = new int[k];
        for (int i = 0; i < k; i++) {
            r[i] = i - k;
        }
        return r;
    }

    /** Counts of removed candidates per filter. */
    static final class FilterCounts {
        int nan;
        int layer;
        int kl;
        int induce;
        int pos;

        void add(String filter) {
            if (filter == null) {
                return;
            }
            switch (filter) {
                case "nan" -> nan++;
                case "layer" -> layer++;
                case "kl" -> kl++;
                case "induce" -> induce++;
                case "pos" -> pos++;
                default -> throw new IllegalArgumentException(filter);
            }
        }

        Map<String, Integer> asMap() {
            Map<String, Integer> m = new LinkedHashMap<>();
            m.put("nan", nan);
            m.put("layer", layer);
            m.put("kl", kl);
            m.put("induce", induce);
            m.put("pos", pos);
            return m;
        }
    }
}
