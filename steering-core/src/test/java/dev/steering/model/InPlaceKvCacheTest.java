package dev.steering.model;

import dev.steering.hooks.HookPoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A KV cache with capacity, extended in place, decodes exactly as the growing cache and as a full recompute. */
class InPlaceKvCacheTest {
    private static final List<long[]> PROMPTS = List.of(
            new long[]{510, 1158, 816, 1301, 1727, 12},            // ids below every fixture's vocabulary size
            new long[]{42, 717, 247},
            new long[]{7, 99, 1000, 5});
    private static final int STEPS = 4;

    @ParameterizedTest
    @ValueSource(strings = {"gpt-neox-tiny", "llama-family/qwen2-tiny", "llama-family/gemma2-tiny"})
    void inPlaceDecodeEqualsGrowingDecodeEqualsFullRecompute(String fixture) {
        try (LanguageModel model = LanguageModel.load(Reference.fixture(fixture))) {
            ForwardGraph g = model.graph(List.of());
            Decode inPlace = new Decode(g, g.emptyCache(PROMPTS.size(), 6 + STEPS));
            Decode growing = new Decode(g, null);
            for (int step = 0; step <= STEPS; step++) {
                INDArray a = inPlace.next(step);
                INDArray b = growing.next(step);
                assertClose(b, a, fixture + " step " + step + ": in place vs growing");
                // a recompute runs the prompt's attention in libnd4j, a decode step in Java: summation orders differ,
                // so the fixtures' tolerance (1e-4) applies here, not the 1e-5 of two identical code paths
                Reference.assertClose(inPlace.fullRecompute(), a, fixture + " step " + step + ": in place vs full recompute");
                if (step > 0) {
                    assertTrue(inPlace.cache.sharesBuffersWith(inPlace.previous), "extended in place");
                }
                assertEquals(6 + step, inPlace.cache.length());
                assertEquals(6 + STEPS, inPlace.cache.capacity());
            }
            inPlace.cache.close();
        }
    }

    @Test
    void aCacheOutOfCapacityFallsBackToGrowing() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("llama-family/qwen2-tiny"))) {
            ForwardGraph g = model.graph(List.of());
            Decode small = new Decode(g, g.emptyCache(PROMPTS.size(), 6 + 2));
            Decode growing = new Decode(g, null);
            for (int step = 0; step <= STEPS; step++) {
                assertClose(growing.next(step), small.next(step), "step " + step);
                assertEquals(step <= 2 ? 6 + 2 : 0, small.cache.capacity(), "step " + step);
                if (step == 3) {
                    assertFalse(small.cache.sharesBuffersWith(small.previous), "fell back to fresh arrays");
                    assertFalse(small.previous.isStale(), "a cache without room is left valid");
                    assertEquals(8, small.previous.keys()[0].size(2));
                }
            }
        }
    }

    @Test
    void reusingAStaleCacheFailsClearly() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            ForwardGraph g = model.graph(List.of());
            ForwardInputs pre = ForwardInputs.leftPadded(PROMPTS, 0);
            KvCache empty = g.emptyCache(PROMPTS.size(), 10);
            KvCache filled = g.run(pre, empty, List.<HookPoint>of()).cache();
            assertTrue(empty.isStale());
            ForwardInputs step = step(pre, 0, PROMPTS.size(), 6);
            KvCache extended = g.run(step, filled, List.of()).cache();
            assertEquals(7, extended.length());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> g.run(step, filled, List.of()));
            assertTrue(e.getMessage().contains("stale KvCache") && e.getMessage().contains("ForwardResult.cache()"),
                    e.getMessage());
            assertThrows(IllegalStateException.class, filled::keys);
            assertThrows(IllegalStateException.class, () -> ((SameDiffEngine) g.engine()).feed(step, filled));
            assertEquals(7, extended.keys()[0].size(2), "the newest cache still works");
            extended.close();
        }
    }

    /**
     * The attention ops run on views of the filled prefix of a larger buffer (not contiguous: axis 1's stride is
     * capacity·headDim): libnd4j's rank-4 matmul ({@code q·kᵀ}, then {@code w·v}) reads them correctly, for plain
     * and grouped-query attention. (Repeating kv heads with {@code expand_dims} + {@code tile}, as the graph used
     * to, fails on such a view in libnd4j 1.0.0-M2.1: "NDArray::reshapei: can't reshape non-empty array to
     * empty"; grouped attention does not repeat them.)
     */
    @Test
    void attentionOpsHandleStridedPrefixViews() {
        SameDiff sd = SameDiff.create();
        SDVariable q = sd.placeHolder("q", DataType.FLOAT, -1, -1, -1, -1);
        SDVariable q8 = sd.placeHolder("q8", DataType.FLOAT, -1, -1, -1, -1);
        SDVariable k = sd.placeHolder("k", DataType.FLOAT, -1, -1, -1, -1);
        SDVariable v = sd.placeHolder("v", DataType.FLOAT, -1, -1, -1, -1);
        SDVariable mask = sd.placeHolder("mask", DataType.FLOAT, -1, 1, -1, -1);
        Ops.attention(sd, q, k, v, mask, 0.3, 0).rename("mha");
        Ops.attention(sd, q8, k, v, mask, 0.3, 5.0, 4, 8).rename("gqa");
        Nd4j.getRandom().setSeed(3);
        INDArray kb = Nd4j.rand(DataType.FLOAT, 2, 4, 11, 8);
        INDArray vb = Nd4j.rand(DataType.FLOAT, 2, 4, 11, 8);
        INDArray kView = kb.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 7), NDArrayIndex.all());
        INDArray vView = vb.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 7), NDArrayIndex.all());
        assertTrue(kView.isView() && kView.stride(1) == 11 * 8);
        Map<String, INDArray> base = Map.of("q", Nd4j.rand(DataType.FLOAT, 2, 4, 3, 8),
                "q8", Nd4j.rand(DataType.FLOAT, 2, 8, 3, 8), "mask", Nd4j.rand(DataType.FLOAT, 2, 1, 3, 7));
        GraphExecutor ex = new GraphExecutor(sd);
        Map<String, INDArray> views = new java.util.HashMap<>(base);
        views.put("k", kView);
        views.put("v", vView);
        Map<String, INDArray> dense = new java.util.HashMap<>(base);
        dense.put("k", kView.dup('c'));
        dense.put("v", vView.dup('c'));
        Map<String, INDArray> got = ex.output(views, "mha", "gqa");
        Map<String, INDArray> want = ex.output(dense, "mha", "gqa");
        for (String o : List.of("mha", "gqa")) {
            assertArrayEquals(want.get(o).data().asFloat(), got.get(o).dup('c').data().asFloat(), o);
        }
        // grouped attention = attention with each kv head repeated for its group of query heads
        INDArray kRep = kView.dup('c').repeat(1, 2);
        INDArray vRep = vView.dup('c').repeat(1, 2);
        SameDiff ref = SameDiff.create();
        Ops.attention(ref, ref.constant(base.get("q8")), ref.constant(kRep), ref.constant(vRep),
                ref.constant(base.get("mask")), 0.3, 5.0).rename("ref");
        assertClose(ref.output(Map.of(), "ref").get("ref"), got.get("gqa"), "grouped vs repeated heads");
    }

    @Test
    void concatIntoADestinationCopiesAllInputsUnlessAlreadyInPlace() {
        SameDiff sd = SameDiff.create();
        SDVariable a = sd.placeHolder("a", DataType.FLOAT, -1, -1, -1, -1);
        SDVariable b = sd.placeHolder("b", DataType.FLOAT, -1, -1, -1, -1);
        sd.concat("c", 2, a, b.mul(2));
        GraphExecutor ex = new GraphExecutor(sd);
        INDArray buf = Nd4j.rand(DataType.FLOAT, 2, 3, 9, 4);
        INDArray prefix = buf.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 5), NDArrayIndex.all());
        INDArray past = prefix.dup('c');
        INDArray nu = Nd4j.rand(DataType.FLOAT, 2, 3, 2, 4);
        INDArray want = Nd4j.concat(2, past, nu.mul(2));
        // input 0 is the destination's prefix: only the new part is written
        INDArray dest = buf.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 7), NDArrayIndex.all());
        assertTrue(GraphExecutor.sameMemory(prefix, dest.get(NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(0, 5), NDArrayIndex.all())));
        INDArray got = ex.output(Map.of("a", prefix, "b", nu), Map.of("c", dest), "c").get("c");
        assertTrue(got == dest);
        assertArrayEquals(want.data().asFloat(), buf.get(NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(0, 7), NDArrayIndex.all()).dup('c').data().asFloat());
        // input 0 elsewhere: a full concatenation into the destination
        INDArray other = Nd4j.zeros(DataType.FLOAT, 2, 3, 7, 4);
        ex.output(Map.of("a", past, "b", nu), Map.of("c", other), "c");
        assertArrayEquals(want.data().asFloat(), other.data().asFloat());
        assertThrows(IllegalStateException.class,      // the executor names the failing op
                () -> ex.output(Map.of("a", past, "b", nu), Map.of("c", Nd4j.zeros(DataType.FLOAT, 2, 3, 8, 4)), "c"));
    }

    /** Decoding the prompts with fixed next tokens, one cache kind. */
    private static final class Decode {
        final ForwardGraph g;
        final List<long[]> seqs = new ArrayList<>();
        KvCache cache;
        KvCache previous;
        ForwardInputs pre;

        Decode(ForwardGraph g, KvCache cache) {
            this.g = g;
            this.cache = cache;
            PROMPTS.forEach(p -> seqs.add(p.clone()));
        }

        /** Step 0: the prefill; then one fixed token per row. Returns the logits (a copy). */
        INDArray next(int step) {
            ForwardInputs in;
            if (step == 0) {
                in = pre = ForwardInputs.leftPadded(PROMPTS, 0);
            } else {
                long[] tok = new long[PROMPTS.size()];
                for (int r = 0; r < tok.length; r++) {
                    tok[r] = 100 + 37L * step + r;
                    seqs.set(r, append(seqs.get(r), tok[r]));
                }
                in = stepWith(pre, step - 1, tok);
            }
            ForwardResult res = g.run(in, cache, List.of());
            previous = cache;
            cache = res.cache();
            return res.logits().dup();
        }

        INDArray fullRecompute() {
            return g.run(ForwardInputs.leftPadded(seqs, 0), null, List.of()).logits();
        }
    }

    /** The decode step after {@code done} earlier steps, one token per row, of a left-padded prefill. */
    private static ForwardInputs stepWith(ForwardInputs pre, int done, long[] tokens) {
        int b = tokens.length;
        int past = pre.seqLength() + done;
        long[][] tok = new long[b][1];
        long[][] pos = new long[b][1];
        boolean[][] keys = new boolean[b][past + 1];
        int[] lens = new int[b];
        int[] rows = new int[b];
        for (int r = 0; r < b; r++) {
            lens[r] = PROMPTS.get(r).length;
            tok[r][0] = tokens[r];
            pos[r][0] = lens[r] + done;
            Arrays.fill(keys[r], true);
            System.arraycopy(pre.keyValid()[r], 0, keys[r], 0, pre.seqLength());
            rows[r] = r;
        }
        return new ForwardInputs(tok, pos, keys, past, lens, rows);
    }

    private static ForwardInputs step(ForwardInputs pre, int done, int b, long token) {
        long[] t = new long[b];
        Arrays.fill(t, token);
        return stepWith(pre, done, t);
    }

    private static long[] append(long[] a, long x) {
        long[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = x;
        return out;
    }

    private static void assertClose(INDArray want, INDArray got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        float[] e = want.dup('c').data().asFloat();
        float[] a = got.dup('c').data().asFloat();
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(a[i] - e[i]) <= 1e-5 * (1 + Math.abs(e[i])))) {
                throw new AssertionError(what + " [" + i + "]: " + a[i] + " vs " + e[i]);
            }
        }
    }
}
