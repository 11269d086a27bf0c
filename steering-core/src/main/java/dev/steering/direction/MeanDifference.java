package dev.steering.direction;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The mean of per-prompt difference vectors, accumulated in double precision, with its split-half stability.
 * Shared by every method whose direction is a mean difference (contrastive prefixes, difference in means, CAA,
 * outcome-conditioned).
 */
public final class MeanDifference {
    /** Seed of the random halves, fixed so statistics are reproducible. */
    static final long SPLIT_SEED = 1234;

    private MeanDifference() {
    }

    /** {@code mean_i diffs[i]} in double precision. */
    public static double[] mean(List<double[]> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no rows to average");
        }
        double[] m = new double[rows.get(0).length];
        for (double[] r : rows) {
            for (int j = 0; j < m.length; j++) {
                m[j] += r[j];
            }
        }
        for (int j = 0; j < m.length; j++) {
            m[j] /= rows.size();
        }
        return m;
    }

    /** {@code mean(a) − mean(b)} (two groups of activations, e.g. harmful and harmless prompts). */
    public static double[] meanDifference(List<double[]> a, List<double[]> b) {
        double[] ma = mean(a);
        double[] mb = mean(b);
        for (int j = 0; j < ma.length; j++) {
            ma[j] -= mb[j];
        }
        return ma;
    }

    /**
     * The direction {@code mean_i diffs[i]} with statistics and metadata.
     *
     * @param what describes the direction in the zero-norm error (e.g. "contrastive direction at blocks.3...")
     */
    public static DirectionResult of(List<double[]> diffs, Map<String, String> metadata, String what) {
        double[] m = mean(diffs);
        SteeringVector v;
        try {
            v = new SteeringVector(toFloats(m), metadata);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is ~0 (" + e.getMessage() + ")", e);
        }
        return new DirectionResult(v, new DirectionStats(v.norm(), diffs.size(), splitHalf(diffs)));
    }

    /** Cosine between the means of two random halves (NaN for fewer than two rows). */
    public static double splitHalf(List<double[]> rows) {
        if (rows.size() < 2) {
            return Double.NaN;
        }
        List<double[]> shuffled = new ArrayList<>(rows);
        Collections.shuffle(shuffled, new Random(SPLIT_SEED));
        int h = shuffled.size() / 2;
        return cosine(mean(shuffled.subList(0, h)), mean(shuffled.subList(h, shuffled.size())));
    }

    /** Cosine similarity (NaN if either vector is zero). */
    public static double cosine(double[] a, double[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return aa == 0 || bb == 0 ? Double.NaN : ab / Math.sqrt(aa * bb);
    }

    /** Cosine similarity of two float vectors. */
    public static double cosine(float[] a, float[] b) {
        return cosine(toDoubles(a), toDoubles(b));
    }

    static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
