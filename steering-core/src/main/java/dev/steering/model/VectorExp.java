package dev.steering.model;

import dev.steering.model.compact.VectorWidth;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FastExp}'s loop on the Vector API (loaded only when the module {@code jdk.incubator.vector} is present):
 * the same operations in the same order on every lane, so the same bits as the scalar loop (max, taken in another
 * order, is exact; NaN propagates through {@code max} as through {@link Math#max}).
 */
final class VectorExp implements FastExp.Block {
    private static final VectorSpecies<Float> F = VectorWidth.FLOATS;
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
    public void subtractMax(float[] v, int at, int n) {
        int end = at + n - n % L;
        float max = v[at];
        if (end > at) {
            FloatVector m = FloatVector.fromArray(F, v, at);
            for (int j = at + L; j < end; j += L) {
                m = m.max(FloatVector.fromArray(F, v, j));
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (int j = end; j < at + n; j++) {
            max = Math.max(max, v[j]);
        }
        int j = at;
        for (; j < end; j += L) {
            FloatVector.fromArray(F, v, j).sub(max).intoArray(v, j);
        }
        for (; j < at + n; j++) {
            v[j] -= max;
        }
    }

    @Override
    public void divide(float[] v, int at, int n, float s) {
        int end = at + n - n % L;
        int j = at;
        for (; j < end; j += L) {
            FloatVector.fromArray(F, v, j).div(s).intoArray(v, j);
        }
        for (; j < at + n; j++) {
            v[j] /= s;
        }
    }

    @Override
    public String toString() {
        return "vector-api-" + F.vectorBitSize() + "bit";
    }
}
