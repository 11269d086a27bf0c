package dev.steering.model;

import dev.steering.hooks.HookPoint;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The seam between the model and the hardware: one forward call over a batch, with a KV cache, hook reads and the
 * call's edits. {@link SameDiffEngine} implements it on ND4J's backends (Java kernels on the CPU backend, pure ND4J
 * ops on any other, see {@link Kernels}); callers use it through {@link ForwardGraph}, a view with fixed edits.
 * Implementations serialise calls and own the native memory they allocate ({@link #close()} frees it; the weights
 * belong to the model).
 */
public interface ForwardEngine extends AutoCloseable {

    /**
     * Runs one forward call.
     *
     * @param in    the batch
     * @param past  the cache of earlier calls ({@code in.pastLength()} positions), or null for none. A cache with
     *              capacity that has room for this call's positions is extended in place and must not be used again
     *              (see {@link KvCache}); otherwise it is left unchanged
     * @param read  hook points whose activations to return
     * @param edits edits applied at their hook points, in order (several at one hook compose in list order)
     * @return logits of {@code in.logitRows()}, the hooks read ({@code [batch, seq, hidden]}, after their edits) and
     *         the grown cache (over the same buffers when extended in place, else fresh arrays)
     */
    ForwardResult run(ForwardInputs in, KvCache past, Collection<HookPoint> read, List<BoundEdit> edits);

    /**
     * An empty cache for {@code batch} rows that holds up to {@code capacity} positions in place: per layer one key
     * and one value buffer {@code [batch, kvHeads, capacity, headDim]} that each {@link #run} extends (see
     * {@link KvCache} for the ownership rule). Capacity 0 gives a growing cache.
     */
    KvCache emptyCache(int batch, int capacity);

    /** An empty growing cache for {@code batch} rows (each {@link #run} returns a new cache of fresh arrays). */
    default KvCache emptyCache(int batch) {
        return emptyCache(batch, 0);
    }

    /** The hook points a call may read or edit. */
    Set<HookPoint> hookPoints();

    /** The kernels this engine runs. */
    Kernels kernels();

    /** Frees the engine's native memory; later calls throw {@link IllegalStateException}. */
    @Override
    void close();
}
