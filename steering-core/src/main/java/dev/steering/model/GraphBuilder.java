package dev.steering.model;

import dev.steering.hooks.HookPoint;
import dev.steering.model.compact.CompactMatrix;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds one SameDiff forward graph: the placeholders every architecture shares (token ids, attention mask,
 * positions, KV cache), named hook points (edited at run time by the engine), and the unembedding. An
 * {@link Architecture} calls it from top to bottom; {@link #build()} returns the finished {@link SameDiffEngine}.
 *
 * <p>Activations are 2-D {@code [rows, hidden]}, rows = batch × sequence (row-major), so projections are plain
 * matmuls; attention reshapes to {@code [batch, heads, seq, headDim]} and back.
 */
public final class GraphBuilder {
    static {
        dev.steering.NativeRuntime.prepare();          // before ND4J's native library loads
    }

    /** Placeholder: token ids {@code [batch, seq]} (INT64). */
    public static final String INPUT_IDS = "input_ids";
    /** Placeholder: additive attention mask {@code [batch, 1, seq, past+seq]}: 0 = attend, −1e9 = masked. */
    public static final String ATTENTION_MASK = "attention_mask";
    /**
     * Placeholder: additive mask of the sliding-window layers, as {@link #ATTENTION_MASK} but also masking keys
     * {@code window} or more positions before the query. Present only in graphs of models with such layers.
     */
    public static final String ATTENTION_MASK_LOCAL = "attention_mask_local";
    /** Placeholder: position id per row {@code [rows]} (INT64), for learned position embeddings. */
    public static final String POSITION_IDS = "position_ids";
    /** Placeholder: which rows the logits are computed for {@code [n]} (INT64); absent from trainable graphs, which compute every row. */
    public static final String LOGIT_ROWS = "logit_rows";
    /** Output: logits {@code [n, vocab]} of the {@link #LOGIT_ROWS}. */
    public static final String LOGITS = "logits";

    private final SameDiff sd = SameDiff.create();
    private final Weights weights;
    private final boolean trainable;
    private final boolean kvCache;
    private final Map<HookPoint, String> hookVariables = new LinkedHashMap<>();
    private final TreeSet<Integer> rotaryWidths = new TreeSet<>();
    private final SDVariable inputIds;
    private final SDVariable attentionMask;
    private SDVariable positionIds;
    private SDVariable localAttentionMask;
    private int slidingWindow;
    private SDVariable batchSeq;
    private final Map<List<Integer>, SDVariable> splitShapes = new java.util.HashMap<>();
    private RotaryEmbedding rotary;
    private int cachedLayers;
    /** Rows of the token and learned-position tables (what ids and positions a call may use). */
    private long tokenRows = Long.MAX_VALUE;
    private long positionRows;
    private int[] cacheShape = {0, 0};
    private boolean logits;

    /**
     * @param weights   the model's tensors (held once; shared by every graph built from them)
     * @param trainable true to make weights trainable variables (training) instead of constants (inference)
     */
    public GraphBuilder(Weights weights, boolean trainable) {
        this(weights, trainable, true);
    }

    /**
     * @param weights   the model's tensors (held once; shared by every graph built from them)
     * @param trainable true to make weights trainable variables (training) instead of constants (inference)
     * @param kvCache   false to build a graph without the KV cache placeholders and outputs (a whole-sequence forward
     *                  pass, as training uses); inference graphs keep the cache
     */
    public GraphBuilder(Weights weights, boolean trainable, boolean kvCache) {
        this.weights = weights;
        this.trainable = trainable;
        this.kvCache = kvCache;
        // SameDiff's default holder copies every constant it is given (ThreadSafeArrayHolder.setArray dups), which
        // held the F32 weights twice; constants are written once here and only read afterwards, so the graph holds
        // the model's own arrays (freed by Weights.close, not by the graph).
        sd.setConstantArrays(new SingleThreadArrayHolder());
        this.inputIds = sd.placeHolder(INPUT_IDS, DataType.INT64, -1, -1);
        this.attentionMask = sd.placeHolder(ATTENTION_MASK, DataType.FLOAT, -1, 1, -1, -1);
    }

    /** The graph under construction. */
    public SameDiff sd() {
        return sd;
    }

    /**
     * A weight as a graph constant (or trainable variable), created once per graph. A compact weight (see
     * {@link Weights#compact}) is a placeholder {@code [out, in]} nothing is fed for: the executor multiplies by it
     * and gathers from it directly ({@link GraphExecutor}).
     */
    public SDVariable weight(String name) {
        if (sd.hasVariable(name)) {
            return sd.getVariable(name);
        }
        CompactMatrix m = weights.compact(name);
        if (m != null) {
            if (trainable) {
                throw new IllegalStateException("weight '" + name + "' is " + m.type()
                        + ": a trainable graph needs float32 weights");
            }
            return sd.placeHolder(name, DataType.FLOAT, m.outFeatures(), m.inFeatures());
        }
        return trainable ? sd.var(name, weights.get(name)) : sd.constant(name, weights.get(name));
    }

    /** Rows of the embedding table {@code [vocab, hidden]} for the input tokens: {@code [rows, hidden]}. */
    public SDVariable embedTokens(String table) {
        tokenRows = weights.shape(table)[0];
        return lookup(table, sd.reshape(inputIds, -1));
    }

    /**
     * Rows {@code ids} of a table. A gather for inference; for training a one-hot matmul, because SameDiff M2.1
     * differentiates {@code gather} with a loop whose sub-graph names collide when a graph has two gathers.
     */
    private SDVariable lookup(String table, SDVariable ids) {
        if (!trainable) {
            return sd.gather(weight(table), ids, 0);
        }
        int rows = (int) weights.shape(table)[0];
        return sd.mmul(sd.oneHot(ids, rows, -1, 1.0, 0.0, DataType.FLOAT), weight(table));
    }

    /** Rows of a learned position table {@code [positions, hidden]} for each row's position id. */
    public SDVariable embedPositions(String table) {
        if (positionIds == null) {
            positionIds = sd.placeHolder(POSITION_IDS, DataType.INT64, -1);
        }
        positionRows = weights.shape(table)[0];
        return lookup(table, positionIds);
    }

    /**
     * Marks a hook point: names the value that flows on as the hook's own variable (an identity, which the executor
     * runs as an alias, or as a copy edited in place when a call edits this hook). Reading a hook gives its value
     * after its edits.
     */
    public SDVariable hook(HookPoint hook, SDVariable x) {
        SDVariable out = sd.identity(hookVariableName(hook), x);
        hookVariables.put(hook, out.name());
        return out;
    }

    /** {@code [rows, heads·headDim]} → {@code [batch, heads, seq, headDim]}. */
    public SDVariable splitHeads(SDVariable x, int heads, int headDim) {
        if (batchSeq == null) {
            batchSeq = sd.shape(inputIds);
        }
        SDVariable shape = splitShapes.computeIfAbsent(List.of(heads, headDim),
                k -> sd.concat(0, batchSeq, sd.constant(Nd4j.createFromArray((long) heads, headDim))));
        return sd.permute(sd.reshape(x, shape), 0, 2, 1, 3);
    }

    /** {@code [batch, heads, seq, headDim]} → {@code [rows, heads·headDim]}. */
    public SDVariable mergeHeads(SDVariable x, int width) {
        return sd.reshape(sd.permute(x, 0, 2, 1, 3), -1, width);
    }

    /** The attention mask placeholder. */
    public SDVariable attentionMask() {
        return attentionMask;
    }

    /**
     * The mask of sliding-window attention layers: a key is visible to a query at most {@code window − 1} positions
     * before it (Hugging Face's {@code q_idx − kv_idx < sliding_window}). One window size per graph.
     */
    public SDVariable localAttentionMask(int window) {
        if (localAttentionMask == null) {
            localAttentionMask = sd.placeHolder(ATTENTION_MASK_LOCAL, DataType.FLOAT, -1, 1, -1, -1);
            slidingWindow = window;
        } else if (slidingWindow != window) {
            throw new IllegalStateException("one sliding window per graph: " + slidingWindow + " and " + window);
        }
        return localAttentionMask;
    }

    /**
     * Causal self-attention with rotary queries and keys and grouped-query attention (Llama family): splits the fused
     * {@code [rows, (heads + 2·kvHeads)·headDim]} projection into q, k, v (in that order), rotates q and k, appends
     * k and v to the layer's KV cache (which stores {@code kvHeads} heads), lets key/value head {@code j} serve query
     * heads {@code j·g … j·g+g−1} ({@code g = heads/kvHeads}), and returns the merged context
     * {@code [rows, heads·headDim]} (before the output projection).
     *
     * @param scale         factor on the scores ({@code 1/sqrt(headDim)} unless the model says otherwise)
     * @param softCap       if positive, scores are soft-capped at it (see {@link Ops#attention})
     * @param slidingWindow if positive, keys at least this many positions back are masked
     */
    public SDVariable selfAttention(int layer, SDVariable qkv, RotaryEmbedding r, int heads, int kvHeads,
                                    int headDim, double scale, double softCap, int slidingWindow) {
        long qWidth = (long) heads * headDim;
        long kvWidth = (long) kvHeads * headDim;
        SDVariable q = rotary(r, Ops.columns(qkv, 0, qWidth), heads);
        SDVariable k = rotary(r, Ops.columns(qkv, qWidth, qWidth + kvWidth), kvHeads);
        SDVariable v = Ops.columns(qkv, qWidth + kvWidth, qWidth + 2 * kvWidth);
        SDVariable[] kv = kvCache(layer, splitHeads(k, kvHeads, headDim), splitHeads(v, kvHeads, headDim), kvHeads,
                headDim);
        SDVariable mask = slidingWindow > 0 ? localAttentionMask(slidingWindow) : attentionMask;
        SDVariable ctx = Ops.attention(sd, splitHeads(q, heads, headDim), kv[0], kv[1], mask, scale, softCap,
                heads == kvHeads ? 0 : kvHeads, headDim);
        return mergeHeads(ctx, (int) qWidth);
    }

    /**
     * Rotary embedding of 2-D queries or keys of {@code heads} heads. All layers share the same tables (fed per
     * call from the rows' position ids; the sin table carries rotate-half's signs, see
     * {@link RotaryEmbedding#rotateHalfTables}).
     */
    public SDVariable rotary(RotaryEmbedding r, SDVariable x, int heads) {
        if (rotary == null) {
            rotary = r;
        } else if (rotary != r) {
            throw new IllegalStateException("one rotary embedding per graph");
        }
        int width = heads * r.headDim();
        if (rotaryWidths.add(width)) {
            sd.placeHolder(rotaryCosName(width), DataType.FLOAT, -1, width);
            sd.placeHolder(rotarySinName(width), DataType.FLOAT, -1, width);
            long[] source = r.rotateHalfSource(heads);
            sd.constant(rotaryPermName(width), trainable ? permutationMatrix(source) : Nd4j.createFromArray(source));
        }
        // rotateHalf(x) = x[:, source] · sign; the sign is folded into the fed sin table. Training graphs use the
        // same permutation as a matmul: SameDiff M2.1 cannot differentiate a graph with two gathers.
        SDVariable perm = sd.getVariable(rotaryPermName(width));
        SDVariable swapped = trainable ? sd.mmul(x, perm) : sd.gather(x, perm, 1);
        return x.mul(sd.getVariable(rotaryCosName(width))).add(swapped.mul(sd.getVariable(rotarySinName(width))));
    }

    /** The {@code [n, n]} matrix {@code P} with {@code (x·P)[:, j] = x[:, source[j]]}. */
    private static INDArray permutationMatrix(long[] source) {
        int n = source.length;
        float[] p = new float[n * n];
        for (int j = 0; j < n; j++) {
            p[(int) source[j] * n + j] = 1f;
        }
        return Nd4j.create(p, new long[]{n, n}, 'c');
    }

    /**
     * Appends this call's keys and values ({@code [batch, kvHeads, seq, headDim]}) to the layer's cache and returns
     * the full keys and values. The past arrives as placeholders and the result leaves as outputs, so the caller
     * owns the cache between calls; a first call feeds a {@code [batch, kvHeads, 0, headDim]} past. In a graph built
     * without a cache this returns {@code k} and {@code v} unchanged.
     */
    public SDVariable[] kvCache(int layer, SDVariable k, SDVariable v, int kvHeads, int headDim) {
        if (!kvCache) {
            return new SDVariable[]{k, v};
        }
        SDVariable pastK = sd.placeHolder(pastKeyName(layer), DataType.FLOAT, -1, -1, -1, -1);
        SDVariable pastV = sd.placeHolder(pastValueName(layer), DataType.FLOAT, -1, -1, -1, -1);
        SDVariable fullK = sd.concat(presentKeyName(layer), 2, pastK, k);
        SDVariable fullV = sd.concat(presentValueName(layer), 2, pastV, v);
        cachedLayers = Math.max(cachedLayers, layer + 1);
        cacheShape = new int[]{kvHeads, headDim};
        return new SDVariable[]{fullK, fullV};
    }

    /**
     * Logits {@code hidden·Wᵀ (+ bias)} of the rows listed in the {@link #LOGIT_ROWS} placeholder.
     *
     * @param biasName the bias, or null for none
     * @param softCap  if positive, logits become {@code cap·tanh(logits/cap)} (Gemma-2's final-logit soft-capping)
     */
    public SDVariable unembed(SDVariable hidden, String weightName, String biasName, double softCap) {
        // a trainable graph computes the logits of every row (no LOGIT_ROWS placeholder; see lookup())
        SDVariable rows = trainable ? hidden : sd.gather(hidden, sd.placeHolder(LOGIT_ROWS, DataType.INT64, -1), 0);
        SDVariable out = sd.mmul(rows, weight(weightName), false, true, false);
        if (biasName != null) {
            out = out.add(weight(biasName));
        }
        if (softCap > 0) {
            out = Ops.softCap(sd, out, softCap);
        }
        logits = true;
        return sd.identity(LOGITS, out);
    }

    /** Finishes the graph, run by kernels suited to this JVM's backend. */
    public SameDiffEngine build() {
        return build(Kernels.forBackend());
    }

    /** Finishes the graph, run by these kernels. */
    public SameDiffEngine build(Kernels kernels) {
        if (!logits) {
            throw new IllegalStateException("architecture did not call unembed()");
        }
        return new SameDiffEngine(sd, hookVariables, rotary, new ArrayList<>(rotaryWidths), tokenRows,
                positionRows, cachedLayers, cacheShape[0], cacheShape[1], slidingWindow, kernels,
                weights.compactMatrices(), weights.packed());
    }

    static String hookVariableName(HookPoint hook) {
        return "hook." + hook.name();
    }

    static String rotaryCosName(int width) {
        return "rotary.cos." + width;
    }

    static String rotaryPermName(int width) {
        return "rotary.source." + width;
    }

    static String rotarySinName(int width) {
        return "rotary.sin." + width;
    }

    static String pastKeyName(int layer) {
        return "past." + layer + ".key";
    }

    static String pastValueName(int layer) {
        return "past." + layer + ".value";
    }

    static String presentKeyName(int layer) {
        return "present." + layer + ".key";
    }

    static String presentValueName(int layer) {
        return "present." + layer + ".value";
    }
}
