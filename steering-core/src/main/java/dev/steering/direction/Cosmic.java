package dev.steering.direction;

import dev.steering.hooks.HookPoint;
import dev.steering.model.ForwardGraph;
import dev.steering.model.LanguageModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * COSMIC direction selection ({@code wang-research-lab/COSMIC}; docs/methods.md §2): chooses among the
 * difference-in-means candidates {@code r_i^(l)} of {@link DifferenceInMeans} (same prompts, positions, batch size,
 * KL threshold and layer limit) using activation cosine similarities only, never the model's output tokens:
 * <ol>
 *   <li>{@code L_low}: with {@code h_j} the last-token output of block {@code j} ({@code resid_post}),
 *       {@code c_j = cos(mean_harmful_train h_j, mean_harmless_train h_j)}; keep the {@code int(0.10·L)} layers
 *       (at least 1) with the lowest {@code c_j}.</li>
 *   <li>Baselines {@code b⁺ = unit(mean over harmful-val and j∈L_low of h_j)}, {@code b⁻} the same on harmless-val
 *       (a mean over prompts and over the {@code L_low} layers, as methods.md states it).</li>
 *   <li>Per candidate: {@code S_abl = cos(mean_{harmful-val, L_low} h̃_j, b⁻)} with the candidate ablated
 *       everywhere, {@code S_add = cos(mean_{harmless-val, L_low} h̃_j, b⁺)} with {@code +1.0·r} added at block
 *       {@code l}'s input, and the KL of DIM.</li>
 *   <li>Filters: NaN, {@code l ≥ int(0.8·L)}, {@code KL > 0.1} (no induce threshold), and for position −1 only when
 *       there are other positions: drop layer {@code l} if it exceeds both the median over the other positions of
 *       {@code argmax_l S_abl} and that of {@code argmax_l S_add}.</li>
 *   <li>Select {@code argmax S_abl + S_add}.</li>
 * </ol>
 * The interventions are DIM's (COSMIC's {@code --affine_steering false}, "LCE"); COSMIC's default affine variant
 * (ACE) is not implemented.
 *
 * <p>Immutable: every setter returns a new instance.
 */
public final class Cosmic {
    /** Default fraction of layers kept in {@code L_low}. */
    public static final double DEFAULT_LOW_LAYER_FRACTION = 0.10;

    private final DifferenceInMeans dim;
    private final double lowLayerFraction;

    private Cosmic(DifferenceInMeans dim, double lowLayerFraction) {
        this.dim = dim;
        this.lowLayerFraction = lowLayerFraction;
    }

    /** Selects among {@code dim}'s candidates (it must have validation prompts). */
    public static Cosmic of(DifferenceInMeans dim) {
        return new Cosmic(java.util.Objects.requireNonNull(dim), DEFAULT_LOW_LAYER_FRACTION);
    }

    /** The fraction of layers in {@code L_low} (default 0.10; at least one layer is always kept). */
    public Cosmic lowLayerFraction(double f) {
        if (!(f > 0 && f <= 1)) {
            throw new IllegalArgumentException("low-layer fraction must be in (0, 1], got " + f);
        }
        return new Cosmic(dim, f);
    }

    /** The method's name, as written in metadata. */
    public String name() {
        return "cosmic";
    }

    /** Runs the selection (see the class comment). */
    public Selection select(LanguageModel model) {
        int layers = model.config().numLayers();
        int batch = dim.batch();
        int[] positions = dim.positionOffsets();
        List<long[]> hv = dim.harmfulVal().encode(model);
        List<long[]> sv = dim.harmlessVal().encode(model);
        DifferenceInMeans.Candidates cands = dim.candidates(model);
        ForwardGraph base = model.graph(List.of());

        List<HookPoint> outputs = IntStream.range(0, layers).mapToObj(HookPoint::residPost).toList();
        double[][][] ma = ActivationReads.means(base, dim.harmful().encode(model), outputs, new int[]{-1}, batch);
        double[][][] mb = ActivationReads.means(base, dim.harmless().encode(model), outputs, new int[]{-1}, batch);
        int k = Math.max(1, (int) (lowLayerFraction * layers));
        List<Integer> low = IntStream.range(0, layers).boxed()
                .sorted(Comparator.comparingDouble(j -> MeanDifference.cosine(ma[j][0], mb[j][0])))
                .limit(k).sorted().toList();
        List<HookPoint> lowHooks = low.stream().map(HookPoint::residPost).toList();
        double[] bPlus = lowLayerMean(base, hv, lowHooks, batch);
        double[] bMinus = lowLayerMean(base, sv, lowHooks, batch);
        List<double[]> baseProbs = OutputScores.lastTokenProbs(base, sv, batch);

        double[][] sAbl = new double[positions.length][layers];
        double[][] sAdd = new double[positions.length][layers];
        double[][] kl = new double[positions.length][layers];
        for (int p = 0; p < positions.length; p++) {
            for (int l = 0; l < layers; l++) {
                SteeringVector v = cands.vector(positions[p], l);
                if (v == null) {
                    sAbl[p][l] = sAdd[p][l] = kl[p][l] = Double.NaN;
                    continue;
                }
                ForwardGraph ablated = model.graph(DifferenceInMeans.ablationEdits(v, layers));
                ForwardGraph added = model.graph(List.of(DifferenceInMeans.additionEdit(v, l)));
                sAbl[p][l] = MeanDifference.cosine(lowLayerMean(ablated, hv, lowHooks, batch), bMinus);
                sAdd[p][l] = MeanDifference.cosine(lowLayerMean(added, sv, lowHooks, batch), bPlus);
                kl[p][l] = OutputScores.meanKl(baseProbs, OutputScores.lastTokenProbs(ablated, sv, batch));
            }
        }

        int maxLayer = (int) (dim.maxLayerFraction() * layers);
        int last = Arrays.binarySearch(positions, -1);
        double medAbl = Double.NaN;
        double medAdd = Double.NaN;
        if (last >= 0 && positions.length > 1) {
            medAbl = median(IntStream.range(0, positions.length).filter(p -> p != last).map(p -> argmax(sAbl[p])));
            medAdd = median(IntStream.range(0, positions.length).filter(p -> p != last).map(p -> argmax(sAdd[p])));
        }
        List<Candidate> table = new ArrayList<>();
        DifferenceInMeans.FilterCounts counts = new DifferenceInMeans.FilterCounts();
        for (int p = 0; p < positions.length; p++) {
            for (int l = 0; l < layers; l++) {
                String filter;
                if (Double.isNaN(sAbl[p][l]) || Double.isNaN(sAdd[p][l]) || Double.isNaN(kl[p][l])) {
                    filter = "nan";
                } else if (l >= maxLayer) {
                    filter = "layer";
                } else if (kl[p][l] > dim.klThreshold()) {
                    filter = "kl";
                } else if (p == last && l > medAbl && l > medAdd) {
                    filter = "pos";
                } else {
                    filter = null;
                }
                counts.add(filter);
                table.add(new Candidate(positions[p], l, sAbl[p][l], sAdd[p][l], kl[p][l], filter));
            }
        }
        Candidate best = table.stream().filter(Candidate::kept)
                .max(Comparator.comparingDouble(Candidate::score))
                .orElseThrow(() -> new IllegalStateException("every one of the " + table.size()
                        + " COSMIC candidates was filtered out: " + counts.nan + " with a NaN score, " + counts.layer
                        + " at layer ≥ int(" + dim.maxLayerFraction() + "·" + layers + ") = " + maxLayer + ", "
                        + counts.kl + " with KL > " + dim.klThreshold() + ", " + counts.pos
                        + " at position −1 above the median best layers of the other positions"));

        Map<String, String> meta = new LinkedHashMap<>(cands.parameters());
        meta.put("method", name());
        meta.put("position", Integer.toString(best.position()));
        meta.put("selection", "argmax S_abl + S_add");
        meta.put("low_layers", low.stream().map(Object::toString).collect(Collectors.joining(",")));
        meta.put("low_layer_fraction", Double.toString(lowLayerFraction));
        meta.put("s_abl", Double.toString(best.sAbl()));
        meta.put("s_add", Double.toString(best.sAdd()));
        meta.put("kl_score", Double.toString(best.kl()));
        meta.put("max_layer_fraction", Double.toString(dim.maxLayerFraction()));
        meta.put("kl_threshold", Double.toString(dim.klThreshold()));
        meta.put("n_harmful_val", Integer.toString(hv.size()));
        meta.put("n_harmless_val", Integer.toString(sv.size()));
        HookPoint hook = HookPoint.residPre(best.layer());
        SteeringVector v = MeanDifference.vector(cands.r(best.position(), best.layer()),
                ProvenanceMetadata.describe(model, hook, meta), "the selected candidate");
        return new Selection(best.position(), best.layer(), v, low, List.copyOf(table), counts.asMap());
    }

    /** The mean over prompts and {@code hooks} of the last-token activation, as a unit vector. */
    private static double[] lowLayerMean(ForwardGraph g, List<long[]> prompts, List<HookPoint> hooks, int batch) {
        double[][][] m = ActivationReads.means(g, prompts, hooks, new int[]{-1}, batch);
        double[] out = new double[m[0][0].length];
        for (double[][] byHook : m) {
            for (int j = 0; j < out.length; j++) {
                out[j] += byHook[0][j] / m.length;
            }
        }
        double norm = Math.sqrt(Arrays.stream(out).map(x -> x * x).sum());
        return Arrays.stream(out).map(x -> x / norm).toArray();
    }

    private static int argmax(double[] xs) {
        int best = -1;
        for (int i = 0; i < xs.length; i++) {
            if (!Double.isNaN(xs[i]) && (best < 0 || xs[i] > xs[best])) {
                best = i;
            }
        }
        return best;
    }

    /** The median (mean of the two middle values for an even count, like numpy). */
    private static double median(IntStream values) {
        int[] v = values.filter(x -> x >= 0).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
    }

    /**
     * One row of the COSMIC table.
     *
     * @param position   negative offset from the prompt's end
     * @param layer      block whose input the candidate was read at
     * @param sAbl       cosine of the ablated harmful-val activations to the harmless baseline
     * @param sAdd       cosine of the steered harmless-val activations to the harmful baseline
     * @param kl         mean KL(base‖ablated) on harmless-val
     * @param filteredBy the first filter that removed it ({@code nan}, {@code layer}, {@code kl}, {@code pos}), or
     *                   null if kept
     */
    public record Candidate(int position, int layer, double sAbl, double sAdd, double kl, String filteredBy) {
        /** {@code S_abl + S_add}, maximised. */
        public double score() {
            return sAbl + sAdd;
        }

        /** True if no filter removed it. */
        public boolean kept() {
            return filteredBy == null;
        }
    }

    /**
     * The selected direction.
     *
     * @param position  chosen position
     * @param layer     chosen layer (its input)
     * @param direction the raw candidate with metadata
     * @param lowLayers {@code L_low}, ascending
     * @param table     every candidate's scores
     * @param filtered  how many candidates each filter removed (first filter that applies; {@code induce} is
     *                  always 0, COSMIC has no induce threshold)
     */
    public record Selection(int position, int layer, SteeringVector direction, List<Integer> lowLayers,
                            List<Candidate> table, Map<String, Integer> filtered) {
    }
}
