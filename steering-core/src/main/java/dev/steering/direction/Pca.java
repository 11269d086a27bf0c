package dev.steering.direction;

import dev.steering.hooks.HookPoint;
import dev.steering.model.ForwardGraph;
import dev.steering.model.LanguageModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The first principal component of paired activation differences, as in repeng (docs/methods.md §4,
 * "PCA directions"): each pair is a positive and a negative prompt, read at the last token of the hook (repeng reads
 * the block output, {@code hidden_states[l+1]}, so use {@link HookPoint#residPost}).
 *
 * <p><b>Centering is deliberate</b> (methods.md pitfall 6, "sklearn PCA centers the data"):
 * <ul>
 *   <li>{@link Centering#PCA_CENTER} (the default): rows {@code ±(h⁺−h⁻)/2}. The rows come in ± pairs, so their mean
 *       is exactly zero and centering changes nothing; PC1 is the dominant direction of the differences
 *       themselves, the mean difference when the pairs agree.</li>
 *   <li>{@link Centering#PCA_DIFF}: rows {@code h⁺−h⁻} minus their mean, as sklearn's {@code PCA(1)} does in
 *       repeng's default. This removes the mean difference before looking for the component: when all pairs
 *       differ along the same direction (the usual case for a good contrast), that direction is subtracted away
 *       and PC1 is whatever the residual variation is (methods.md reports {@code |cos(PC1, mean diff)| = 0.02}
 *       in such a synthetic test), so it is offered only for parity with repeng.</li>
 * </ul>
 * The component has unit norm and its sign is flipped if more pairs have {@code proj(h⁺) < proj(h⁻)} (repeng's
 * rule). PC1 is found by power iteration in double precision on the {@code n×n} Gram matrix of the rows (cheap
 * when there are fewer pairs than hidden dimensions).
 *
 * <p>Statistics: {@code rawNorm} is 1 (the vector is unit), {@code nPrompts} the pair count, and the split-half
 * value is the cosine between the PC1s of two random halves of the pairs.
 *
 * <p>Immutable: every setter returns a new instance.
 */
public final class Pca implements DirectionMethod {
    /** How rows are built and centred. */
    public enum Centering {
        /** Rows {@code ±(h⁺−h⁻)/2} (mean zero by construction). */
        PCA_CENTER,
        /** Rows {@code h⁺−h⁻}, mean-centred (sklearn, repeng's default). */
        PCA_DIFF;

        /** The repeng spelling, e.g. {@code pca_center}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final int MAX_ITERATIONS = 10_000;
    private static final double TOLERANCE = 1e-13;

    private final Prompts positive;
    private final Prompts negative;
    private final Centering centering;
    private final int batchSize;

    private Pca(Prompts positive, Prompts negative, Centering centering, int batchSize) {
        this.positive = positive;
        this.negative = negative;
        this.centering = centering;
        this.batchSize = batchSize;
    }

    /** Pairs of positive and negative texts (same length lists, pair {@code i} = {@code (pos[i], neg[i])}). */
    public static Pca of(List<String> positive, List<String> negative) {
        checkPairs(positive.size(), negative.size());
        return new Pca(Prompts.ofTexts(positive, "PCA"), Prompts.ofTexts(negative, "PCA"), Centering.PCA_CENTER, 8);
    }

    /** Pairs given as token ids. */
    public static Pca ofTokens(List<long[]> positive, List<long[]> negative) {
        checkPairs(positive.size(), negative.size());
        return new Pca(Prompts.ofTokens(positive, "PCA"), Prompts.ofTokens(negative, "PCA"), Centering.PCA_CENTER, 8);
    }

    /** The centering (default {@link Centering#PCA_CENTER}). */
    public Pca centering(Centering c) {
        return new Pca(positive, negative, java.util.Objects.requireNonNull(c), batchSize);
    }

    /** Prompts per forward batch. */
    public Pca batchSize(int b) {
        if (b < 1) {
            throw new IllegalArgumentException("batch size must be ≥ 1");
        }
        return new Pca(positive, negative, centering, b);
    }

    @Override
    public String name() {
        return "pca";
    }

    @Override
    public DirectionResult build(LanguageModel model, HookPoint hook) {
        hook.checkWithin(model.config().numLayers());
        List<long[]> pos = positive.encode(model);
        List<long[]> neg = negative.encode(model);
        ForwardGraph g = model.graph(List.of());
        List<double[]> hp = ActivationReads.rows(g, pos, hook, -1, batchSize);
        List<double[]> hn = ActivationReads.rows(g, neg, hook, -1, batchSize);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("method", name());
        meta.put("centering", centering.label());
        meta.put("position", "-1");
        meta.put("n_pairs", Integer.toString(pos.size()));
        meta.put("positive_set_hash", PromptHash.of(pos));
        meta.put("negative_set_hash", PromptHash.of(neg));
        meta.put(ProvenanceMetadata.BOS, positive.bosLabel());
        return result(hp, hn, centering, ProvenanceMetadata.describe(model, hook, meta));
    }

    /** PC1 with statistics, from activations already read. */
    public static DirectionResult result(List<double[]> hPos, List<double[]> hNeg, Centering centering,
                                         Map<String, String> metadata) {
        double[] pc = firstComponent(hPos, hNeg, centering);
        double split = Double.NaN;
        if (hPos.size() >= 4) {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < hPos.size(); i++) {
                idx.add(i);
            }
            java.util.Collections.shuffle(idx, new Random(MeanDifference.SPLIT_SEED));
            int h = idx.size() / 2;
            split = MeanDifference.cosine(
                    firstComponent(pick(hPos, idx.subList(0, h)), pick(hNeg, idx.subList(0, h)), centering),
                    firstComponent(pick(hPos, idx.subList(h, idx.size())), pick(hNeg, idx.subList(h, idx.size())), centering));
        }
        SteeringVector v = MeanDifference.vector(pc, metadata, "the first principal component");
        return new DirectionResult(v, new DirectionStats(v.norm(), hPos.size(), split));
    }

    /**
     * The unit first principal component of the paired differences {@code hPos[i] − hNeg[i]}, centred as
     * {@code centering} says, with repeng's sign rule.
     *
     * @throws IllegalArgumentException if the rows have no variance (e.g. every difference is zero)
     */
    public static double[] firstComponent(List<double[]> hPos, List<double[]> hNeg, Centering centering) {
        checkPairs(hPos.size(), hNeg.size());
        int n = hPos.size();
        List<double[]> diffs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] d = hPos.get(i).clone();
            for (int j = 0; j < d.length; j++) {
                d[j] -= hNeg.get(i)[j];
            }
            diffs.add(d);
        }
        // PCA_CENTER's rows ±d/2 have mean zero and Gram-equivalent covariance ½·DᵀD, so the diffs themselves give
        // the same component; PCA_DIFF subtracts the mean difference first, like sklearn.
        List<double[]> rows = diffs;
        if (centering == Centering.PCA_DIFF) {
            double[] mean = MeanDifference.mean(diffs);
            rows = new ArrayList<>();
            for (double[] d : diffs) {
                double[] c = d.clone();
                for (int j = 0; j < c.length; j++) {
                    c[j] -= mean[j];
                }
                rows.add(c);
            }
        }
        double[] pc = topComponent(rows);
        int below = 0;
        int above = 0;
        for (double[] d : diffs) {
            double proj = dot(d, pc);          // proj(h⁺) − proj(h⁻)
            if (proj < 0) {
                below++;
            } else if (proj > 0) {
                above++;
            }
        }
        if (below > above) {
            for (int j = 0; j < pc.length; j++) {
                pc[j] = -pc[j];
            }
        }
        return pc;
    }

    /** The unit top right-singular vector of the rows, by power iteration on their Gram matrix. */
    static double[] topComponent(List<double[]> rows) {
        int n = rows.size();
        double[][] gram = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = a; b < n; b++) {
                gram[a][b] = gram[b][a] = dot(rows.get(a), rows.get(b));
            }
        }
        double[] u = new double[n];
        Random rnd = new Random(42);
        for (int i = 0; i < n; i++) {
            u[i] = 1 + 0.1 * rnd.nextDouble();
        }
        normalize(u);
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            double[] next = new double[n];
            for (int a = 0; a < n; a++) {
                next[a] = dot(gram[a], u);
            }
            if (normalize(next) == 0) {
                throw new IllegalArgumentException("the paired differences have no variance: PCA is undefined");
            }
            double change = 0;
            for (int i = 0; i < n; i++) {
                change = Math.max(change, Math.abs(next[i] - u[i]));
            }
            u = next;
            if (change < TOLERANCE) {
                break;
            }
        }
        double[] v = new double[rows.get(0).length];
        for (int a = 0; a < n; a++) {
            for (int j = 0; j < v.length; j++) {
                v[j] += u[a] * rows.get(a)[j];
            }
        }
        if (normalize(v) < 1e-12) {
            throw new IllegalArgumentException("the paired differences have no variance: PCA is undefined");
        }
        return v;
    }

    private static double normalize(double[] x) {
        double norm = Math.sqrt(dot(x, x));
        if (norm > 0) {
            for (int i = 0; i < x.length; i++) {
                x[i] /= norm;
            }
        }
        return norm;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static List<double[]> pick(List<double[]> rows, List<Integer> idx) {
        return idx.stream().map(rows::get).toList();
    }

    private static void checkPairs(int pos, int neg) {
        if (pos != neg) {
            throw new IllegalArgumentException("PCA needs pairs: got " + pos + " positive and " + neg + " negative prompts");
        }
        if (pos < 2) {
            throw new IllegalArgumentException("PCA needs at least 2 pairs, got " + pos);
        }
    }
}
