package dev.steering.model;

import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds one SameDiff forward graph: the placeholders every architecture shares (token ids, attention mask,
 * positions, KV cache, edit masks), named hook points with their edits, and the unembedding. An
 * {@link Architecture} calls it from top to bottom; {@link #build()} returns the finished {@link ForwardGraph}.
 *
 * <p>Activations are 2-D {@code [rows, hidden]}, rows = batch × sequence (row-major), so projections are plain
 * matmuls; attention reshapes to {@code [batch, heads, seq, headDim]} and back.
 */
public final class GraphBuilder {
    /** Placeholder: token ids {@code [batch, seq]} (INT64). */
    public static final String INPUT_IDS = "input_ids";
    /** Placeholder: additive attention mask {@code [batch, 1, seq, past+seq]}: 0 = attend, −1e9 = masked. */
    public static final String ATTENTION_MASK = "attention_mask";
    /** Placeholder: position id per row {@code [rows]} (INT64), for learned position embeddings. */
    public static final String POSITION_IDS = "position_ids";
    /** Placeholder: which rows the logits are computed for {@code [n]} (INT64). */
    public static final String LOGIT_ROWS = "logit_rows";
    /** Output: logits {@code [n, vocab]} of the {@link #LOGIT_ROWS}. */
    public static final String LOGITS = "logits";

    private final SameDiff sd = SameDiff.create();
    private final Weights weights;
    private final boolean trainable;
    private final List<Edit> edits;
    private final Map<HookPoint, String> hookVariables = new LinkedHashMap<>();
    private final TreeSet<Integer> rotaryWidths = new TreeSet<>();
    private final SDVariable inputIds;
    private final SDVariable attentionMask;
    private SDVariable positionIds;
    private SDVariable batchSeq;
    private final Map<List<Integer>, SDVariable> splitShapes = new java.util.HashMap<>();
    private RotaryEmbedding rotary;
    private int cachedLayers;
    private int[] cacheShape = {0, 0};
    private boolean logits;

    /**
     * @param weights   the model's tensors (held once; shared by every graph built from them)
     * @param edits     the interventions compiled into this graph
     * @param trainable true to make weights trainable variables (training) instead of constants (inference)
     */
    public GraphBuilder(Weights weights, List<Edit> edits, boolean trainable) {
        this.weights = weights;
        this.edits = List.copyOf(edits);
        this.trainable = trainable;
        this.inputIds = sd.placeHolder(INPUT_IDS, DataType.INT64, -1, -1);
        this.attentionMask = sd.placeHolder(ATTENTION_MASK, DataType.FLOAT, -1, 1, -1, -1);
    }

    /** The graph under construction. */
    public SameDiff sd() {
        return sd;
    }

    /** A weight as a graph constant (or trainable variable), created once per graph. */
    public SDVariable weight(String name) {
        if (sd.hasVariable(name)) {
            return sd.getVariable(name);
        }
        return trainable ? sd.var(name, weights.get(name)) : sd.constant(name, weights.get(name));
    }

    /** Rows of the embedding table {@code [vocab, hidden]} for the input tokens: {@code [rows, hidden]}. */
    public SDVariable embedTokens(String table) {
        return sd.gather(weight(table), sd.reshape(inputIds, -1), 0);
    }

    /** Rows of a learned position table {@code [positions, hidden]} for each row's position id. */
    public SDVariable embedPositions(String table) {
        if (positionIds == null) {
            positionIds = sd.placeHolder(POSITION_IDS, DataType.INT64, -1);
        }
        return sd.gather(weight(table), positionIds, 0);
    }

    /**
     * Marks a hook point: applies the edits bound to it, in order, and names the result so it can be read. The
     * value read at a hook is the value that flows on, i.e. after its edits.
     */
    public SDVariable hook(HookPoint hook, SDVariable x) {
        SDVariable out = x;
        for (int i = 0; i < edits.size(); i++) {
            Edit e = edits.get(i);
            if (e.hook().equals(hook)) {
                SDVariable mask = sd.placeHolder(editMaskName(i), DataType.FLOAT, -1, 1);
                out = e.intervention().apply(sd, out, mask, e.vector());
            }
        }
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
            sd.constant(rotaryPermName(width), Nd4j.createFromArray(r.rotateHalfSource(heads)));
        }
        // rotateHalf(x) = x[:, source] · sign; the sign is folded into the fed sin table
        SDVariable swapped = sd.gather(x, sd.getVariable(rotaryPermName(width)), 1);
        return x.mul(sd.getVariable(rotaryCosName(width))).add(swapped.mul(sd.getVariable(rotarySinName(width))));
    }

    /**
     * Appends this call's keys and values ({@code [batch, kvHeads, seq, headDim]}) to the layer's cache and returns
     * the full keys and values. The past arrives as placeholders and the result leaves as outputs, so the caller
     * owns the cache between calls; a first call feeds a {@code [batch, kvHeads, 0, headDim]} past.
     */
    public SDVariable[] kvCache(int layer, SDVariable k, SDVariable v, int kvHeads, int headDim) {
        SDVariable pastK = sd.placeHolder(pastKeyName(layer), DataType.FLOAT, -1, -1, -1, -1);
        SDVariable pastV = sd.placeHolder(pastValueName(layer), DataType.FLOAT, -1, -1, -1, -1);
        SDVariable fullK = sd.concat(presentKeyName(layer), 2, pastK, k);
        SDVariable fullV = sd.concat(presentValueName(layer), 2, pastV, v);
        cachedLayers = Math.max(cachedLayers, layer + 1);
        cacheShape = new int[]{kvHeads, headDim};
        return new SDVariable[]{fullK, fullV};
    }

    /** Logits {@code hidden·Wᵀ (+ bias)} of the rows listed in the {@link #LOGIT_ROWS} placeholder. */
    public SDVariable unembed(SDVariable hidden, String weightName, String biasName) {
        SDVariable rows = sd.gather(hidden, sd.placeHolder(LOGIT_ROWS, DataType.INT64, -1), 0);
        SDVariable out = sd.mmul(rows, weight(weightName), false, true, false);
        if (biasName != null) {
            out = out.add(weight(biasName));
        }
        logits = true;
        return sd.identity(LOGITS, out);
    }

    /** Finishes the graph. */
    public ForwardGraph build() {
        if (!logits) {
            throw new IllegalStateException("architecture did not call unembed()");
        }
        return new ForwardGraph(sd, hookVariables, edits, rotary, new ArrayList<>(rotaryWidths), positionIds != null,
                cachedLayers, cacheShape[0], cacheShape[1]);
    }

    static String editMaskName(int i) {
        return "edit." + i + ".mask";
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
