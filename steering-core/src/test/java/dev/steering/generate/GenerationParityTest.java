package dev.steering.generate;

import dev.steering.direction.SteeringVector;
import dev.steering.hooks.Ablate;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.Positions;
import dev.steering.model.ForwardGraph;
import dev.steering.model.ForwardInputs;
import dev.steering.model.ForwardResult;
import dev.steering.model.LanguageModel;
import dev.steering.model.Reference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batching, padding, the KV cache, positions and sampling seeds must not change results. */
class GenerationParityTest {
    static LanguageModel model;
    static SteeringVector v;
    static final List<long[]> PROMPTS = List.of(
            new long[]{2347, 513, 309, 1056, 247, 15221, 32, 309, 476},
            new long[]{510, 3158, 8516},
            new long[]{42, 717, 247, 1071, 15, 88, 19},
            new long[]{7});

    @BeforeAll
    static void load() {
        model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"));
        float[] raw = new float[model.config().hiddenSize()];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (float) Math.cos(0.7 * i);
        }
        v = SteeringVector.of(raw);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private ForwardGraph steered() {
        return model.graph(List.of(Edit.everywhere(HookPoint.residPost(1), Add.alpha(3), v)));
    }

    @Test
    void paddedBatchEqualsOnePromptAtATime() {
        ForwardGraph g = steered();
        ForwardResult batch = g.run(ForwardInputs.leftPadded(PROMPTS, 0), null, List.of());
        for (int r = 0; r < PROMPTS.size(); r++) {
            long[] p = PROMPTS.get(r);
            ForwardResult one = g.run(ForwardInputs.single(p), null, List.of());
            Reference.assertClose(one.logits().getRow(p.length - 1), batch.logits().getRow(r), "row " + r);
        }
        Generator gen = new Generator(g, null, 0, -1);
        List<long[]> together = gen.greedy(PROMPTS, 8);
        for (int r = 0; r < PROMPTS.size(); r++) {
            assertArrayEquals(gen.greedy(List.of(PROMPTS.get(r)), 8).get(0), together.get(r), "greedy row " + r);
        }
    }

    @Test
    void kvCachedDecodingEqualsFullRecomputeAtEveryStep() {
        ForwardGraph g = steered();
        List<long[]> outs = new Generator(g, null, 0, -1).greedy(PROMPTS, 6);
        for (int r = 0; r < PROMPTS.size(); r++) {
            long[] seq = PROMPTS.get(r);
            // decode step by step with the cache, comparing each step's logits with a full recompute
            ForwardInputs in = ForwardInputs.single(seq);
            ForwardResult res = g.run(in, null, List.of());
            var cache = res.cache();
            long[] prefix = seq.clone();
            for (long tok : outs.get(r)) {
                long[] grown = java.util.Arrays.copyOf(prefix, prefix.length + 1);
                grown[prefix.length] = tok;
                boolean[] keys = new boolean[grown.length];
                java.util.Arrays.fill(keys, true);
                ForwardInputs step = new ForwardInputs(new long[][]{{tok}}, new long[][]{{prefix.length}},
                        new boolean[][]{keys}, prefix.length, new int[]{seq.length}, new int[]{0});
                ForwardResult cached = g.run(step, cache, List.of());
                cache = cached.cache();
                ForwardResult full = g.run(new ForwardInputs(new long[][]{grown}, new long[][]{positions(grown.length)},
                        new boolean[][]{keys}, 0, new int[]{seq.length}, new int[]{grown.length - 1}), null, List.of());
                Reference.assertClose(full.logits(), cached.logits(), "prompt " + r + " step " + (grown.length - seq.length));
                prefix = grown;
            }
        }
    }

    @Test
    void ablationRemovesTheProjectionAtEditedPositionsOnly() {
        HookPoint h = HookPoint.residPost(1);
        float[] u = v.unit();
        ForwardGraph all = model.graph(List.of(Edit.everywhere(h, Ablate.alpha(1), v)));
        INDArray a = all.run(ForwardInputs.leftPadded(PROMPTS, 0), null, List.of(h)).hooks().get(h);
        ForwardInputs in = ForwardInputs.leftPadded(PROMPTS, 0);
        for (int r = 0; r < PROMPTS.size(); r++) {
            for (int i = 0; i < in.seqLength(); i++) {
                if (in.isReal(r, i)) {
                    assertTrue(Math.abs(dot(a, r, i, u)) < 1e-4, "row " + r + " pos " + i);
                }
            }
        }
        // last-prompt-token only: earlier positions keep their projection
        ForwardGraph last = model.graph(List.of(new Edit(h, Ablate.alpha(1), v, Positions.lastPromptToken())));
        long[] p = PROMPTS.get(0);
        INDArray b = last.run(ForwardInputs.single(p), null, List.of(h)).hooks().get(h);
        assertTrue(Math.abs(dot(b, 0, p.length - 1, u)) < 1e-4);
        assertTrue(Math.abs(dot(b, 0, 0, u)) > 1e-3, "position 0 must be untouched");
    }

    @Test
    void positionsDecideWhatPrefillAndDecodeTouch() {
        long[] p = PROMPTS.get(0);
        Generator base = new Generator(model.graph(List.of()), null, 0, -1);
        Generator generatedOnly = new Generator(model.graph(List.of(
                new Edit(HookPoint.residPost(0), Add.alpha(40), v, Positions.generatedOnly()))), null, 0, -1);
        Generator promptOnly = new Generator(model.graph(List.of(
                new Edit(HookPoint.residPost(0), Add.alpha(40), v, Positions.promptOnly()))), null, 0, -1);
        long[] b = base.greedy(List.of(p), 6).get(0);
        long[] g = generatedOnly.greedy(List.of(p), 6).get(0);
        long[] q = promptOnly.greedy(List.of(p), 6).get(0);
        assertEquals(b[0], g[0], "the first token comes from the unedited prompt");
        assertNotEquals(java.util.Arrays.toString(b), java.util.Arrays.toString(g), "later tokens are steered");
        assertNotEquals(b[0], q[0], "a prompt edit changes the first token");
    }

    @Test
    void samplingDependsOnSeedAndPromptIdNotOnBatching() {
        GenerationConfig cfg = GenerationConfig.defaults().temperature(1.0).topP(0.9).topK(50).maxNewTokens(8).seed(7);
        Generator gen = new Generator(steered(), null, 0, -1);
        List<TokenizedPrompt> all = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            all.add(new TokenizedPrompt("p" + i, null, PROMPTS.get(i)));
        }
        List<Completion> batched = gen.generate(all, cfg.batchSize(4), n -> { });
        List<Completion> single = gen.generate(all, cfg.batchSize(1), n -> { });
        List<Completion> reversed = gen.generate(List.of(all.get(3), all.get(2), all.get(1), all.get(0)), cfg.batchSize(3), n -> { });
        for (int i = 0; i < all.size(); i++) {
            assertArrayEquals(single.get(i).tokens(), batched.get(i).tokens(), "prompt " + i);
            assertArrayEquals(single.get(i).tokens(), reversed.get(3 - i).tokens(), "prompt " + i + " reordered");
            assertEquals(8, batched.get(i).logprobs().length);
            for (int t = 0; t < 8; t++) {
                assertTrue(batched.get(i).logprobs()[t] <= 0 && batched.get(i).entropies()[t] >= 0);
            }
        }
        List<Completion> otherSeed = gen.generate(all, cfg.seed(8), n -> { });
        boolean differs = false;
        for (int i = 0; i < all.size(); i++) {
            differs |= !java.util.Arrays.equals(otherSeed.get(i).tokens(), batched.get(i).tokens());
        }
        assertTrue(differs, "another seed gives other samples");
        // top-k 1 is greedy
        List<Completion> k1 = gen.generate(all, cfg.topK(1), n -> { });
        List<long[]> greedy = gen.greedy(PROMPTS, 8);
        for (int i = 0; i < all.size(); i++) {
            assertArrayEquals(greedy.get(i), k1.get(i).tokens());
        }
    }

    private static long[] positions(int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }

    private static double dot(INDArray a, int r, int i, float[] u) {
        double s = 0;
        for (int j = 0; j < u.length; j++) {
            s += a.getDouble(r, i, j) * u[j];
        }
        return s;
    }
}
