package dev.steering.model;

import dev.steering.hooks.HookPoint;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.TensorSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Gemma-2: scaled embeddings, RMSNorm with a {@code (1 + w)} gain, norms before and after both attention and MLP,
 * GeGLU, soft-capped attention scores and logits, sliding-window attention on alternate layers, tied head.
 *
 * <pre>
 * x = embed_tokens[tokens] · sqrt(hidden)
 * for each block:
 *     x = x + post_attention_layernorm(attn(input_layernorm(x)))       # hook attn_out: after the post-norm
 *     x = x + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x)))   # hook mlp_out: likewise
 * logits = cap · tanh(embed_tokensᵀ · norm(x) / cap)
 * </pre>
 *
 * The {@code (1 + w)} of every norm is added to the weights once at load, so the graph uses the plain
 * {@link Ops#rmsNorm}; {@link #weights()} therefore holds {@code 1 + w}.
 */
public final class Gemma2 implements Architecture {
    private static final String[] NORMS = {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
            "post_feedforward_layernorm"};

    private final Gemma2Config cfg;
    private final Weights weights;
    private final RotaryEmbedding rotary;

    /** Loads the weights of a {@code Gemma2ForCausalLM} checkpoint (names and shapes checked). */
    public Gemma2(Gemma2Config cfg, TensorSource tensors, String origin) {
        this(cfg, tensors, origin, null);
    }

    /** As {@link #Gemma2(Gemma2Config, TensorSource, String)}, keeping matrices compact at {@code target} (null: F32). */
    public Gemma2(Gemma2Config cfg, TensorSource tensors, String origin, StorageType target) {
        this.cfg = cfg;
        this.rotary = cfg.ropeScaling().embedding(cfg.headDim(), cfg.headDim(), cfg.ropeTheta());
        long d = cfg.hiddenSize();
        long ff = cfg.intermediateSize();
        long qw = (long) cfg.numHeads() * cfg.headDim();
        long kvw = (long) cfg.numKvHeads() * cfg.headDim();
        Weights.Collector w = new Weights.Collector(tensors, origin, target);
        w.copy("embed", "model.embed_tokens.weight", cfg.vocabSize(), d);
        for (int l = 0; l < cfg.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            String q = "layer." + l + ".";
            for (String norm : NORMS) {
                w.put(q + norm, w.read(p + norm + ".weight", d).add(1f));
            }
            Llama.stackQkv(w, q + "qkv.weight", p, qw, kvw, d);
            w.copy(q + "o.weight", p + "self_attn.o_proj.weight", d, qw);
            Llama.stackGateUp(w, q + "gate_up.weight", p, ff, d);
            w.copy(q + "down.weight", p + "mlp.down_proj.weight", d, ff);
        }
        w.put("norm", w.read("model.norm.weight", d).add(1f));
        this.weights = w.build();
    }

    @Override
    public Gemma2Config config() {
        return cfg;
    }

    @Override
    public Weights weights() {
        return weights;
    }

    @Override
    public void forward(GraphBuilder g) {
        // Hugging Face multiplies by sqrt(hidden) as a tensor of the activations' dtype: F32 here
        SDVariable x = g.embedTokens("embed").mul((float) Math.sqrt(cfg.hiddenSize()));
        for (int l = 0; l < cfg.numLayers(); l++) {
            x = block(g, l, x);
        }
        SDVariable h = g.hook(HookPoint.lnFinal(), rmsNorm(g, x, "norm"));
        g.unembed(h, "embed", null, cfg.finalLogitSoftcapping());
    }

    private SDVariable block(GraphBuilder g, int l, SDVariable x) {
        String p = "layer." + l + ".";
        x = g.hook(HookPoint.residPre(l), x);
        SDVariable attn = attention(g, l, rmsNorm(g, x, p + "input_layernorm"));
        x = x.add(g.hook(HookPoint.attnOut(l), rmsNorm(g, attn, p + "post_attention_layernorm")));
        SDVariable mlp = mlp(g, l, rmsNorm(g, x, p + "pre_feedforward_layernorm"));
        x = x.add(g.hook(HookPoint.mlpOut(l), rmsNorm(g, mlp, p + "post_feedforward_layernorm")));
        return g.hook(HookPoint.residPost(l), x);
    }

    private SDVariable attention(GraphBuilder g, int l, SDVariable x) {
        SameDiff sd = g.sd();
        String p = "layer." + l + ".";
        SDVariable qkv = Ops.linear(sd, x, g.weight(p + "qkv.weight"), null);
        SDVariable ctx = g.selfAttention(l, qkv, rotary, cfg.numHeads(), cfg.numKvHeads(), cfg.headDim(),
                1.0 / Math.sqrt(cfg.queryPreAttnScalar()), cfg.attnLogitSoftcapping(), cfg.windowOf(l));
        return Ops.linear(sd, ctx, g.weight(p + "o.weight"), null);
    }

    private SDVariable mlp(GraphBuilder g, int l, SDVariable x) {
        String p = "layer." + l + ".";
        return Ops.gatedMlp(g.sd(), x, g.weight(p + "gate_up.weight"), null, g.weight(p + "down.weight"), null,
                cfg.intermediateSize(), cfg.hiddenActivation());
    }

    private SDVariable rmsNorm(GraphBuilder g, SDVariable x, String weight) {
        return Ops.rmsNorm(g.sd(), x, g.weight(weight), cfg.rmsNormEps());
    }
}
