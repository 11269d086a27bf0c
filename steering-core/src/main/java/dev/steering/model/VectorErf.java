package dev.steering.model;

import dev.steering.model.compact.VectorWidth;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link JavaKernels#erf(float)}'s block loop on the Vector API (loaded only when the module
 * {@code jdk.incubator.vector} is present): both forms, the selection and the division in one pass per vector, the
 * same F32 operations in the same order as the scalar loops, so the same bits (NaN stays NaN).
 */
final class VectorErf implements JavaKernels.ErfBlock {
    private static final VectorSpecies<Float> F = VectorWidth.FLOATS;
    private static final int L = F.length();

    @Override
    public void erf(float[] xs, float[] out, int n) {
        int end = n - n % L;
        for (int i = 0; i < end; i += L) {
            FloatVector v = FloatVector.fromArray(F, xs, i);
            FloatVector x = v.min(JavaKernels.ERF_CLAMP).max(-JavaKernels.ERF_CLAMP);
            FloatVector t = x.mul(x);
            FloatVector num = x.mul(t.mul(t.mul(t.mul(t.mul(JavaKernels.P4).add(JavaKernels.P3)).add(JavaKernels.P2))
                    .add(JavaKernels.P1)).add(JavaKernels.P0));
            FloatVector den = t.mul(t.mul(t.mul(JavaKernels.Q3).add(JavaKernels.Q2)).add(JavaKernels.Q1)).add(1f);
            FloatVector av = v.abs();
            FloatVector a = av.min(JavaKernels.ERF_CLAMP);
            FloatVector r = a.mul(a.mul(a.mul(a.mul(a.mul(a.mul(JavaKernels.R6).add(JavaKernels.R5))
                    .add(JavaKernels.R4)).add(JavaKernels.R3)).add(JavaKernels.R2)).add(JavaKernels.R1))
                    .add(JavaKernels.R0);
            FloatVector r2 = r.mul(r);
            FloatVector r4 = r2.mul(r2);
            FloatVector r8 = r4.mul(r4);
            FloatVector r16 = r8.mul(r8);
            FloatVector sign = v.mul(JavaKernels.ERF_STEP).min(1f).max(-1f);
            FloatVector w = av.sub(JavaKernels.ERF_TAIL).mul(JavaKernels.ERF_STEP).min(1f).max(0f);
            FloatVector keep = FloatVector.broadcast(F, 1f).sub(w);
            num.mul(keep).add(r16.sub(1f).mul(sign).mul(w)).div(den.mul(keep).add(r16.mul(w))).intoArray(out, i);
        }
        if (end < n) {
            JavaKernels.erfScalar(xs, out, end, n);
        }
    }
}
