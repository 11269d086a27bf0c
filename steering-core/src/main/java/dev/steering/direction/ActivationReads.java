package dev.steering.direction;

import dev.steering.hooks.ActivationCache;
import dev.steering.hooks.HookPoint;
import dev.steering.model.Activations;
import dev.steering.model.ForwardGraph;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads hook activations one left-padded batch at a time (so memory stays bounded by a batch, not the prompt set)
 * and turns them into double-precision rows at positions counted from each prompt's end.
 */
final class ActivationReads {
    private ActivationReads() {
    }

    /** Receives one prompt's unpadded activations, {@code [seq, hidden]} per hook. */
    interface Sink {
        void accept(int prompt, Map<HookPoint, float[][]> activations);
    }

    /** Runs the prompts in batches of {@code batchSize} and hands every prompt's activations to {@code sink}. */
    static void forEach(ForwardGraph graph, List<long[]> prompts, List<HookPoint> hooks, int batchSize, Sink sink) {
        for (int start = 0; start < prompts.size(); start += batchSize) {
            List<long[]> batch = prompts.subList(start, Math.min(prompts.size(), start + batchSize));
            Map<HookPoint, ActivationCache> read = Activations.read(graph, batch, hooks, batchSize);
            for (int r = 0; r < batch.size(); r++) {
                Map<HookPoint, float[][]> one = new LinkedHashMap<>();
                for (HookPoint h : hooks) {
                    one.put(h, read.get(h).get(r));
                }
                sink.accept(start + r, one);
            }
        }
    }

    /** The activation at {@code offset} (negative, from the end: −1 is the last token) of one sequence. */
    static double[] row(float[][] seq, int offset) {
        int n = seq.length;
        if (offset >= 0 || -offset > n) {
            throw new IllegalArgumentException("position " + offset + " is outside a prompt of " + n + " tokens");
        }
        float[] r = seq[n + offset];
        double[] out = new double[r.length];
        for (int j = 0; j < r.length; j++) {
            out[j] = r[j];
        }
        return out;
    }

    /** One row per prompt: {@code hook} at {@code offset}. */
    static List<double[]> rows(ForwardGraph graph, List<long[]> prompts, HookPoint hook, int offset, int batchSize) {
        List<double[]> out = new ArrayList<>();
        forEach(graph, prompts, List.of(hook), batchSize, (i, a) -> out.add(row(a.get(hook), offset)));
        return out;
    }

    /** Means over prompts in double precision, {@code [hook][offset][hidden]}. */
    static double[][][] means(ForwardGraph graph, List<long[]> prompts, List<HookPoint> hooks, int[] offsets,
                              int batchSize) {
        double[][][] sum = new double[hooks.size()][offsets.length][];
        forEach(graph, prompts, hooks, batchSize, (i, a) -> {
            for (int h = 0; h < hooks.size(); h++) {
                for (int p = 0; p < offsets.length; p++) {
                    double[] x = row(a.get(hooks.get(h)), offsets[p]);
                    if (sum[h][p] == null) {
                        sum[h][p] = new double[x.length];
                    }
                    for (int j = 0; j < x.length; j++) {
                        sum[h][p][j] += x[j];
                    }
                }
            }
        });
        for (double[][] byOffset : sum) {
            for (double[] s : byOffset) {
                for (int j = 0; j < s.length; j++) {
                    s[j] /= prompts.size();
                }
            }
        }
        return sum;
    }
}
