package dev.steering.model;

import java.util.IdentityHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MKL-packed copies of a model's F32 weights ({@link MklGemm}): each made when a product first multiplies by
 * the weight, shared by every graph built over the weights, and freed with them
 * ({@link Weights#close}). The copies are made from the weights as they are then: weights are read-only once
 * loaded.
 *
 * <p>The copies together stay under {@code -Dsteering.mkl.packed-mb} (default {@value #DEFAULT_LIMIT_MB} MB, as
 * MKL sizes them); weights beyond it are not packed and their products run as without MKL. Which ones are packed
 * depends only on the model and the order its products first run in, so runs stay reproducible.
 */
final class PackedWeights implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PackedWeights.class);
    static final long DEFAULT_LIMIT_MB = 4096;

    private final long limitBytes;
    private final Map<INDArray, MklGemm.Packed> packed = new IdentityHashMap<>();
    private final Map<INDArray, Boolean> refused = new IdentityHashMap<>();
    private long bytes;
    private boolean closed;

    /** Copies up to {@code -Dsteering.mkl.packed-mb}. */
    PackedWeights() {
        this(limitFromProperty());
    }

    /** Copies up to {@code limitBytes}. */
    PackedWeights(long limitBytes) {
        this.limitBytes = limitBytes;
    }

    private static long limitFromProperty() {
        String p = System.getProperty("steering.mkl.packed-mb", Long.toString(DEFAULT_LIMIT_MB)).trim();
        try {
            long mb = Long.parseLong(p);
            if (mb >= 0) {
                return mb << 20;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-Dsteering.mkl.packed-mb=" + p + ": expected a whole number of MB >= 0");
    }

    /**
     * The packed copy of the weight {@code w} (made now if this is its first use), or null if MKL is not
     * available, {@code w} cannot be packed, the limit is reached, or these weights were closed.
     */
    synchronized MklGemm.Packed get(INDArray w) {
        MklGemm.Packed p = packed.get(w);
        if (p != null || closed || refused.containsKey(w) || !MklGemm.available()) {
            return p;
        }
        if (!MklGemm.packable(w)) {
            refused.put(w, Boolean.TRUE);
            return null;
        }
        if (MklGemm.packedBytes(w.size(0), w.size(1)) > limitBytes - bytes) {
            LOG.info("MKL-packed weights reached {} MB (-Dsteering.mkl.packed-mb): a [{}, {}] weight stays unpacked",
                    limitBytes >> 20, w.size(0), w.size(1));
            refused.put(w, Boolean.TRUE);
            return null;
        }
        p = MklGemm.pack(w);
        packed.put(w, p);
        bytes += p.bytes();
        return p;
    }

    /** Native bytes the packed copies hold. */
    synchronized long bytes() {
        return bytes;
    }

    /** Frees every packed copy (once); later {@link #get} calls return null. */
    @Override
    public synchronized void close() {
        packed.values().forEach(MklGemm.Packed::close);
        packed.clear();
        refused.clear();
        bytes = 0;
        closed = true;
    }
}
