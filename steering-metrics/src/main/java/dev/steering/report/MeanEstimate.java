package dev.steering.report;

import java.util.List;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * The mean of a sample with its 95% Student-t interval ({@code mean ± t(0.975, n−1)·sd/√n}). With no values every
 * number is NaN; with one value the bounds are NaN.
 */
final class MeanEstimate {
    private MeanEstimate() {
    }

    /** The mean and interval of {@code values} (nulls and NaN skipped). */
    static Estimate of(List<Double> values) {
        return of(values.stream().filter(v -> v != null && !v.isNaN()).mapToDouble(Double::doubleValue).toArray());
    }

    /** The mean and interval of {@code x}. */
    static Estimate of(double[] x) {
        int n = x.length;
        if (n == 0) {
            return new Estimate(Double.NaN, Double.NaN, Double.NaN);
        }
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= n;
        if (n == 1) {
            return new Estimate(mean, Double.NaN, Double.NaN);
        }
        double ss = 0;
        for (double v : x) {
            ss += (v - mean) * (v - mean);
        }
        double half = new TDistribution(n - 1).inverseCumulativeProbability(0.5 + Proportion.CONFIDENCE / 2)
                * Math.sqrt(ss / (n - 1) / n);
        return new Estimate(mean, mean - half, mean + half);
    }
}
