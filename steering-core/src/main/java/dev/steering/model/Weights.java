package dev.steering.model;

import dev.steering.weights.TensorSource;
import dev.steering.weights.WeightsException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model's parameters in F32, keyed by the names its architecture class uses in the graph. Held once in memory
 * and shared (not copied) by every graph built from them.
 */
public final class Weights implements AutoCloseable {
    private final Map<String, INDArray> arrays;

    Weights(Map<String, INDArray> arrays) {
        this.arrays = Collections.unmodifiableMap(new LinkedHashMap<>(arrays));
    }

    /** The parameter {@code name}; an error naming it if absent. */
    public INDArray get(String name) {
        INDArray a = arrays.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no weight '" + name + "'");
        }
        return a;
    }

    /** Names and arrays, in load order (unmodifiable). */
    public Map<String, INDArray> asMap() {
        return arrays;
    }

    /**
     * Frees the arrays' native memory (once; later closes do nothing). Every graph built over these weights must be
     * closed or unused by then.
     */
    @Override
    public synchronized void close() {
        for (INDArray a : arrays.values()) {
            if (!a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
    }

    /** Total number of parameters. */
    public long parameterCount() {
        return arrays.values().stream().mapToLong(INDArray::length).sum();
    }

    /** Collects parameters from a checkpoint, checking each tensor's shape. */
    static final class Collector {
        private final TensorSource source;
        private final String origin;
        private final Map<String, INDArray> out = new LinkedHashMap<>();

        /**
         * @param source the checkpoint's tensors
         * @param origin the checkpoint directory or file, named in errors
         */
        Collector(TensorSource source, String origin) {
            this.source = source;
            this.origin = origin;
        }

        /** True if the checkpoint holds {@code name}. */
        boolean has(String name) {
            return source.contains(name);
        }

        /** Reads checkpoint tensor {@code name}, which must have shape {@code shape}. */
        INDArray read(String name, long... shape) {
            if (!source.contains(name)) {
                throw new WeightsException(origin + ": missing tensor '" + name + "' (expected shape "
                        + Arrays.toString(shape) + ")");
            }
            long[] found = source.info(name).shape();
            if (!Arrays.equals(found, shape)) {
                throw new WeightsException(origin + ": tensor '" + name + "' has shape " + Arrays.toString(found)
                        + ", expected " + Arrays.toString(shape));
            }
            return source.array(name);
        }

        /** Stores a parameter under the graph's name. */
        void put(String graphName, INDArray array) {
            out.put(graphName, array);
        }

        /** Reads checkpoint tensor {@code name} (shape-checked) and stores it as {@code graphName}. */
        void copy(String graphName, String name, long... shape) {
            put(graphName, read(name, shape));
        }

        Weights build() {
            return new Weights(out);
        }
    }
}
