package dev.steering.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link GraphExecutor} computes what SameDiff's own session computes, on prefill and on cached decode steps. */
class GraphExecutorTest {

    /**
     * With every matmul kernel policy: BLAS, libnd4j's matmul op, transposed BLAS, and measuring (whose first calls
     * of each shape cycle through the kernels before it settles, so one run goes through all).
     */
    @ParameterizedTest
    @CsvSource({"gpt-neox-tiny,BLAS", "gpt2-tiny,BLAS", "gpt-neox-tiny,OP", "gpt-neox-tiny,BLAS_TRANSPOSED",
            "gpt2-tiny,BLAS_TRANSPOSED", "gpt-neox-tiny,MEASURE", "gpt2-tiny,MEASURE", "gpt-neox-tiny,ND4J",
            "gpt2-tiny,ND4J"})
    void equalsSameDiffOutputOnPrefillAndDecode(String fixture, String kernels) {
        try (LanguageModel model = LanguageModel.load(Reference.fixture(fixture))) {
            int layers = model.config().numLayers();
            SameDiffEngine graph = (SameDiffEngine) model.engine();
            SameDiff sd = graph.sameDiff();
            GraphExecutor ex = kernels.equals("ND4J") ? new GraphExecutor(sd, Kernels.ND4J)
                    : new GraphExecutor(sd, Kernels.JAVA, kernels.equals("MEASURE") ? MatmulKernels.measuring()
                    : MatmulKernels.always(MatmulKernels.Kernel.valueOf(kernels)));
            List<String> outs = new ArrayList<>(List.of(GraphBuilder.LOGITS));
            for (int l = 0; l < layers; l++) {
                outs.add(GraphBuilder.presentKeyName(l));
                outs.add(GraphBuilder.presentValueName(l));
            }
            String[] names = outs.toArray(new String[0]);

            // prefill: two rows, the second left-padded
            ForwardInputs pre = ForwardInputs.leftPadded(List.of(new long[]{510, 3158, 8516, 30013, 27287},
                    new long[]{42, 717, 247}), 0);
            Map<String, INDArray> feed = feed(graph, pre, null);
            Map<String, INDArray> want = sd.output(feed, names);
            for (int rep = 0; rep < 2; rep++) {            // the second call runs on pooled buffers
                assertSame(want, ex.output(feed, names), fixture + " prefill call " + rep);
            }

            // three decode steps on the grown cache, alternating executors' caches must agree
            Map<String, INDArray> got = ex.output(feed, names);
            for (int step = 0; step < 3; step++) {
                long[][] tok = {{100 + step}, {200 + step}};
                boolean[][] valid = new boolean[2][pre.seqLength() + step + 1];
                for (int r = 0; r < 2; r++) {
                    java.util.Arrays.fill(valid[r], true);
                }
                valid[1][0] = false;
                valid[1][1] = false;
                long[][] pos = {{5 + step}, {3 + step}};
                ForwardInputs in = new ForwardInputs(tok, pos, valid, pre.seqLength() + step, new int[]{5, 3},
                        new int[]{0, 1});
                Map<String, INDArray> f = feed(graph, in, got);
                want = sd.output(f, names);
                got = ex.output(f, names);
                assertSame(want, got, fixture + " decode step " + step);
            }
        }
    }

    /**
     * Prompts longer than a decode step's few query rows: the prefill's attention products, softmax and moments run
     * in Java ({@link SmallBatchedMatmul}, {@link RowKernels}), left padding included, on both kernel paths.
     */
    @ParameterizedTest
    @CsvSource({"gpt-neox-tiny,JAVA", "gpt2-tiny,JAVA", "gpt-neox-tiny,ND4J"})
    void longPromptsEqualSameDiffOutput(String fixture, String kernels) {
        try (LanguageModel model = LanguageModel.load(Reference.fixture(fixture))) {
            SameDiffEngine graph = (SameDiffEngine) model.engine();
            SameDiff sd = graph.sameDiff();
            try (GraphExecutor ex = new GraphExecutor(sd, Kernels.valueOf(kernels))) {
                long[] a = new long[70];                    // 70 query rows: two blocks of the prefill kernel
                long[] b = new long[11];
                for (int i = 0; i < a.length; i++) {
                    a[i] = 17 + 389L * i % 20000;
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = 501 + 97L * i;
                }
                ForwardInputs pre = ForwardInputs.leftPadded(List.of(a, b), 0);
                Map<String, INDArray> feed = feed(graph, pre, null);
                String[] names = {GraphBuilder.LOGITS, GraphBuilder.presentKeyName(0)};
                Map<String, INDArray> want = sd.output(feed, names);
                for (int rep = 0; rep < 2; rep++) {
                    assertSame(want, ex.output(feed, names), fixture + " " + kernels + " long prefill " + rep);
                }
            }
        }
    }

    /**
     * Reshapes run as views of their input, which stays alive while any view is read: a reshape read after its
     * input's own last reader, one requested as an output, one of a fed view (copied), and a result that is later
     * overwritten in the pool; on pooled repeats and on both kernel paths.
     */
    @ParameterizedTest
    @CsvSource({"JAVA", "ND4J"})
    void reshapesAsViewsEqualSameDiffs(String kernels) {
        SameDiff sd = SameDiff.create();
        var x = sd.placeHolder("x", org.nd4j.linalg.api.buffer.DataType.FLOAT, -1, 12);
        var y = sd.placeHolder("y", org.nd4j.linalg.api.buffer.DataType.FLOAT, -1, 6);
        var h = x.mul(2.0).add(1.0);                              // a pooled intermediate
        var r = sd.reshape(h, -1, 3, 4);                          // a view of it
        var s = r.add(h.reshape(-1, 3, 4).mul(3.0));              // h's last direct reader is before r's
        var t = sd.reshape("t", s, -1, 12).sub(sd.reshape(y, -1, 12));
        var u = sd.reshape("u", sd.math.exp(t), -1, 4, 3);       // requested
        var w = u.mul(0.5).add(sd.reshape(r, -1, 4, 3));
        w.rename("w");
        INDArray xs = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 5, 12);
        INDArray wide = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 10, 9);
        INDArray ys = wide.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 8));        // a view, not row-major own memory
        Map<String, INDArray> feed = Map.of("x", xs, "y", ys);
        Map<String, INDArray> want = sd.output(feed, "w", "u", "t");
        try (GraphExecutor ex = new GraphExecutor(sd, Kernels.valueOf(kernels))) {
            for (int rep = 0; rep < 3; rep++) {
                Map<String, INDArray> got = ex.output(feed, "w", "u", "t");
                assertSame(want, got, kernels + " call " + rep);
                INDArray kept = got.get("u").dup();
                ex.output(feed, "w");                              // the caller's arrays are not pool buffers
                assertEquals(kept, got.get("u"));
            }
        }
    }

    private static void assertSame(Map<String, INDArray> want, Map<String, INDArray> got, String what) {
        assertEquals(want.keySet(), got.keySet());
        for (String k : want.keySet()) {
            assertArrayEquals(want.get(k).shape(), got.get(k).shape(), what + " " + k + " shape");
            float[] e = want.get(k).dup('c').data().asFloat();
            float[] a = got.get(k).dup('c').data().asFloat();
            for (int i = 0; i < e.length; i++) {
                if (!(Math.abs(a[i] - e[i]) <= 1e-5 * (1 + Math.abs(e[i])))) {
                    throw new AssertionError(what + " " + k + "[" + i + "]: " + a[i] + " vs " + e[i]);
                }
            }
        }
    }

    /** The placeholder values {@link SameDiffEngine#run} feeds (cache from {@code past} outputs, or empty). */
    private static Map<String, INDArray> feed(SameDiffEngine graph, ForwardInputs in, Map<String, INDArray> past) {
        Map<String, INDArray> feed = new LinkedHashMap<>(graph.feed(in, past == null ? null : cacheOf(past)));
        return feed;
    }

    private static KvCache cacheOf(Map<String, INDArray> out) {
        int layers = (out.size() - 1) / 2;
        INDArray[] k = new INDArray[layers];
        INDArray[] v = new INDArray[layers];
        for (int l = 0; l < layers; l++) {
            k[l] = out.get(GraphBuilder.presentKeyName(l));
            v[l] = out.get(GraphBuilder.presentValueName(l));
        }
        return new KvCache(k, v);
    }
}
