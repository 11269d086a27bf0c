package dev.steering.hooks;

import dev.steering.direction.SteeringVector;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Additive steering, {@code x ← x + a·v}. With {@link #alpha(double)} {@code v} is the unit direction
 * {@code v̂}; with {@link #multiplier(double)} it is the raw vector, so the step is {@code m·‖v‖} long (the
 * convention of Arditi et al. and CAA, which add raw mean differences).
 *
 * @param coefficient α or the multiplier
 * @param rawScale    true when the coefficient multiplies the raw vector rather than the unit one
 */
public record Add(double coefficient, boolean rawScale) implements Intervention {

    /** {@code x ← x + alpha·v̂}. */
    public static Add alpha(double alpha) {
        return new Add(alpha, false);
    }

    /** {@code x ← x + m·v} with the raw (unnormalised) vector. */
    public static Add multiplier(double m) {
        return new Add(m, true);
    }

    @Override
    public SDVariable apply(SameDiff sd, SDVariable x, SDVariable mask, SteeringVector direction) {
        float[] step = rawScale ? direction.scaledRaw(coefficient) : direction.scaledUnit(coefficient);
        SDVariable delta = sd.constant(org.nd4j.linalg.factory.Nd4j.create(step, new long[]{1, step.length}, 'c'));
        return x.add(mask.mul(delta));
    }

    @Override
    public String describe() {
        return rawScale ? "add(multiplier=" + coefficient + ")" : "add(alpha=" + coefficient + ")";
    }

    @Override
    public String kind() {
        return "add";
    }

    @Override
    public double strength() {
        return coefficient;
    }
}
