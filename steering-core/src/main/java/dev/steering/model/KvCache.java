package dev.steering.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Keys and values of every attention layer for the positions processed so far ({@code [batch, kvHeads, length,
 * headDim]} each), owned by the caller between forward calls.
 *
 * <p>Two kinds:
 * <ul>
 *   <li><b>Growing</b> (capacity 0, {@link #KvCache(INDArray[], INDArray[])} or {@link ForwardGraph#emptyCache(int)}):
 *   each {@link ForwardGraph#run} returns a new cache of fresh arrays (the past concatenated with the new positions);
 *   the cache passed in stays valid and unchanged.</li>
 *   <li><b>With capacity</b> ({@link ForwardGraph#emptyCache(int, int)}): per layer one key and one value buffer
 *   {@code [batch, kvHeads, capacity, headDim]}; {@link #keys()} and {@link #values()} are views of the filled prefix.
 *   A {@code run} that fits writes its new positions into the same buffers <em>in place</em> and returns a cache
 *   over those buffers with the longer prefix. <b>Ownership rule:</b> once a cache with capacity was extended by a
 *   {@code run}, only the returned cache may be used; the older {@code KvCache} object is stale (a second run on it
 *   would overwrite positions the newer cache holds), and any use of it — {@code run}, {@code feed}, {@link #keys()},
 *   {@link #values()} — throws {@link IllegalStateException}. A {@code run} that does not fit falls back to the
 *   growing behaviour: it returns a growing cache of fresh arrays and leaves this one valid and unchanged.</li>
 * </ul>
 * {@link #close()} frees the native memory: the owned buffers of a cache with capacity (shared by every cache over
 * them: close only the newest, once), or the arrays of a growing cache.
 */
public final class KvCache implements AutoCloseable {
    private final INDArray[] keys;
    private final INDArray[] values;
    private final int length;
    /** Capacity buffers (null for a growing cache). */
    private final INDArray[] keyBuffers;
    private final INDArray[] valueBuffers;
    /** Shared by every cache over the same buffers (null for a growing cache). */
    private final Generation shared;
    /** The {@link Generation#current} value while this cache is the newest. */
    private final long generation;

    /** The generation counter of one set of buffers: bumped each time a run extends them in place. */
    private static final class Generation {
        long current;
    }

    /** A growing cache (capacity 0) of these per-layer arrays. */
    public KvCache(INDArray[] keys, INDArray[] values) {
        this(keys, values, keys.length == 0 ? 0 : (int) keys[0].size(2), null, null, null, 0);
    }

    private KvCache(INDArray[] keys, INDArray[] values, int length, INDArray[] keyBuffers, INDArray[] valueBuffers,
                    Generation shared, long generation) {
        this.keys = keys;
        this.values = values;
        this.length = length;
        this.keyBuffers = keyBuffers;
        this.valueBuffers = valueBuffers;
        this.shared = shared;
        this.generation = generation;
    }

    /** An empty cache over these {@code [batch, kvHeads, capacity, headDim]} buffers (which it owns). */
    static KvCache withBuffers(INDArray[] keyBuffers, INDArray[] valueBuffers) {
        INDArray[] k = new INDArray[keyBuffers.length];
        INDArray[] v = new INDArray[valueBuffers.length];
        for (int l = 0; l < k.length; l++) {
            k[l] = prefix(keyBuffers[l], 0);
            v[l] = prefix(valueBuffers[l], 0);
        }
        return new KvCache(k, v, 0, keyBuffers, valueBuffers, new Generation(), 0);
    }

    /** Keys per layer: the filled prefix {@code [batch, kvHeads, length, headDim]} (views for a cache with capacity). */
    public INDArray[] keys() {
        checkCurrent();
        return keys;
    }

    /** Values per layer, as {@link #keys()}. */
    public INDArray[] values() {
        checkCurrent();
        return values;
    }

    /** Number of cached positions. */
    public int length() {
        return length;
    }

    /** Positions the buffers can hold (0 for a growing cache). */
    public int capacity() {
        return keyBuffers == null || keyBuffers.length == 0 ? 0 : (int) keyBuffers[0].size(2);
    }

    /** Whether a later call of {@link ForwardGraph#run} extended this cache's buffers in place. */
    public boolean isStale() {
        return shared != null && shared.current != generation;
    }

    /** Whether both caches are over the same capacity buffers (one extends the other). */
    public boolean sharesBuffersWith(KvCache other) {
        return other != null && shared != null && shared == other.shared;
    }

    /** Throws if this cache is stale (see the class comment). */
    void checkCurrent() {
        if (isStale()) {
            throw new IllegalStateException("stale KvCache (" + length + " positions): a later ForwardGraph.run "
                    + "extended its buffers in place, so only the cache that call returned (ForwardResult.cache()) "
                    + "may be used");
        }
    }

    /** Whether {@code seq} more positions fit in the buffers. */
    boolean hasRoomFor(int seq) {
        return shared != null && length + seq <= capacity();
    }

    /** {@code [batch, kvHeads, length, headDim]} views of layer {@code l}'s buffers, for a run to write into. */
    INDArray keyDestination(int l, int newLength) {
        return prefix(keyBuffers[l], newLength);
    }

    INDArray valueDestination(int l, int newLength) {
        return prefix(valueBuffers[l], newLength);
    }

    /**
     * The cache after a run wrote positions {@code [length, newLength)} into the buffers: shares them, and makes this
     * cache stale.
     */
    KvCache extendedTo(int newLength, INDArray[] k, INDArray[] v) {
        checkCurrent();
        shared.current++;
        return new KvCache(k, v, newLength, keyBuffers, valueBuffers, shared, shared.current);
    }

    /**
     * Frees the native memory: the buffers of a cache with capacity (every cache over them becomes unusable), or the
     * arrays of a growing cache. Allowed on a stale cache.
     */
    @Override
    public void close() {
        INDArray[] ks = keyBuffers != null ? keyBuffers : keys;
        INDArray[] vs = valueBuffers != null ? valueBuffers : values;
        for (int l = 0; l < ks.length; l++) {
            closeIfOwned(ks[l]);
            closeIfOwned(vs[l]);
        }
    }

    private static void closeIfOwned(INDArray a) {
        if (a != null && a.closeable() && !a.wasClosed()) {
            a.close();
        }
    }

    /** {@code buffer[:, :, 0:length, :]} (a fresh empty array for length 0). */
    static INDArray prefix(INDArray buffer, int length) {
        if (length == 0) {
            return Nd4j.create(DataType.FLOAT, buffer.size(0), buffer.size(1), 0, buffer.size(3));
        }
        return buffer.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, length),
                NDArrayIndex.all());
    }
}
