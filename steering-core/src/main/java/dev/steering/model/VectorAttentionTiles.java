package dev.steering.model;

import dev.steering.model.compact.VectorWidth;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AttentionTiles} on the Vector API (loaded only when the module {@code jdk.incubator.vector} is present):
 * four query rows by one vector of columns in registers; the same FMAs in the same order per element as the scalar
 * loops, so the same bits. The vector width follows {@code -Dsteering.vector.bits} as the compact kernels do.
 */
final class VectorAttentionTiles extends AttentionTiles {
    private static final VectorSpecies<Float> F = VectorWidth.FLOATS;
    private static final int L = F.length();

    @Override
    void scores(float[] q, float[] kt, float[] c, int s, int d, int t) {
        int end = t - t % L;
        int i = 0;
        for (; i + 4 <= s; i += 4) {
            int q0 = i * d;
            for (int j = 0; j < end; j += L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int k = 0, row = j; k < d; k++, row += t) {
                    FloatVector b = FloatVector.fromArray(F, kt, row);
                    a0 = b.fma(FloatVector.broadcast(F, q[q0 + k]), a0);
                    a1 = b.fma(FloatVector.broadcast(F, q[q0 + d + k]), a1);
                    a2 = b.fma(FloatVector.broadcast(F, q[q0 + 2 * d + k]), a2);
                    a3 = b.fma(FloatVector.broadcast(F, q[q0 + 3 * d + k]), a3);
                }
                a0.intoArray(c, i * t + j);
                a1.intoArray(c, (i + 1) * t + j);
                a2.intoArray(c, (i + 2) * t + j);
                a3.intoArray(c, (i + 3) * t + j);
            }
            for (int r = i; r < i + 4; r++) {
                scoreTail(q, kt, c, r, d, t, end);
            }
        }
        for (; i < s; i++) {
            for (int j = 0; j < end; j += L) {
                FloatVector a0 = FloatVector.zero(F);
                for (int k = 0, row = j; k < d; k++, row += t) {
                    a0 = FloatVector.fromArray(F, kt, row).fma(FloatVector.broadcast(F, q[i * d + k]), a0);
                }
                a0.intoArray(c, i * t + j);
            }
            scoreTail(q, kt, c, i, d, t, end);
        }
    }

    /** Columns {@code [from, t)} of score row {@code i}, scalar. */
    private static void scoreTail(float[] q, float[] kt, float[] c, int i, int d, int t, int from) {
        for (int j = from; j < t; j++) {
            float acc = 0f;
            for (int k = 0; k < d; k++) {
                acc = Math.fma(q[i * d + k], kt[k * t + j], acc);
            }
            c[i * t + j] = acc;
        }
    }

    @Override
    void context(float[] w, float[] v, float[] c, int s, int t, int d) {
        int end = d - d % L;
        int i = 0;
        for (; i + 4 <= s; i += 4) {
            int w0 = i * t;
            for (int x = 0; x < end; x += L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int j = 0, row = x; j < t; j++, row += d) {
                    FloatVector b = FloatVector.fromArray(F, v, row);
                    a0 = b.fma(FloatVector.broadcast(F, w[w0 + j]), a0);
                    a1 = b.fma(FloatVector.broadcast(F, w[w0 + t + j]), a1);
                    a2 = b.fma(FloatVector.broadcast(F, w[w0 + 2 * t + j]), a2);
                    a3 = b.fma(FloatVector.broadcast(F, w[w0 + 3 * t + j]), a3);
                }
                a0.intoArray(c, i * d + x);
                a1.intoArray(c, (i + 1) * d + x);
                a2.intoArray(c, (i + 2) * d + x);
                a3.intoArray(c, (i + 3) * d + x);
            }
            for (int r = i; r < i + 4; r++) {
                contextTail(w, v, c, r, t, d, end);
            }
        }
        for (; i < s; i++) {
            for (int x = 0; x < end; x += L) {
                FloatVector a0 = FloatVector.zero(F);
                for (int j = 0, row = x; j < t; j++, row += d) {
                    a0 = FloatVector.fromArray(F, v, row).fma(FloatVector.broadcast(F, w[i * t + j]), a0);
                }
                a0.intoArray(c, i * d + x);
            }
            contextTail(w, v, c, i, t, d, end);
        }
    }

    /** Columns {@code [from, d)} of context row {@code i}, scalar. */
    private static void contextTail(float[] w, float[] v, float[] c, int i, int t, int d, int from) {
        for (int x = from; x < d; x++) {
            float acc = 0f;
            for (int j = 0; j < t; j++) {
                acc = Math.fma(w[i * t + j], v[j * d + x], acc);
            }
            c[i * d + x] = acc;
        }
    }

    @Override
    boolean vectorized() {
        return true;
    }

    @Override
    String name() {
        return "vector-api-" + F.vectorBitSize() + "bit";
    }
}
