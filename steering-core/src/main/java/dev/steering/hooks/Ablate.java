package dev.steering.hooks;

import dev.steering.direction.SteeringVector;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

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
    public SDVariable apply(SameDiff sd, SDVariable x, SDVariable mask, SteeringVector direction) {
        float[] u = direction.unit();
        SDVariable column = sd.constant(Nd4j.create(u, new long[]{u.length, 1}, 'c'));
        SDVariable row = sd.constant(Nd4j.create(u, new long[]{1, u.length}, 'c'));
        SDVariable projection = sd.mmul(x, column);                   // [rows, 1] = x·v̂
        return x.sub(projection.mul(mask).mul(alpha).mul(row));
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
