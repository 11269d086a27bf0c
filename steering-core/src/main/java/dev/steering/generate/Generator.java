package dev.steering.generate;

import dev.steering.hooks.HookPoint;
import dev.steering.model.ForwardGraph;
import dev.steering.model.ForwardInputs;
import dev.steering.model.ForwardResult;
import dev.steering.model.KvCache;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batched, KV-cached greedy decoding on one forward graph (with whatever edits it compiled in). Prompts are
 * left-padded; position ids count real tokens, so padding changes nothing.
 */
public final class Generator {
    private final ForwardGraph graph;
    private final long padId;
    private final int eosId;

    /**
     * @param graph the forward graph
     * @param padId token id placed in padding slots (masked out, so any valid id works)
     * @param eosId end-of-sequence id ending a row early, or -1 to always generate {@code maxNewTokens}
     */
    public Generator(ForwardGraph graph, long padId, int eosId) {
        this.graph = graph;
        this.padId = padId;
        this.eosId = eosId;
    }

    /**
     * Greedy continuations (argmax, first index on exact ties), at most {@code maxNewTokens} per prompt, stopping
     * a row at EOS (which is included).
     */
    public List<long[]> greedy(List<long[]> prompts, int maxNewTokens) {
        DecodeState state = new DecodeState(prompts);
        int b = prompts.size();
        List<List<Long>> out = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            out.add(new ArrayList<>());
        }
        boolean[] done = new boolean[b];
        ForwardInputs in = state.prefill(prompts, padId);
        KvCache cache = null;
        for (int step = 0; step < maxNewTokens; step++) {
            ForwardResult res = graph.run(in, cache, List.<HookPoint>of());
            cache = res.cache();
            long[] next = new long[b];
            boolean all = true;
            for (int r = 0; r < b; r++) {
                next[r] = done[r] ? padId : argmax(res.logits(), r);
                if (!done[r]) {
                    out.get(r).add(next[r]);
                    done[r] = next[r] == eosId;
                }
                all &= done[r];
            }
            if (all || step == maxNewTokens - 1) {
                break;
            }
            in = state.step(next);
        }
        List<long[]> result = new ArrayList<>();
        for (List<Long> row : out) {
            result.add(row.stream().mapToLong(Long::longValue).toArray());
        }
        return result;
    }

    /** Index of the largest logit in row {@code r} (the first on ties). */
    static long argmax(INDArray logits, int r) {
        long v = logits.size(1);
        long best = 0;
        float bestVal = logits.getFloat(r, 0);
        for (long j = 1; j < v; j++) {
            float x = logits.getFloat(r, j);
            if (x > bestVal) {
                bestVal = x;
                best = j;
            }
        }
        return best;
    }
}
