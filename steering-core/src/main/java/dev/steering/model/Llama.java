package dev.steering.model;

import dev.steering.hooks.HookPoint;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.RandomTensors;
import dev.steering.weights.TensorSource;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Llama-style decoder, shared by Llama, Qwen2, Mistral and Phi-3 (see {@link LlamaConfig.Variant}): RMSNorm
 * before attention and MLP, rotary grouped-query attention, gated MLP (SwiGLU).
 *
 * <pre>
 * x = embed_tokens[tokens]
 * for each block:
 *     x = x + o_proj(attn(rope(q), rope(k), v))        # q, k, v = qkv(input_layernorm(x))
 *     x = x + down(act(gate(h)) · up(h))                # h = post_attention_layernorm(x)
 * logits = lm_head · norm(x)                           # lm_head = embed_tokens when tied
 * </pre>
 *
 * Separate q/k/v and gate/up weights are fused at load ({@code [q; k; v]}, {@code [gate; up]}), as Phi-3 stores
 * them, so each block runs one projection for each.
 */
public final class Llama implements Architecture {
    private static final Logger LOG = LoggerFactory.getLogger(Llama.class);

    private final LlamaConfig cfg;
    private final Weights weights;
    private final RotaryEmbedding rotary;
    private final String unembed;

    /** Loads the weights of a Llama, Qwen2, Mistral or Phi-3 checkpoint (names and shapes checked). */
    public Llama(LlamaConfig cfg, TensorSource tensors, String origin) {
        this(cfg, tensors, origin, null);
    }

    /** As {@link #Llama(LlamaConfig, TensorSource, String)}, keeping matrices compact at {@code target} (null: F32). */
    public Llama(LlamaConfig cfg, TensorSource tensors, String origin, StorageType target) {
        this.cfg = cfg;
        this.rotary = cfg.ropeScaling().embedding(cfg.headDim(), cfg.rotaryDim(), cfg.ropeTheta());
        long d = cfg.hiddenSize();
        long ff = cfg.intermediateSize();
        long qw = (long) cfg.numHeads() * cfg.headDim();
        long kvw = (long) cfg.numKvHeads() * cfg.headDim();
        boolean fused = cfg.variant() == LlamaConfig.Variant.PHI3;
        Weights.Collector w = new Weights.Collector(tensors, origin, target);
        w.copy("embed", "model.embed_tokens.weight", cfg.vocabSize(), d);
        for (int l = 0; l < cfg.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            String q = "layer." + l + ".";
            w.copy(q + "ln1.weight", p + "input_layernorm.weight", d);
            w.copy(q + "ln2.weight", p + "post_attention_layernorm.weight", d);
            if (fused) {
                w.copy(q + "qkv.weight", p + "self_attn.qkv_proj.weight", qw + 2 * kvw, d);
                w.copy(q + "gate_up.weight", p + "mlp.gate_up_proj.weight", 2 * ff, d);
            } else {
                stackQkv(w, q + "qkv.weight", p, qw, kvw, d);
                stackGateUp(w, q + "gate_up.weight", p, ff, d);
            }
            if (cfg.qkvBias()) {
                w.put(q + "qkv.bias", Nd4j.concat(0, w.read(p + "self_attn.q_proj.bias", qw),
                        w.read(p + "self_attn.k_proj.bias", kvw), w.read(p + "self_attn.v_proj.bias", kvw))
                        .reshape(1, qw + 2 * kvw));
            }
            w.copy(q + "o.weight", p + "self_attn.o_proj.weight", d, qw);
            if (cfg.outputBias()) {
                w.put(q + "o.bias", w.read(p + "self_attn.o_proj.bias", d).reshape(1, d));
            }
            w.copy(q + "down.weight", p + "mlp.down_proj.weight", d, ff);
            if (cfg.mlpBias()) {
                w.put(q + "gate_up.bias", Nd4j.concat(0, w.read(p + "mlp.gate_proj.bias", ff),
                        w.read(p + "mlp.up_proj.bias", ff)).reshape(1, 2 * ff));
                w.put(q + "down.bias", w.read(p + "mlp.down_proj.bias", d).reshape(1, d));
            }
        }
        w.copy("norm.weight", "model.norm.weight", d);
        this.unembed = loadHead(w, cfg.tieWordEmbeddings(), cfg.vocabSize(), d, origin);
        this.weights = w.build();
    }

    /** Stores {@code [q; k; v]} of block prefix {@code p} as {@code graphName}. */
    static void stackQkv(Weights.Collector w, String graphName, String p, long qw, long kvw, long d) {
        String qn = p + "self_attn.q_proj.weight";
        String kn = p + "self_attn.k_proj.weight";
        String vn = p + "self_attn.v_proj.weight";
        w.stack(graphName, d, List.of(Weights.Collector.Rows.all(qn, qw), Weights.Collector.Rows.all(kn, kvw),
                Weights.Collector.Rows.all(vn, kvw)),
                () -> Weights.Collector.concatRows(w.read(qn, qw, d), w.read(kn, kvw, d), w.read(vn, kvw, d)));
    }

    /** Stores {@code [gate; up]} of block prefix {@code p} as {@code graphName}. */
    static void stackGateUp(Weights.Collector w, String graphName, String p, long ff, long d) {
        String gn = p + "mlp.gate_proj.weight";
        String un = p + "mlp.up_proj.weight";
        w.stack(graphName, d, List.of(Weights.Collector.Rows.all(gn, ff), Weights.Collector.Rows.all(un, ff)),
                () -> Weights.Collector.concatRows(w.read(gn, ff, d), w.read(un, ff, d)));
    }

    /**
     * Stores {@code lm_head.weight} as {@code unembed} unless the head is tied; returns the graph name of the head.
     * A checkpoint without {@code lm_head.weight} is tied whatever its config says (as the tied checkpoints saved
     * without the duplicate are).
     */
    static String loadHead(Weights.Collector w, boolean tied, int vocab, long d, String origin) {
        if (!tied && w.has("lm_head.weight")) {
            w.copy("unembed", "lm_head.weight", vocab, d);
            return "unembed";
        }
        if (!tied) {
            LOG.warn("{}: tie_word_embeddings is false but there is no lm_head.weight; using the embedding", origin);
        }
        return "embed";
    }

    /**
     * Random weights of this shape under Hugging Face names, drawn when read ({@link RandomTensors}): embeddings and
     * an untied head ~ N(0, 0.02²), projections ~ N(0, 1/in), zero biases, unit norm gains (GPT-NeoX's
     * {@link GptNeoX#initialTensors} convention). For benchmarks: a model of any size loads from it at its working
     * precision without an F32 copy.
     */
    public static RandomTensors randomTensors(LlamaConfig cfg, long seed) {
        long d = cfg.hiddenSize();
        long ff = cfg.intermediateSize();
        long qw = (long) cfg.numHeads() * cfg.headDim();
        long kvw = (long) cfg.numKvHeads() * cfg.headDim();
        List<RandomTensors.Init> t = new java.util.ArrayList<>();
        t.add(RandomTensors.Init.normal("model.embed_tokens.weight", 0.02, cfg.vocabSize(), d));
        for (int l = 0; l < cfg.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            t.add(RandomTensors.Init.constant(p + "input_layernorm.weight", 1f, d));
            t.add(RandomTensors.Init.constant(p + "post_attention_layernorm.weight", 1f, d));
            if (cfg.variant() == LlamaConfig.Variant.PHI3) {
                t.add(linear(p + "self_attn.qkv_proj.weight", qw + 2 * kvw, d));
                t.add(linear(p + "mlp.gate_up_proj.weight", 2 * ff, d));
            } else {
                for (String x : List.of("q", "k", "v")) {
                    t.add(linear(p + "self_attn." + x + "_proj.weight", x.equals("q") ? qw : kvw, d));
                }
                t.add(linear(p + "mlp.gate_proj.weight", ff, d));
                t.add(linear(p + "mlp.up_proj.weight", ff, d));
            }
            if (cfg.qkvBias()) {
                for (String x : List.of("q", "k", "v")) {
                    t.add(RandomTensors.Init.constant(p + "self_attn." + x + "_proj.bias", 0f, x.equals("q") ? qw : kvw));
                }
            }
            t.add(linear(p + "self_attn.o_proj.weight", d, qw));
            if (cfg.outputBias()) {
                t.add(RandomTensors.Init.constant(p + "self_attn.o_proj.bias", 0f, d));
            }
            t.add(linear(p + "mlp.down_proj.weight", d, ff));
            if (cfg.mlpBias()) {
                t.add(RandomTensors.Init.constant(p + "mlp.gate_proj.bias", 0f, ff));
                t.add(RandomTensors.Init.constant(p + "mlp.up_proj.bias", 0f, ff));
                t.add(RandomTensors.Init.constant(p + "mlp.down_proj.bias", 0f, d));
            }
        }
        t.add(RandomTensors.Init.constant("model.norm.weight", 1f, d));
        if (!cfg.tieWordEmbeddings()) {
            t.add(RandomTensors.Init.normal("lm_head.weight", 0.02, cfg.vocabSize(), d));
        }
        return new RandomTensors(t, seed);
    }

    private static RandomTensors.Init linear(String name, long out, long in) {
        return RandomTensors.Init.normal(name, 1.0 / Math.sqrt(in), out, in);
    }

    @Override
    public LlamaConfig config() {
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
        SDVariable h = g.hook(HookPoint.lnFinal(), rmsNorm(g, x, "norm.weight"));
        g.unembed(h, unembed, null, 0);
    }

    private SDVariable block(GraphBuilder g, int l, SDVariable x) {
        String p = "layer." + l + ".";
        x = g.hook(HookPoint.residPre(l), x);
        x = x.add(g.hook(HookPoint.attnOut(l), attention(g, l, rmsNorm(g, x, p + "ln1.weight"))));
        x = x.add(g.hook(HookPoint.mlpOut(l), mlp(g, l, rmsNorm(g, x, p + "ln2.weight"))));
        return g.hook(HookPoint.residPost(l), x);
    }

    private SDVariable attention(GraphBuilder g, int l, SDVariable x) {
        SameDiff sd = g.sd();
        String p = "layer." + l + ".";
        SDVariable qkv = Ops.linear(sd, x, g.weight(p + "qkv.weight"), cfg.qkvBias() ? g.weight(p + "qkv.bias") : null);
        SDVariable ctx = g.selfAttention(l, qkv, rotary, cfg.numHeads(), cfg.numKvHeads(), cfg.headDim(),
                1.0 / Math.sqrt(cfg.headDim()), 0, cfg.windowOf(l));
        return Ops.linear(sd, ctx, g.weight(p + "o.weight"), cfg.outputBias() ? g.weight(p + "o.bias") : null);
    }

    private SDVariable mlp(GraphBuilder g, int l, SDVariable x) {
        String p = "layer." + l + ".";
        boolean bias = cfg.mlpBias();
        return Ops.gatedMlp(g.sd(), x, g.weight(p + "gate_up.weight"), bias ? g.weight(p + "gate_up.bias") : null,
                g.weight(p + "down.weight"), bias ? g.weight(p + "down.bias") : null, cfg.intermediateSize(),
                cfg.hiddenAct());
    }

    private SDVariable rmsNorm(GraphBuilder g, SDVariable x, String weight) {
        return Ops.rmsNorm(g.sd(), x, g.weight(weight), cfg.rmsNormEps());
    }
}
