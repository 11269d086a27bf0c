package dev.steering.hooks;

import dev.steering.direction.SteeringVector;

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
    public ActivationEdit bind(SteeringVector direction) {
        float[] step = rawScale ? direction.scaledRaw(coefficient) : direction.scaledUnit(coefficient);
        float[] row = new float[step.length];
        return x -> {
            for (int r = 0; r < x.rows(); r++) {
                if (x.selected(r)) {
                    x.read(r, row);
                    for (int j = 0; j < row.length; j++) {
                        row[j] += step[j];
                    }
                    x.write(r, row);
                }
            }
        };
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
