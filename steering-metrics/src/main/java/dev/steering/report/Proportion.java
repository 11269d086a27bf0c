package dev.steering.report;

import org.apache.commons.math3.stat.interval.ConfidenceInterval;
import org.apache.commons.math3.stat.interval.WilsonScoreInterval;

/**
 * A rate {@code successes / trials} with its 95% Wilson score interval. With no trials every number is NaN.
 *
 * <p>Rows are counted as independent trials; when a prompt has several samples the interval is somewhat too narrow.
 *
 * @param successes rows with the outcome
 * @param trials    rows counted
 * @param rate      {@code successes / trials}
 * @param lower     lower bound of the 95% Wilson interval
 * @param upper     upper bound of the 95% Wilson interval
 */
public record Proportion(int successes, int trials, double rate, double lower, double upper) {

    /** The confidence level of every interval in the reports. */
    public static final double CONFIDENCE = 0.95;

    /** The rate and Wilson interval of {@code successes} out of {@code trials} (Commons Math). */
    public static Proportion of(int successes, int trials) {
        if (successes < 0 || successes > trials) {
            throw new IllegalArgumentException("successes " + successes + " not in [0, " + trials + "]");
        }
        if (trials == 0) {
            return new Proportion(0, 0, Double.NaN, Double.NaN, Double.NaN);
        }
        ConfidenceInterval ci = new WilsonScoreInterval().createInterval(trials, successes, CONFIDENCE);
        return new Proportion(successes, trials, (double) successes / trials, ci.getLowerBound(), ci.getUpperBound());
    }

    /**
     * {@code this.rate − other.rate} with Newcombe's hybrid score interval (method 10 of Newcombe 1998), built from
     * the two Wilson intervals; the samples are taken as independent.
     */
    public Estimate minus(Proportion other) {
        double d = rate - other.rate;
        double lo = d - Math.hypot(rate - lower, other.upper - other.rate);
        double hi = d + Math.hypot(upper - rate, other.rate - other.lower);
        return new Estimate(d, lo, hi);
    }
}
