package dev.steering.model;

import dev.steering.hooks.HookPoint;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.RandomTensors;
import dev.steering.weights.TensorSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * GPT-NeoX (Pythia): learned token embedding, pre-LayerNorm blocks with (by default) parallel attention and MLP,
 * partial rotary embeddings, exact GELU, untied unembedding.
 *
 * <pre>
 * x = embed_in[tokens]
 * for each block:            # use_parallel_residual
 *     x = x + attn(ln1(x)) + mlp(ln2(x))
 * logits = embed_out · final_layer_norm(x)
 * </pre>
 */
public final class GptNeoX implements Architecture {
    private final GptNeoXConfig cfg;
    private final Weights weights;
    private final RotaryEmbedding rotary;

    /** Loads the weights of a {@code GPTNeoXForCausalLM} checkpoint (names and shapes checked). */
    public GptNeoX(GptNeoXConfig cfg, TensorSource tensors, String origin) {
        this(cfg, tensors, origin, null);
    }

    /** As {@link #GptNeoX(GptNeoXConfig, TensorSource, String)}, keeping matrices compact at {@code target} (null: F32). */
    public GptNeoX(GptNeoXConfig cfg, TensorSource tensors, String origin, StorageType target) {
        this.cfg = cfg;
        this.rotary = new RotaryEmbedding(cfg.headDim(), cfg.rotaryDim(),
                RotaryEmbedding.defaultInvFreq(cfg.rotaryDim(), cfg.rotaryEmbBase()), 1.0);
        long d = cfg.hiddenSize();
        long ff = cfg.intermediateSize();
        Weights.Collector w = new Weights.Collector(tensors, origin, target);
        w.copy("embed", "gpt_neox.embed_in.weight", cfg.vocabSize(), d);
        for (int l = 0; l < cfg.numLayers(); l++) {
            String p = "gpt_neox.layers." + l + ".";
            String q = "layer." + l + ".";
            w.copy(q + "ln1.weight", p + "input_layernorm.weight", d);
            w.copy(q + "ln1.bias", p + "input_layernorm.bias", d);
            w.copy(q + "ln2.weight", p + "post_attention_layernorm.weight", d);
            w.copy(q + "ln2.bias", p + "post_attention_layernorm.bias", d);
            String qkv = p + "attention.query_key_value.weight";
            w.stack(q + "qkv.weight", d, qkvBlockRows(cfg, qkv), () -> {
                INDArray stored = w.read(qkv, 3 * d, d);
                INDArray blocks = reorderQkvRows(cfg, stored, true);
                stored.close();
                return blocks;
            });
            if (cfg.attentionBias()) {
                w.put(q + "qkv.bias", reorderQkvRows(cfg, w.read(p + "attention.query_key_value.bias", 3 * d)
                        .reshape(3 * d, 1), true).reshape(1, 3 * d));
                w.put(q + "dense.bias", w.read(p + "attention.dense.bias", d).reshape(1, d));
            }
            w.copy(q + "dense.weight", p + "attention.dense.weight", d, d);
            w.copy(q + "up.weight", p + "mlp.dense_h_to_4h.weight", ff, d);
            w.put(q + "up.bias", w.read(p + "mlp.dense_h_to_4h.bias", ff).reshape(1, ff));
            w.copy(q + "down.weight", p + "mlp.dense_4h_to_h.weight", d, ff);
            w.put(q + "down.bias", w.read(p + "mlp.dense_4h_to_h.bias", d).reshape(1, d));
        }
        w.copy("ln_f.weight", "gpt_neox.final_layer_norm.weight", d);
        w.copy("ln_f.bias", "gpt_neox.final_layer_norm.bias", d);
        if (cfg.tieWordEmbeddings()) {
            w.copy("unembed", "gpt_neox.embed_in.weight", cfg.vocabSize(), d);
        } else {
            w.copy("unembed", "embed_out.weight", cfg.vocabSize(), d);
        }
        this.weights = w.build();
    }

    /**
     * Freshly initialised weights under Hugging Face names (embeddings ~ N(0, 0.02²), linear weights
     * ~ N(0, 1/in), zero biases, unit LayerNorm gains), as {@code steering-examples/src/test/scripts/bench/torch_bench.py} builds them: for
     * benchmarks and for training from scratch. Drawn in order from one {@link java.util.Random}.
     */
    public static Map<String, INDArray> initialTensors(GptNeoXConfig cfg, long seed) {
        java.util.Random random = new java.util.Random(seed);
        Map<String, INDArray> t = new LinkedHashMap<>();
        for (RandomTensors.Init init : initialization(cfg)) {
            long[] shape = init.shape();
            t.put(init.name(), init.std() > 0 ? gaussian(random, init.std(), shape[0], shape[1])
                    : Nd4j.valueArrayOf(shape, init.value(), DataType.FLOAT));
        }
        return t;
    }

    /**
     * The same initialisation drawn lazily ({@link RandomTensors}: each tensor when it is read, from a seed of its
     * own), so that a model of any size loads at its working precision without an F32 copy: for {@code bench}.
     */
    public static RandomTensors randomTensors(GptNeoXConfig cfg, long seed) {
        return new RandomTensors(initialization(cfg), seed);
    }

    /** The tensors of a fresh model and how each is drawn, in the order {@link #initialTensors} draws them. */
    private static List<RandomTensors.Init> initialization(GptNeoXConfig cfg) {
        long d = cfg.hiddenSize();
        long ff = cfg.intermediateSize();
        List<RandomTensors.Init> t = new java.util.ArrayList<>();
        t.add(RandomTensors.Init.normal("gpt_neox.embed_in.weight", 0.02, cfg.vocabSize(), d));
        for (int l = 0; l < cfg.numLayers(); l++) {
            String p = "gpt_neox.layers." + l + ".";
            for (String ln : List.of("input_layernorm", "post_attention_layernorm")) {
                t.add(RandomTensors.Init.constant(p + ln + ".weight", 1f, d));
                t.add(RandomTensors.Init.constant(p + ln + ".bias", 0f, d));
            }
            addLinear(t, p + "attention.query_key_value", 3 * d, d);
            addLinear(t, p + "attention.dense", d, d);
            addLinear(t, p + "mlp.dense_h_to_4h", ff, d);
            addLinear(t, p + "mlp.dense_4h_to_h", d, ff);
        }
        t.add(RandomTensors.Init.constant("gpt_neox.final_layer_norm.weight", 1f, d));
        t.add(RandomTensors.Init.constant("gpt_neox.final_layer_norm.bias", 0f, d));
        if (!cfg.tieWordEmbeddings()) {
            t.add(RandomTensors.Init.normal("embed_out.weight", 0.02, cfg.vocabSize(), d));
        }
        return t;
    }

    /**
     * The inverse of loading: graph-named parameters (as {@link #weights()} holds them, or as a trained graph's
     * variables) back to Hugging Face names and layouts — QKV rows in per-head order, 1-D biases — ready for
     * {@code SafeTensors.write}. Loading the result gives back exactly {@code graphWeights}.
     */
    public static Map<String, INDArray> huggingFaceTensors(GptNeoXConfig cfg, Map<String, INDArray> graphWeights) {
        long d = cfg.hiddenSize();
        Map<String, INDArray> t = new LinkedHashMap<>();
        java.util.function.Function<String, INDArray> w = name -> {
            INDArray a = graphWeights.get(name);
            if (a == null) {
                throw new IllegalArgumentException("no weight '" + name + "'");
            }
            return a.dup('c');
        };
        t.put("gpt_neox.embed_in.weight", w.apply("embed"));
        for (int l = 0; l < cfg.numLayers(); l++) {
            String p = "gpt_neox.layers." + l + ".";
            String q = "layer." + l + ".";
            t.put(p + "input_layernorm.weight", w.apply(q + "ln1.weight").reshape(d));
            t.put(p + "input_layernorm.bias", w.apply(q + "ln1.bias").reshape(d));
            t.put(p + "post_attention_layernorm.weight", w.apply(q + "ln2.weight").reshape(d));
            t.put(p + "post_attention_layernorm.bias", w.apply(q + "ln2.bias").reshape(d));
            t.put(p + "attention.query_key_value.weight", reorderQkvRows(cfg, w.apply(q + "qkv.weight"), false));
            if (cfg.attentionBias()) {
                t.put(p + "attention.query_key_value.bias",
                        reorderQkvRows(cfg, w.apply(q + "qkv.bias").reshape(3 * d, 1), false).reshape(3 * d));
                t.put(p + "attention.dense.bias", w.apply(q + "dense.bias").reshape(d));
            }
            t.put(p + "attention.dense.weight", w.apply(q + "dense.weight"));
            t.put(p + "mlp.dense_h_to_4h.weight", w.apply(q + "up.weight"));
            t.put(p + "mlp.dense_h_to_4h.bias", w.apply(q + "up.bias").reshape(cfg.intermediateSize()));
            t.put(p + "mlp.dense_4h_to_h.weight", w.apply(q + "down.weight"));
            t.put(p + "mlp.dense_4h_to_h.bias", w.apply(q + "down.bias").reshape(d));
        }
        t.put("gpt_neox.final_layer_norm.weight", w.apply("ln_f.weight").reshape(d));
        t.put("gpt_neox.final_layer_norm.bias", w.apply("ln_f.bias").reshape(d));
        if (!cfg.tieWordEmbeddings()) {
            t.put("embed_out.weight", w.apply("unembed"));
        }
        return t;
    }

    /** A linear layer's weight ~ N(0, 1/in) and zero bias. */
    private static void addLinear(List<RandomTensors.Init> t, String name, long out, long in) {
        t.add(RandomTensors.Init.normal(name + ".weight", 1.0 / Math.sqrt(in), out, in));
        t.add(RandomTensors.Init.constant(name + ".bias", 0f, out));
    }

    /**
     * A {@code [rows, cols]} matrix of N(0, std²) draws from {@code random}: Java's generator, because ND4J M2.1's
     * {@code Nd4j.randn} ignores {@code Nd4j.getRandom().setSeed} (two calls after the same seed differ), and
     * {@code Random.nextGaussian} gives the same numbers on every machine.
     */
    private static INDArray gaussian(java.util.Random random, double std, long rows, long cols) {
        float[] f = new float[Math.toIntExact(rows * cols)];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (random.nextGaussian() * std);
        }
        return Nd4j.createFromArray(f).reshape(rows, cols);
    }

    /**
     * Hugging Face stores the fused QKV rows per head ({@code q_h, k_h, v_h} for each head h); the graph wants
     * {@code [all q | all k | all v]} so one matmul yields contiguous query, key and value blocks. Reorders the rows
     * one way ({@code toBlocks}) or back.
     */
    private static INDArray reorderQkvRows(GptNeoXConfig cfg, INDArray rows, boolean toBlocks) {
        int h = cfg.numHeads();
        long hd = cfg.headDim();
        INDArray out = rows.dup('c');
        for (int head = 0; head < h; head++) {
            for (int part = 0; part < 3; part++) {
                long perHead = (head * 3L + part) * hd;
                long block = part * (long) h * hd + head * hd;
                long src = toBlocks ? perHead : block;
                long dst = toBlocks ? block : perHead;
                out.get(NDArrayIndex.interval(dst, dst + hd), NDArrayIndex.all())
                        .assign(rows.get(NDArrayIndex.interval(src, src + hd), NDArrayIndex.all()));
            }
        }
        return out;
    }

    /** The fused QKV rows in the graph's {@code [all q | all k | all v]} order, as runs of the per-head rows. */
    private static List<Weights.Collector.Rows> qkvBlockRows(GptNeoXConfig cfg, String name) {
        int h = cfg.numHeads();
        long hd = cfg.headDim();
        List<Weights.Collector.Rows> runs = new java.util.ArrayList<>();
        for (int part = 0; part < 3; part++) {
            for (int head = 0; head < h; head++) {
                runs.add(new Weights.Collector.Rows(name, 3L * h * hd, (head * 3L + part) * hd, hd));
            }
        }
        return runs;
    }

    @Override
    public GptNeoXConfig config() {
        return cfg;
    }

    @Override
    public Weights weights() {
        return weights;
    }

    @Override
    public void forward(GraphBuilder g) {
        SDVariable x = g.embedTokens("embed");
        for (int l = 0; l < cfg.numLayers(); l++) {
            x = block(g, l, x);
        }
        SDVariable h = g.hook(HookPoint.lnFinal(), layerNorm(g, x, "ln_f"));
        g.unembed(h, "unembed", null, 0);
    }

    private SDVariable block(GraphBuilder g, int l, SDVariable x) {
        String p = "layer." + l + ".";
        x = g.hook(HookPoint.residPre(l), x);
        if (cfg.useParallelResidual()) {
            // both LayerNorms see the same x: standardise once, then each applies its own gain and bias
            SDVariable normed = Ops.standardize(g.sd(), x, cfg.layerNormEps());
            SDVariable attn = g.hook(HookPoint.attnOut(l), attention(g, l, affine(g, normed, p + "ln1")));
            SDVariable mlp = g.hook(HookPoint.mlpOut(l), mlp(g, l, affine(g, normed, p + "ln2")));
            x = x.add(attn).add(mlp);
        } else {
            SDVariable attn = g.hook(HookPoint.attnOut(l), attention(g, l, layerNorm(g, x, p + "ln1")));
            x = x.add(attn);
            x = x.add(g.hook(HookPoint.mlpOut(l), mlp(g, l, layerNorm(g, x, p + "ln2"))));
        }
        return g.hook(HookPoint.residPost(l), x);
    }

    private SDVariable attention(GraphBuilder g, int l, SDVariable x) {
        SameDiff sd = g.sd();
        String p = "layer." + l + ".";
        int h = cfg.numHeads();
        int hd = cfg.headDim();
        long d = cfg.hiddenSize();
        SDVariable qkv = Ops.linear(sd, x, g.weight(p + "qkv.weight"), cfg.attentionBias() ? g.weight(p + "qkv.bias") : null);
        SDVariable qk = g.rotary(rotary, Ops.columns(qkv, 0, 2 * d), 2 * h);   // queries and keys in one go
        SDVariable q = Ops.columns(qk, 0, d);
        SDVariable k = Ops.columns(qk, d, 2 * d);
        SDVariable v = Ops.columns(qkv, 2 * d, 3 * d);
        SDVariable[] kv = g.kvCache(l, g.splitHeads(k, h, hd), g.splitHeads(v, h, hd), h, hd);
        SDVariable ctx = Ops.attention(sd, g.splitHeads(q, h, hd), kv[0], kv[1], g.attentionMask(),
                1.0 / Math.sqrt(hd), 0);
        return Ops.linear(sd, g.mergeHeads(ctx, (int) d), g.weight(p + "dense.weight"),
                cfg.attentionBias() ? g.weight(p + "dense.bias") : null);
    }

    private SDVariable mlp(GraphBuilder g, int l, SDVariable x) {
        SameDiff sd = g.sd();
        String p = "layer." + l + ".";
        SDVariable up = Ops.linear(sd, x, g.weight(p + "up.weight"), g.weight(p + "up.bias"));
        return Ops.linear(sd, Ops.activation(sd, cfg.hiddenAct(), up), g.weight(p + "down.weight"),
                g.weight(p + "down.bias"));
    }

    private SDVariable affine(GraphBuilder g, SDVariable normed, String name) {
        return Ops.affine(normed, g.weight(name + ".weight"), g.weight(name + ".bias"));
    }

    private SDVariable layerNorm(GraphBuilder g, SDVariable x, String name) {
        return Ops.layerNorm(g.sd(), x, g.weight(name + ".weight"), g.weight(name + ".bias"), cfg.layerNormEps());
    }
}
