package dev.steering.model;

import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A built forward graph (one architecture, one set of compiled edits) and how to feed it. Thread-safe: calls are
 * serialised on the graph.
 */
public final class ForwardGraph {
    /** Additive mask value for a key that may not be attended. */
    static final float MASKED = -1e9f;
    /**
     * {@code -Dsteering.executor=samediff} runs calls through SameDiff's own {@code InferenceSession} instead of the
     * (faster, equivalent) {@link GraphExecutor}.
     */
    static final boolean USE_SAMEDIFF_SESSION = "samediff".equals(System.getProperty("steering.executor"));

    private final SameDiff sd;
    private final Map<HookPoint, String> hookVariables;
    private final List<Edit> edits;
    private final RotaryEmbedding rotary;
    private final List<Integer> rotaryWidths;
    /** Rows of the token embedding: token ids must lie below (libnd4j's gather does not check, it crashes). */
    private final long tokenRows;
    /** Rows of the learned position table (0: none, positions are rotary). */
    private final long positionRows;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int slidingWindow;
    private final GraphExecutor executor;

    ForwardGraph(SameDiff sd, Map<HookPoint, String> hookVariables, List<Edit> edits, RotaryEmbedding rotary,
                 List<Integer> rotaryWidths, long tokenRows, long positionRows, int layers, int kvHeads, int headDim,
                 int slidingWindow) {
        this.sd = sd;
        this.hookVariables = Map.copyOf(hookVariables);
        this.edits = edits;
        this.rotary = rotary;
        this.rotaryWidths = rotaryWidths;
        this.tokenRows = tokenRows;
        this.positionRows = positionRows;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.slidingWindow = slidingWindow;
        this.executor = USE_SAMEDIFF_SESSION ? null : new GraphExecutor(sd);
    }

    /** The underlying SameDiff graph (for inspection or training). */
    public SameDiff sameDiff() {
        return sd;
    }

    /** The executor that runs calls (null when {@code -Dsteering.executor=samediff}). */
    public GraphExecutor executor() {
        return executor;
    }

    /** The edits compiled into this graph. */
    public List<Edit> edits() {
        return edits;
    }

    /** An empty growing cache for {@code batch} rows (each {@link #run} returns a new cache of fresh arrays). */
    public KvCache emptyCache(int batch) {
        return emptyCache(batch, 0);
    }

    /**
     * An empty cache for {@code batch} rows that holds up to {@code capacity} positions in place: per layer one key
     * and one value buffer {@code [batch, kvHeads, capacity, headDim]} that each {@link #run} extends (see
     * {@link KvCache} for the ownership rule). Capacity 0 gives a growing cache.
     */
    public KvCache emptyCache(int batch, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("negative capacity " + capacity);
        }
        INDArray[] k = new INDArray[layers];
        INDArray[] v = new INDArray[layers];
        for (int l = 0; l < layers; l++) {
            k[l] = Nd4j.create(DataType.FLOAT, new long[]{batch, kvHeads, capacity, headDim}, 'c');
            v[l] = Nd4j.create(DataType.FLOAT, new long[]{batch, kvHeads, capacity, headDim}, 'c');
        }
        return capacity == 0 ? new KvCache(k, v) : KvCache.withBuffers(k, v);
    }

    /**
     * Runs one forward call.
     *
     * @param in    the batch
     * @param past  the cache of earlier calls ({@code in.pastLength()} positions), or null for none. A cache with
     *              capacity that has room for this call's positions is extended in place and must not be used again
     *              (see {@link KvCache}); otherwise it is left unchanged
     * @param read  hook points whose activations to return
     * @return logits of {@code in.logitRows()}, the hooks read ({@code [batch, seq, hidden]}) and the grown cache
     *         (over the same buffers when extended in place, else fresh arrays)
     */
    public ForwardResult run(ForwardInputs in, KvCache past, Collection<HookPoint> read) {
        int b = in.batchSize();
        int s = in.seqLength();
        if (past == null) {
            if (in.pastLength() != 0) {
                throw new IllegalArgumentException("inputs expect " + in.pastLength() + " cached positions, none given");
            }
            past = emptyCache(b);
        } else if (past.length() != in.pastLength()) {
            throw new IllegalArgumentException("cache holds " + past.length() + " positions, inputs expect "
                    + in.pastLength());
        }
        past.checkCurrent();
        // In place: each present.L output (past ++ new along axis 2) is written into buffer[:, :, 0:past+seq, :],
        // whose prefix is the fed past itself, so only the new positions are copied.
        boolean inPlace = executor != null && layers > 0 && past.hasRoomFor(s);
        int total = past.length() + s;
        Map<String, INDArray> into = new HashMap<>();
        if (inPlace) {
            for (int l = 0; l < layers; l++) {
                into.put(GraphBuilder.presentKeyName(l), past.keyDestination(l, total));
                into.put(GraphBuilder.presentValueName(l), past.valueDestination(l, total));
            }
        }
        Map<String, INDArray> feed = feed(in, past);
        List<String> outputs = new ArrayList<>();
        outputs.add(GraphBuilder.LOGITS);
        for (int l = 0; l < layers; l++) {
            outputs.add(GraphBuilder.presentKeyName(l));
            outputs.add(GraphBuilder.presentValueName(l));
        }
        for (HookPoint h : read) {
            String var = hookVariables.get(h);
            if (var == null) {
                throw new IllegalArgumentException("this model has no hook point " + h.name());
            }
            outputs.add(var);
        }
        Map<String, INDArray> out;
        KvCache next;
        synchronized (this) {
            String[] names = outputs.toArray(new String[0]);
            past.checkCurrent();
            out = executor == null ? sd.output(feed, names) : executor.output(feed, into, names);
            INDArray[] k = new INDArray[layers];
            INDArray[] v = new INDArray[layers];
            for (int l = 0; l < layers; l++) {
                k[l] = out.get(GraphBuilder.presentKeyName(l));
                v[l] = out.get(GraphBuilder.presentValueName(l));
            }
            next = inPlace ? past.extendedTo(total, k, v) : new KvCache(k, v);
        }
        Map<HookPoint, INDArray> hooks = new LinkedHashMap<>();
        for (HookPoint h : read) {
            INDArray a = out.get(hookVariables.get(h));
            hooks.put(h, a.reshape('c', b, s, a.size(1)));
        }
        FiniteLogits.require(out.get(GraphBuilder.LOGITS));
        return new ForwardResult(out.get(GraphBuilder.LOGITS), hooks, next);
    }

    /**
     * The placeholder values of one call: token ids, attention masks, logit rows, positions or rotary tables, the
     * cache (if the graph has one) and the edit masks. Extra placeholders (e.g. a training loss's labels) are the
     * caller's to add.
     *
     * @param past the cache of earlier calls; must hold {@code in.pastLength()} positions (null: none; ignored for a
     *             graph built without a cache)
     */
    public Map<String, INDArray> feed(ForwardInputs in, KvCache past) {
        if (layers == 0 && in.pastLength() != 0) {
            throw new IllegalArgumentException("this graph has no KV cache but the inputs expect "
                    + in.pastLength() + " cached positions");
        }
        if (past == null) {
            past = emptyCache(in.batchSize());
        }
        checkIds(in);
        Map<String, INDArray> feed = new HashMap<>();
        feed.put(GraphBuilder.INPUT_IDS, Nd4j.createFromArray(in.tokens()));
        feed.put(GraphBuilder.ATTENTION_MASK, attentionMask(in, Integer.MAX_VALUE));
        if (slidingWindow > 0) {
            feed.put(GraphBuilder.ATTENTION_MASK_LOCAL, attentionMask(in, slidingWindow));
        }
        if (sd.hasVariable(GraphBuilder.LOGIT_ROWS)) {
            feed.put(GraphBuilder.LOGIT_ROWS, Nd4j.createFromArray(java.util.Arrays.stream(in.logitRows())
                    .asLongStream().toArray()));
        }
        long[] flatPositions = flatten(in.positions());
        if (positionRows > 0) {
            feed.put(GraphBuilder.POSITION_IDS, Nd4j.createFromArray(flatPositions));
        }
        for (int width : rotaryWidths) {
            INDArray[] cs = rotary.rotateHalfTables(flatPositions, width / rotary.headDim());
            feed.put(GraphBuilder.rotaryCosName(width), cs[0]);
            feed.put(GraphBuilder.rotarySinName(width), cs[1]);
        }
        for (int l = 0; l < layers; l++) {
            feed.put(GraphBuilder.pastKeyName(l), past.keys()[l]);
            feed.put(GraphBuilder.pastValueName(l), past.values()[l]);
        }
        for (int i = 0; i < edits.size(); i++) {
            feed.put(GraphBuilder.editMaskName(i), editMask(in, edits.get(i)));
        }
        return feed;
    }

    /** Token ids and learned positions must index their tables: libnd4j's gather reads out of bounds otherwise. */
    private void checkIds(ForwardInputs in) {
        for (int r = 0; r < in.batchSize(); r++) {
            for (int i = 0; i < in.seqLength(); i++) {
                long t = in.tokens()[r][i];
                if (t < 0 || t >= tokenRows) {
                    throw new IllegalArgumentException("token id " + t + " (row " + r + ", position " + i
                            + ") is outside the model's vocabulary of " + tokenRows + " ids");
                }
                long p = in.positions()[r][i];
                if (positionRows > 0 && in.isReal(r, i) && p >= positionRows) {
                    throw new IllegalArgumentException("position " + p + " (row " + r + ") is beyond the model's "
                            + positionRows + " learned positions (n_positions): shorten the prompt or maxNewTokens");
                }
            }
        }
    }

    /**
     * {@code [b, 1, s, past+s]}: query i of row r may attend key j iff j is real, j ≤ past + i and
     * past + i − j < window (pass {@link Integer#MAX_VALUE} for no window).
     */
    static INDArray attentionMask(ForwardInputs in, int window) {
        int b = in.batchSize();
        int s = in.seqLength();
        int t = in.pastLength() + s;
        float[] m = new float[b * s * t];
        for (int r = 0; r < b; r++) {
            boolean[] valid = in.keyValid()[r];
            for (int i = 0; i < s; i++) {
                int base = (r * s + i) * t;
                int last = in.pastLength() + i;
                for (int j = 0; j < t; j++) {
                    m[base + j] = valid[j] && j <= last && last - j < window ? 0f : MASKED;
                }
            }
        }
        return Nd4j.create(m, new long[]{b, 1, s, t}, 'c');
    }

    /** {@code [rows, 1]}: 1 on the real tokens whose position the edit includes. */
    static INDArray editMask(ForwardInputs in, Edit edit) {
        int b = in.batchSize();
        int s = in.seqLength();
        float[] m = new float[b * s];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < s; i++) {
                boolean on = in.isReal(r, i)
                        && edit.positions().includes((int) in.positions()[r][i], in.promptLengths()[r]);
                m[r * s + i] = on ? 1f : 0f;
            }
        }
        return Nd4j.create(m, new long[]{(long) b * s, 1}, 'c');
    }

    private static long[] flatten(long[][] a) {
        int s = a[0].length;
        long[] out = new long[a.length * s];
        for (int r = 0; r < a.length; r++) {
            System.arraycopy(a[r], 0, out, r * s, s);
        }
        return out;
    }
}
