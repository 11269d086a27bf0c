package dev.steering.model;

import dev.steering.hooks.HookPoint;
import dev.steering.model.compact.CompactMatrix;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The engine of ND4J's backends: one SameDiff forward graph of an architecture, with every hook point live, run by
 * a {@link GraphExecutor} whose kernels suit the backend ({@link Kernels#forBackend()}). Edits arrive with each call
 * and are applied at their hook points as the executor reaches them. Thread-safe: calls are serialised.
 */
public final class SameDiffEngine implements ForwardEngine {
    static {
        dev.steering.NativeRuntime.prepare();          // before ND4J's native library loads
    }

    /** Additive mask value for a key that may not be attended. */
    static final float MASKED = -1e9f;

    private final SameDiff sd;
    private final Map<HookPoint, String> hookVariables;
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
    private final Kernels kernels;
    private final GraphExecutor executor;
    private boolean closed;

    SameDiffEngine(SameDiff sd, Map<HookPoint, String> hookVariables, RotaryEmbedding rotary,
                   List<Integer> rotaryWidths, long tokenRows, long positionRows, int layers, int kvHeads, int headDim,
                   int slidingWindow, Kernels kernels, Map<String, CompactMatrix> compact,
                   PackedWeights packed) {
        this.sd = sd;
        this.hookVariables = Map.copyOf(hookVariables);
        this.rotary = rotary;
        this.rotaryWidths = rotaryWidths;
        this.tokenRows = tokenRows;
        this.positionRows = positionRows;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.slidingWindow = slidingWindow;
        this.kernels = kernels;
        this.executor = new GraphExecutor(sd, kernels, compact, packed);
    }

    /** The underlying SameDiff graph (for inspection or training). */
    public SameDiff sameDiff() {
        return sd;
    }

    /** The executor that runs calls. */
    public GraphExecutor executor() {
        return executor;
    }

    @Override
    public Kernels kernels() {
        return kernels;
    }

    @Override
    public Set<HookPoint> hookPoints() {
        return hookVariables.keySet();
    }

    @Override
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

    @Override
    public ForwardResult run(ForwardInputs in, KvCache past, Collection<HookPoint> read, List<BoundEdit> edits) {
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
        Map<String, Consumer<INDArray>> atHooks = new HashMap<>();
        for (BoundEdit e : edits) {
            String var = hookVariable(e.edit().hook());
            Consumer<INDArray> earlier = atHooks.get(var);
            Consumer<INDArray> apply = x -> e.apply().apply(HookArrays.of(x, in, e.edit().positions(), kernels));
            atHooks.put(var, earlier == null ? apply : earlier.andThen(apply));
        }
        // In place: each present.L output (past ++ new along axis 2) is written into buffer[:, :, 0:past+seq, :],
        // whose prefix is the fed past itself, so only the new positions are copied.
        boolean inPlace = layers > 0 && past.hasRoomFor(s);
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
            outputs.add(hookVariable(h));
        }
        Map<String, INDArray> out;
        KvCache next;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("this model was closed");
            }
            String[] names = outputs.toArray(new String[0]);
            past.checkCurrent();
            out = executor.output(feed, into, atHooks, names);
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

    private String hookVariable(HookPoint h) {
        String var = hookVariables.get(h);
        if (var == null) {
            throw new IllegalArgumentException("this model has no hook point " + h.name());
        }
        return var;
    }

    /** Frees the executor's buffers; the weights belong to the model. Later calls throw. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            executor.close();
        }
    }

    /**
     * The placeholder values of one call: token ids, attention masks, logit rows, positions or rotary tables and the
     * cache (if the graph has one). Extra placeholders (e.g. a training loss's labels) are the caller's to add.
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

    private static long[] flatten(long[][] a) {
        int s = a[0].length;
        long[] out = new long[a.length * s];
        for (int r = 0; r < a.length; r++) {
            System.arraycopy(a[r], 0, out, r * s, s);
        }
        return out;
    }
}
