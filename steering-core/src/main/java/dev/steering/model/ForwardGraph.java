package dev.steering.model;

import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import java.util.Collection;
import java.util.List;

/**
 * A model's forward pass with a fixed list of edits: a light view over the model's one {@link ForwardEngine}, which
 * takes the edits as data at every call. Views are cheap (nothing is built); many views with different edits share
 * one engine and its buffers. Calls are serialised on the engine.
 */
public final class ForwardGraph {
    private final ForwardEngine engine;
    private final List<Edit> edits;
    private final List<BoundEdit> bound;

    /** A view of {@code engine} applying {@code edits} (bound to their vectors once, now). */
    public ForwardGraph(ForwardEngine engine, List<Edit> edits) {
        this.engine = engine;
        this.edits = List.copyOf(edits);
        for (Edit e : this.edits) {
            if (!engine.hookPoints().contains(e.hook())) {
                throw new IllegalArgumentException("this model has no hook point " + e.hook().name());
            }
        }
        this.bound = this.edits.stream().map(BoundEdit::of).toList();
    }

    /** The engine. */
    public ForwardEngine engine() {
        return engine;
    }

    /** The edits this view applies. */
    public List<Edit> edits() {
        return edits;
    }

    /**
     * Runs one forward call with this view's edits.
     *
     * @see ForwardEngine#run
     */
    public ForwardResult run(ForwardInputs in, KvCache past, Collection<HookPoint> read) {
        return engine.run(in, past, read, bound);
    }

    /** @see ForwardEngine#emptyCache(int, int) */
    public KvCache emptyCache(int batch, int capacity) {
        return engine.emptyCache(batch, capacity);
    }

    /** @see ForwardEngine#emptyCache(int) */
    public KvCache emptyCache(int batch) {
        return engine.emptyCache(batch);
    }
}
