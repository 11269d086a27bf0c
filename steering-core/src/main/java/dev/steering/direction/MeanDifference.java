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
        SteeringVector v = vector(m, metadata, what);
        return new DirectionResult(v, new DirectionStats(v.norm(), diffs.size(), splitHalf(diffs)));
    }

    /**
     * The direction {@code mean(a) − mean(b)} of two unpaired groups (e.g. harmful and harmless prompts) with
     * statistics: {@code nPrompts} counts both groups, and the split-half cosine compares the differences of
     * random halves of each group (NaN if either group has fewer than two rows).
     *
     * @param what describes the direction in the zero-norm error
     */
    public static DirectionResult ofGroups(List<double[]> a, List<double[]> b, Map<String, String> metadata,
                                           String what) {
        double[] m = meanDifference(a, b);
        SteeringVector v = vector(m, metadata, what);
        double split = Double.NaN;
        if (a.size() >= 2 && b.size() >= 2) {
            List<List<double[]>> ha = halves(a);
            List<List<double[]>> hb = halves(b);
            split = cosine(meanDifference(ha.get(0), hb.get(0)), meanDifference(ha.get(1), hb.get(1)));
        }
        return new DirectionResult(v, new DirectionStats(v.norm(), a.size() + b.size(), split));
    }

    /** A steering vector from a double-precision mean, failing with {@code what} when it is ~0. */
    static SteeringVector vector(double[] m, Map<String, String> metadata, String what) {
        try {
            return new SteeringVector(toFloats(m), metadata);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is ~0 (" + e.getMessage() + ")", e);
        }
    }

    private static List<List<double[]>> halves(List<double[]> rows) {
        List<double[]> shuffled = new ArrayList<>(rows);
        Collections.shuffle(shuffled, new Random(SPLIT_SEED));
        int h = shuffled.size() / 2;
        return List.of(shuffled.subList(0, h), shuffled.subList(h, shuffled.size()));
    }

    /** Cosine between the means of two random halves (NaN for fewer than two rows). */
    public static double splitHalf(List<double[]> rows) {
        if (rows.size() < 2) {
            return Double.NaN;
        }
        List<List<double[]>> h = halves(rows);
        return cosine(mean(h.get(0)), mean(h.get(1)));
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
