package dev.steering.model;

import dev.steering.hooks.ActivationCache;
import dev.steering.hooks.HookPoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Reads hook activations for many prompts in left-padded batches and returns them without padding. */
public final class Activations {
    private Activations() {
    }

    /**
     * Runs every prompt (teacher-forced, no generation) and collects the hooks' activations.
     *
     * @return per hook, one {@code [seq_i, hidden]} array per prompt, in input order
     */
    public static Map<HookPoint, ActivationCache> read(ForwardGraph graph, List<long[]> prompts,
                                                       Collection<HookPoint> hooks, int batchSize) {
        Map<HookPoint, List<float[][]>> out = new LinkedHashMap<>();
        hooks.forEach(h -> out.put(h, new ArrayList<>()));
        for (int start = 0; start < prompts.size(); start += batchSize) {
            List<long[]> batch = prompts.subList(start, Math.min(prompts.size(), start + batchSize));
            ForwardInputs in = ForwardInputs.leftPadded(batch, 0);
            ForwardResult res = graph.run(in, null, hooks);
            int s = in.seqLength();
            for (HookPoint h : hooks) {
                INDArray a = res.hooks().get(h);                  // [batch, seq, width]
                int width = (int) a.size(2);
                float[] all = HostArrays.toFloats(a);
                for (int r = 0; r < batch.size(); r++) {
                    int pad = s - batch.get(r).length;
                    float[][] seq = new float[s - pad][];
                    for (int t = pad; t < s; t++) {
                        int from = (r * s + t) * width;
                        seq[t - pad] = java.util.Arrays.copyOfRange(all, from, from + width);
                    }
                    out.get(h).add(seq);
                }
                a.close();
            }
        }
        Map<HookPoint, ActivationCache> caches = new LinkedHashMap<>();
        out.forEach((h, list) -> caches.put(h, new ActivationCache(h, list)));
        return caches;
    }
}
