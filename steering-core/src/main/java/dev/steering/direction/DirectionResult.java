package dev.steering.direction;

/**
 * A computed direction and its statistics.
 *
 * @param vector the raw vector with its provenance metadata
 * @param stats  norm, prompt count, split-half stability
 */
public record DirectionResult(SteeringVector vector, DirectionStats stats) {
}
