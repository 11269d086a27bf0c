package dev.steering.generate;

import dev.steering.hooks.HookPoint;
import dev.steering.model.ForwardGraph;
import dev.steering.model.ForwardInputs;
import dev.steering.model.ForwardResult;
import dev.steering.model.HostArrays;
import dev.steering.model.KvCache;
import dev.steering.model.TextTokenizer;
import dev.steering.model.compact.CompactKernels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Batched, KV-cached generation on one forward graph (with whatever edits it compiled in). Prompts are
 * left-padded and masked, and position ids count real tokens, so padding changes nothing; each prompt's sampler
 * is seeded from the run seed and its id, so a completion never depends on batch size or composition.
 */
public final class Generator {
    private final ForwardGraph graph;
    private final TextTokenizer tokenizer;
    private final long padId;
    private final int eosId;

    /**
     * @param graph     the forward graph
     * @param tokenizer decodes completions (may be null: then {@link Completion#text()} is null)
     * @param padId     token id placed in padding slots (masked out, so any valid id works)
     * @param eosId     end-of-sequence id, or -1 if the model has none
     */
    public Generator(ForwardGraph graph, TextTokenizer tokenizer, long padId, int eosId) {
        this.graph = graph;
        this.tokenizer = tokenizer;
        this.padId = padId;
        this.eosId = eosId;
    }

    /** Greedy continuations of token-id prompts (no EOS stop when the model has none). */
    public List<long[]> greedy(List<long[]> prompts, int maxNewTokens) {
        List<TokenizedPrompt> in = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            in.add(new TokenizedPrompt(Integer.toString(i), null, prompts.get(i)));
        }
        return generate(in, GenerationConfig.greedy(maxNewTokens).batchSize(Math.max(1, prompts.size())), n -> { })
                .stream().map(Completion::tokens).toList();
    }

    /**
     * Generates a completion for every prompt, in input order.
     *
     * @param progress told the number of prompts finished so far, after each batch
     */
    public List<Completion> generate(List<TokenizedPrompt> prompts, GenerationConfig cfg, IntConsumer progress) {
        // Batch prompts of similar length together (less padding); results go back in input order.
        Integer[] order = new Integer[prompts.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt(i -> -prompts.get(i).tokens().length));
        Completion[] out = new Completion[prompts.size()];
        for (int start = 0; start < order.length; start += cfg.batchSize()) {
            List<Integer> idx = Arrays.asList(order).subList(start, Math.min(order.length, start + cfg.batchSize()));
            List<Completion> batch = generateBatch(idx.stream().map(prompts::get).toList(), cfg);
            for (int j = 0; j < idx.size(); j++) {
                out[idx.get(j)] = batch.get(j);
            }
            progress.accept(start + idx.size());
        }
        return Arrays.asList(out);
    }

    private List<Completion> generateBatch(List<TokenizedPrompt> prompts, GenerationConfig cfg) {
        int b = prompts.size();
        Sampler[] samplers = new Sampler[b];             // one per row: rows are sampled in parallel
        SplittableRandom[] rng = new SplittableRandom[b];
        Row[] rows = new Row[b];
        List<long[]> tokens = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            rng[r] = Sampler.rngFor(cfg.seed(), prompts.get(r).id());
            samplers[r] = new Sampler(cfg);
            rows[r] = new Row(cfg.maxNewTokens());
            tokens.add(prompts.get(r).tokens());
        }
        DecodeState state = new DecodeState(tokens);
        ForwardInputs in = state.prefill(tokens, padId);
        // One cache for the whole batch, written in place: the prefill and every decode step fit in its capacity.
        KvCache[] cache = {graph.emptyCache(b, in.seqLength() + cfg.maxNewTokens())};
        try {
            decode(in, cache, state, samplers, rng, rows, cfg);
        } finally {
            cache[0].close();                   // the buffers (views are not closeable), also when a step failed
        }
        List<Completion> out = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            TokenizedPrompt p = prompts.get(r);
            long[] ids = rows[r].tokens();
            String text = tokenizer == null ? null : tokenizer.decode(ids);
            out.add(new Completion(p.id(), p.text(), p.tokens(), ids, text, rows[r].logprobs(), rows[r].entropies(),
                    cfg.stopAtEos() && ids.length > 0 && ids[ids.length - 1] == eosId));
        }
        return out;
    }

    /** Prefill and decode steps of one batch; {@code cache[0]} always holds the newest cache (the caller's to close). */
    private void decode(ForwardInputs in, KvCache[] cache, DecodeState state, Sampler[] samplers,
                        SplittableRandom[] rng, Row[] rows, GenerationConfig cfg) {
        int b = rows.length;
        float[] logits = null;                  // one buffer for every step's logits
        for (int step = 0; step < cfg.maxNewTokens(); step++) {
            ForwardResult res = graph.run(in, cache[0], List.<HookPoint>of());
            if (!res.cache().sharesBuffersWith(cache[0])) {
                cache[0].close();               // ours alone, replaced: free it now, not at the next GC
            }
            cache[0] = res.cache();
            logits = HostArrays.toFloats(res.logits(), logits);
            float[] values = logits;
            int vocab = (int) res.logits().size(1);
            res.logits().close();
            long[] next = new long[b];
            boolean allDone = true;
            // Each row's choice depends only on its logits and its own random source, so the rows run in parallel
            // (the native threads are idle meanwhile): the softmax statistics over the vocabulary cost ~0.3 ms a row.
            Sampler.Choice[] choices = new Sampler.Choice[b];
            CompactKernels.shared().shares(b, r -> {
                if (!rows[r].done) {
                    choices[r] = samplers[r].choose(values, r * vocab, vocab, rng[r]);
                }
            });
            for (int r = 0; r < b; r++) {
                if (rows[r].done) {
                    next[r] = padId;
                    continue;
                }
                Sampler.Choice c = choices[r];
                rows[r].add(c);
                next[r] = c.token();
                rows[r].done = cfg.stopAtEos() && c.token() == eosId;
                allDone &= rows[r].done;
            }
            if (allDone || step == cfg.maxNewTokens() - 1) {
                break;
            }
            in = state.step(next);
        }
    }

    /** The growing output of one row. */
    private static final class Row {
        private final long[] tokens;
        private final double[] logprobs;
        private final double[] entropies;
        private int n;
        private boolean done;

        Row(int capacity) {
            tokens = new long[capacity];
            logprobs = new double[capacity];
            entropies = new double[capacity];
        }

        void add(Sampler.Choice c) {
            tokens[n] = c.token();
            logprobs[n] = c.logprob();
            entropies[n] = c.entropy();
            n++;
        }

        long[] tokens() {
            return Arrays.copyOf(tokens, n);
        }

        double[] logprobs() {
            return Arrays.copyOf(logprobs, n);
        }

        double[] entropies() {
            return Arrays.copyOf(entropies, n);
        }
    }
}
