package dev.steering.hooks;

import dev.steering.direction.SteeringVector;

/**
 * Projection ablation, {@code x ← x − a·(x·v̂)v̂}: {@code a = 1} removes the component along the direction
 * entirely (directional ablation of Arditi et al.), {@code 0 < a < 1} shrinks it, {@code a > 1} reflects it. The
 * edit depends only on the direction, never on the vector's norm.
 *
 * @param alpha the fraction of the projection removed
 */
public record Ablate(double alpha) implements Intervention {

    /** {@code x ← x − alpha·(x·v̂)v̂}. */
    public static Ablate alpha(double alpha) {
        return new Ablate(alpha);
    }

    @Override
    public ActivationEdit bind(SteeringVector direction) {
        float[] u = direction.unit();
        float[] row = new float[u.length];
        return x -> {
            for (int r = 0; r < x.rows(); r++) {
                if (x.selected(r)) {
                    x.read(r, row);
                    double projection = 0;                              // x·v̂, accumulated in double
                    for (int j = 0; j < row.length; j++) {
                        projection += (double) row[j] * u[j];
                    }
                    float s = (float) (alpha * projection);
                    for (int j = 0; j < row.length; j++) {
                        row[j] -= s * u[j];
                    }
                    x.write(r, row);
                }
            }
        };
    }

    @Override
    public String describe() {
        return "ablate(alpha=" + alpha + ")";
    }

    @Override
    public String kind() {
        return "ablate";
    }

    @Override
    public double strength() {
        return alpha;
    }
}
