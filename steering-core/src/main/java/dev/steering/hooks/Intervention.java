package dev.steering.hooks;

import dev.steering.direction.SteeringVector;

/**
 * An edit of a hook's activations, applied at run time: the forward graph has every hook point live, and each call
 * passes its edits as data (hook, intervention, vector, positions), so changing a strength or a direction never
 * rebuilds anything. Implementations are immutable and describe themselves; {@link Add} and {@link Ablate} are the
 * built-in ones, and users may write their own in plain Java:
 * <pre>{@code
 * record Clamp(double max) implements Intervention {
 *     public ActivationEdit bind(SteeringVector v) {
 *         float[] u = v.unit();
 *         return x -> {
 *             float[] row = new float[x.width()];
 *             for (int r = 0; r < x.rows(); r++) {
 *                 if (!x.selected(r)) continue;
 *                 x.read(r, row);
 *                 double p = 0;
 *                 for (int j = 0; j < row.length; j++) p += row[j] * u[j];
 *                 double excess = Math.max(0, p - max);
 *                 for (int j = 0; j < row.length; j++) row[j] -= (float) (excess * u[j]);
 *                 x.write(r, row);
 *             }
 *         };
 *     }
 *     public String describe() { return "clamp(max=" + max + ")"; }
 *     public String kind() { return "clamp"; }
 *     public double strength() { return max; }
 * }
 * }</pre>
 * An implementation must leave unselected rows unchanged.
 */
public interface Intervention {

    /**
     * Binds the intervention to a direction for one forward call (precompute scaled vectors here, not per row).
     *
     * @param direction the steering vector (raw, with its norm)
     */
    ActivationEdit bind(SteeringVector direction);

    /** A short description, e.g. {@code add(alpha=2.0)}, used in logs, file metadata and results. */
    String describe();

    /** The kind written in results tables ({@code add}, {@code ablate}, ...). */
    String kind();

    /** The scalar strength written in results tables (α or multiplier). */
    double strength();
}
