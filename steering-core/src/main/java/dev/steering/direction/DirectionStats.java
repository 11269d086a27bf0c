package dev.steering.direction;

/**
 * How trustworthy a direction is.
 *
 * @param rawNorm         norm of the raw (unnormalised) vector
 * @param nPrompts        number of prompts (or pairs) it was averaged over
 * @param splitHalfCosine cosine between the directions of two random halves of the prompts (NaN below 2 prompts):
 *                        near 1 means the direction does not hinge on a few prompts
 */
public record DirectionStats(double rawNorm, int nPrompts, double splitHalfCosine) {
}
