package dev.steering.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FastExp}'s loop on the Vector API (loaded only when the module {@code jdk.incubator.vector} is present):
 * the same operations in the same order on every lane, so the same bits as the scalar loop.
 */
final class VectorExp implements FastExp.Block {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    @Override
    public void exp(float[] x, float[] out, int n) {
        int end = n - n % L;
        int i = 0;
        for (; i < end; i += L) {
            FloatVector xc = FloatVector.fromArray(F, x, i).min(FastExp.HI).max(FastExp.LO);
            FloatVector t = xc.mul(FastExp.LOG2E).add(FastExp.MAGIC);
            FloatVector nf = t.sub(FastExp.MAGIC);
            FloatVector r = xc.sub(nf.mul(FastExp.LN2_HI)).sub(nf.mul(FastExp.LN2_LO));
            FloatVector p = r.mul(FastExp.P5).add(FastExp.P4).mul(r).add(FastExp.P3).mul(r).add(FastExp.P2).mul(r)
                    .add(FastExp.P1).mul(r).add(FastExp.P0);
            FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
            IntVector k = t.reinterpretAsInts().sub(FastExp.MAGIC_BITS);
            IntVector h = k.lanewise(VectorOperators.ASHR, 1);
            FloatVector s1 = h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = k.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            y.mul(s1).mul(s2).intoArray(out, i);
        }
        FastExp.expScalar(x, out, i, n);
    }

    @Override
    public String toString() {
        return "vector-api-" + F.vectorBitSize() + "bit";
    }
}
