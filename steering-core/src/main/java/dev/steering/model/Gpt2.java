package dev.steering.model;

import dev.steering.hooks.HookPoint;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.TensorSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * GPT-2: learned token and position embeddings, sequential pre-LayerNorm blocks, tanh GELU, unembedding tied to
 * the token embedding (or {@code lm_head.weight} when present).
 *
 * <pre>
 * x = wte[tokens] + wpe[positions]
 * for each block:
 *     x = x + attn(ln_1(x))
 *     x = x + mlp(ln_2(x))
 * logits = wteᵀ · ln_f(x)
 * </pre>
 */
public final class Gpt2 implements Architecture {
    private final Gpt2Config cfg;
    private final Weights weights;

    /**
     * Loads the weights of a {@code GPT2LMHeadModel} checkpoint, with or without the {@code transformer.} name
     * prefix. GPT-2 stores its {@code Conv1D} weights {@code [in, out]}; they are transposed once here to the
     * {@code [out, in]} layout of {@link Ops#linear}.
     */
    public Gpt2(Gpt2Config cfg, TensorSource tensors, String origin) {
        this(cfg, tensors, origin, null);
    }

    /** As {@link #Gpt2(Gpt2Config, TensorSource, String)}, keeping matrices compact at {@code target} (null: F32). */
    public Gpt2(Gpt2Config cfg, TensorSource tensors, String origin, StorageType target) {
        this.cfg = cfg;
        long d = cfg.hiddenSize();
        long ff = cfg.intermediateSize();
        Weights.Collector w = new Weights.Collector(tensors, origin, target);
        String t = w.has("transformer.wte.weight") ? "transformer." : "";
        w.copy("wte", t + "wte.weight", cfg.vocabSize(), d);
        w.copy("wpe", t + "wpe.weight", cfg.maxPositions(), d);
        for (int l = 0; l < cfg.numLayers(); l++) {
            String p = t + "h." + l + ".";
            String q = "layer." + l + ".";
            w.copy(q + "ln1.weight", p + "ln_1.weight", d);
            w.copy(q + "ln1.bias", p + "ln_1.bias", d);
            w.copy(q + "ln2.weight", p + "ln_2.weight", d);
            w.copy(q + "ln2.bias", p + "ln_2.bias", d);
            w.transposed(q + "qkv.weight", p + "attn.c_attn.weight", d, 3 * d);
            w.put(q + "qkv.bias", w.read(p + "attn.c_attn.bias", 3 * d).reshape(1, 3 * d));
            w.transposed(q + "proj.weight", p + "attn.c_proj.weight", d, d);
            w.put(q + "proj.bias", w.read(p + "attn.c_proj.bias", d).reshape(1, d));
            w.transposed(q + "fc.weight", p + "mlp.c_fc.weight", d, ff);
            w.put(q + "fc.bias", w.read(p + "mlp.c_fc.bias", ff).reshape(1, ff));
            w.transposed(q + "out.weight", p + "mlp.c_proj.weight", ff, d);
            w.put(q + "out.bias", w.read(p + "mlp.c_proj.bias", d).reshape(1, d));
        }
        w.copy("ln_f.weight", t + "ln_f.weight", d);
        w.copy("ln_f.bias", t + "ln_f.bias", d);
        if (w.has("lm_head.weight")) {
            w.copy("unembed", "lm_head.weight", cfg.vocabSize(), d);
        }
        this.weights = w.build();
    }

    @Override
    public Gpt2Config config() {
        return cfg;
    }

    @Override
    public Weights weights() {
        return weights;
    }

    @Override
    public void forward(GraphBuilder g) {
        SDVariable x = g.embedTokens("wte").add(g.embedPositions("wpe"));
        for (int l = 0; l < cfg.numLayers(); l++) {
            x = block(g, l, x);
        }
        SDVariable h = g.hook(HookPoint.lnFinal(), layerNorm(g, x, "ln_f"));
        g.unembed(h, weights.has("unembed") ? "unembed" : "wte", null, 0);
    }

    private SDVariable block(GraphBuilder g, int l, SDVariable x) {
        String p = "layer." + l + ".";
        x = g.hook(HookPoint.residPre(l), x);
        x = x.add(g.hook(HookPoint.attnOut(l), attention(g, l, layerNorm(g, x, p + "ln1"))));
        x = x.add(g.hook(HookPoint.mlpOut(l), mlp(g, l, layerNorm(g, x, p + "ln2"))));
        return g.hook(HookPoint.residPost(l), x);
    }

    private SDVariable attention(GraphBuilder g, int l, SDVariable x) {
        SameDiff sd = g.sd();
        String p = "layer." + l + ".";
        int h = cfg.numHeads();
        int hd = cfg.headDim();
        long d = cfg.hiddenSize();
        SDVariable qkv = Ops.linear(sd, x, g.weight(p + "qkv.weight"), g.weight(p + "qkv.bias"));
        SDVariable q = g.splitHeads(Ops.columns(qkv, 0, d), h, hd);
        SDVariable[] kv = g.kvCache(l, g.splitHeads(Ops.columns(qkv, d, 2 * d), h, hd),
                g.splitHeads(Ops.columns(qkv, 2 * d, 3 * d), h, hd), h, hd);
        SDVariable ctx = Ops.attention(sd, q, kv[0], kv[1], g.attentionMask(), 1.0 / Math.sqrt(hd), 0);
        return Ops.linear(sd, g.mergeHeads(ctx, (int) d), g.weight(p + "proj.weight"), g.weight(p + "proj.bias"));
    }

    private SDVariable mlp(GraphBuilder g, int l, SDVariable x) {
        SameDiff sd = g.sd();
        String p = "layer." + l + ".";
        SDVariable up = Ops.linear(sd, x, g.weight(p + "fc.weight"), g.weight(p + "fc.bias"));
        return Ops.linear(sd, Ops.activation(sd, cfg.activation(), up), g.weight(p + "out.weight"),
                g.weight(p + "out.bias"));
    }

    private SDVariable layerNorm(GraphBuilder g, SDVariable x, String name) {
        return Ops.layerNorm(g.sd(), x, g.weight(name + ".weight"), g.weight(name + ".bias"), cfg.layerNormEps());
    }
}
