package dev.steering.model;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The building blocks of every architecture's forward pass, each written once. Activations are 2-D
 * {@code [rows, features]} where rows are batch × positions, so every projection is one plain matmul.
 *
 * <p>Several SameDiff built-ins are wrong for these models ({@code sd.nn.layerNorm} has no epsilon,
 * {@code sd.nn.gelu} is the sigmoid approximation, {@code sd.nn.preciseGelu} is buggy), so the exact forms are
 * composed here from elementary ops.
 */
public final class Ops {
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /** The {@code hidden_act} names {@link #activation} implements. */
    private static final java.util.Set<String> ACTIVATIONS =
            java.util.Set.of("gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish");

    private Ops() {
    }

    /**
     * {@code x·Wᵀ + b} with {@code W} in PyTorch {@code nn.Linear} layout {@code [out, in]} (BLAS reads it
     * transposed, no copy); {@code b} may be null.
     */
    public static SDVariable linear(SameDiff sd, SDVariable x, SDVariable w, SDVariable b) {
        SDVariable y = sd.mmul(x, w, false, true, false);
        return b == null ? y : y.add(b);
    }

    /** LayerNorm over the last axis: {@code (x − mean) / sqrt(var + eps) · gain + bias} (biased variance, as PyTorch). */
    public static SDVariable layerNorm(SameDiff sd, SDVariable x, SDVariable gain, SDVariable bias, double eps) {
        return affine(standardize(sd, x, eps), gain, bias);
    }

    /**
     * LayerNorm's first half, {@code (x − mean) / sqrt(var + eps)} over the last axis: two LayerNorms of the same
     * input (GPT-NeoX's parallel attention and MLP) share it and differ only in {@link #affine}.
     */
    public static SDVariable standardize(SameDiff sd, SDVariable x, double eps) {
        SDVariable[] meanVar = sd.math.moments(x, new int[]{-1}, true);
        return x.sub(meanVar[0]).mul(sd.math.rsqrt(meanVar[1].add(eps)));
    }

    /** LayerNorm's second half, {@code x · gain + bias} ({@code bias} may be null). */
    public static SDVariable affine(SDVariable x, SDVariable gain, SDVariable bias) {
        return bias == null ? x.mul(gain) : x.mul(gain).add(bias);
    }

    /**
     * RMSNorm over the last axis: {@code x · rsqrt(mean(x²) + eps) · gain} (Llama family, in F32). Gemma's
     * {@code (1 + w)} gain is this formula with the offset added to the weight once, at load.
     */
    public static SDVariable rmsNorm(SameDiff sd, SDVariable x, SDVariable gain, double eps) {
        return x.mul(sd.math.rsqrt(sd.mean(x.mul(x), true, -1).add(eps))).mul(gain);
    }

    /**
     * Gated MLP {@code down(act(gate(x)) · up(x))} (SwiGLU with {@code silu}, GeGLU with a GELU) from the fused
     * {@code [gate; up]} weight {@code [2·ff, in]}; the biases may be null.
     */
    public static SDVariable gatedMlp(SameDiff sd, SDVariable x, SDVariable gateUp, SDVariable gateUpBias,
                                      SDVariable down, SDVariable downBias, long ff, String activation) {
        SDVariable gu = linear(sd, x, gateUp, gateUpBias);
        SDVariable gated = activation(sd, activation, columns(gu, 0, ff)).mul(columns(gu, ff, 2 * ff));
        return linear(sd, gated, down, downBias);
    }

    /** Soft-capping {@code cap·tanh(x/cap)} (Gemma-2's attention scores and final logits). */
    public static SDVariable softCap(SameDiff sd, SDVariable x, double cap) {
        return sd.math.tanh(x.div(cap)).mul(cap);
    }

    /** Exact GELU, {@code 0.5·x·(1 + erf(x/√2))} (PyTorch {@code gelu}, Pythia's {@code hidden_act: gelu}). */
    public static SDVariable geluExact(SameDiff sd, SDVariable x) {
        return x.mul(sd.math.erf(x.mul(SQRT_HALF)).add(1.0)).mul(0.5);
    }

    /** Tanh GELU, {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))} (GPT-2's {@code gelu_new}). */
    public static SDVariable geluTanh(SameDiff sd, SDVariable x) {
        SDVariable inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(SQRT_2_OVER_PI);
        return x.mul(sd.math.tanh(inner).add(1.0)).mul(0.5);
    }

    /** The activation named by a Hugging Face config ({@code hidden_act} / {@code activation_function}). */
    public static SDVariable activation(SameDiff sd, String name, SDVariable x) {
        return switch (name) {
            case "gelu" -> geluExact(sd, x);
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> geluTanh(sd, x);
            case "relu" -> sd.nn.relu(x, 0.0);
            case "silu", "swish" -> sd.nn.swish(x);
            default -> throw new IllegalArgumentException("unsupported activation '" + name + "'");
        };
    }

    /** Fails with the config field's name unless {@link #activation} knows {@code name}. */
    public static void checkActivation(String name, ConfigFields fields, String field) {
        if (!ACTIVATIONS.contains(name)) {
            throw fields.unsupported(field, name, "supported: " + String.join(", ", new java.util.TreeSet<>(ACTIVATIONS)));
        }
    }

    /** Columns {@code [from, to)} of a 2-D activation. */
    public static SDVariable columns(SDVariable x, long from, long to) {
        return x.get(SDIndex.all(), SDIndex.interval(from, to));
    }


    /**
     * Scaled dot-product attention on {@code [batch, heads, seq, headDim]} tensors with an additive mask
     * {@code [batch, 1, seq, keys]} (0 where a key may be attended, a large negative number where not).
     *
     * @param softCap if positive, scores become {@code cap·tanh(scores/cap)} before masking (Gemma-2)
     */
    public static SDVariable attention(SameDiff sd, SDVariable q, SDVariable k, SDVariable v, SDVariable mask,
                                       double scale, double softCap) {
        return attention(sd, q, k, v, mask, scale, softCap, 0, 0);
    }

    /**
     * Grouped-query attention: as {@link #attention(SameDiff, SDVariable, SDVariable, SDVariable, SDVariable, double,
     * double)} with consecutive groups of query heads sharing each of the {@code kvHeads} key and value heads
     * ({@code [batch, kvHeads, keys, headDim]}; query head {@code h} uses key head {@code h / groups}). The keys and
     * values are not repeated: a group's queries are stacked as {@code [batch, kvHeads, groups·seq, headDim]} and
     * multiplied with the shared keys and values directly. Besides saving a copy of the whole cache per call, this
     * keeps the keys and values away from ops that mishandle strided views: an in-place KV cache feeds views of a
     * larger buffer (axis 1's stride is capacity·headDim), which libnd4j's batched matmul reads correctly but its
     * {@code expand_dims} (formerly used to repeat heads) rejects ("NDArray::reshapei: can't reshape non-empty array
     * to empty").
     *
     * @param kvHeads key/value heads, or 0 when every query head has its own (plain multi-head attention)
     */
    public static SDVariable attention(SameDiff sd, SDVariable q, SDVariable k, SDVariable v, SDVariable mask,
                                       double scale, double softCap, int kvHeads, int headDim) {
        if (kvHeads <= 0) {
            return attentionWeights(sd, q, k, v, mask, scale, softCap, null);
        }
        SDVariable qShape = sd.shape(q);                                                    // [b, heads, s, d]
        SDVariable stacked = sd.reshape(q, sd.concat(0, qShape.get(SDIndex.interval(0, 1)),
                sd.constant(Nd4j.createFromArray((long) kvHeads, -1L, headDim))));         // [b, kvHeads, g·s, d]
        SDVariable perHead = sd.concat(0, qShape.get(SDIndex.interval(0, 3)),
                sd.constant(Nd4j.createFromArray(-1L)));                                    // [b, heads, s, -1]
        SDVariable ctx = attentionWeights(sd, stacked, k, v, mask, scale, softCap, perHead);
        return sd.reshape(ctx, qShape);
    }

    /** Scores, soft cap, mask and softmax in {@code [b, heads, s, keys]} layout; grouped when {@code perHead} is set. */
    private static SDVariable attentionWeights(SameDiff sd, SDVariable q, SDVariable k, SDVariable v, SDVariable mask,
                                               double scale, double softCap, SDVariable perHead) {
        SDVariable scores = sd.mmul(q, k, false, true, false);
        SDVariable grouped = null;
        if (perHead != null) {
            grouped = sd.shape(scores);                                                     // [b, kvHeads, g·s, t]
            scores = sd.reshape(scores, perHead);                                          // [b, heads, s, t]
        }
        scores = scores.mul(scale);
        if (softCap > 0) {
            scores = softCap(sd, scores, softCap);
        }
        SDVariable weights = sd.nn.softmax(scores.add(mask), -1);
        return sd.mmul(perHead == null ? weights : sd.reshape(weights, grouped), v);
    }
}
