package dev.steering.report;

/**
 * A point estimate with a 95% interval.
 *
 * @param value the estimate
 * @param lower lower bound
 * @param upper upper bound
 */
public record Estimate(double value, double lower, double upper) {
}
