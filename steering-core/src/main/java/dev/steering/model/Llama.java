package dev.steering.model;

import dev.steering.hooks.HookPoint;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.TensorSource;
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
                w.matrix(q + "qkv.weight", p + "self_attn.q_proj.weight", Nd4j.concat(0,
                        w.read(p + "self_attn.q_proj.weight", qw, d),
                        w.read(p + "self_attn.k_proj.weight", kvw, d), w.read(p + "self_attn.v_proj.weight", kvw, d)));
                w.matrix(q + "gate_up.weight", p + "mlp.gate_proj.weight", Nd4j.concat(0,
                        w.read(p + "mlp.gate_proj.weight", ff, d),
                        w.read(p + "mlp.up_proj.weight", ff, d)));
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
