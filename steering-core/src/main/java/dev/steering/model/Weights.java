package dev.steering.model;

import dev.steering.Progress;
import dev.steering.model.compact.CompactMatrix;
import dev.steering.model.compact.CompactPolicy;
import dev.steering.model.compact.QuantizedSafeTensors;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.TensorSource;
import dev.steering.weights.WeightsException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A model's parameters, keyed by the names its architecture class uses in the graph: F32 arrays, and the matrices
 * the working precision keeps compact ({@link CompactMatrix}, see docs/precision.md). Held once in memory and
 * shared (not copied) by every graph built from them.
 */
public final class Weights implements AutoCloseable {
    private final Map<String, INDArray> arrays;
    private Map<String, CompactMatrix> compact;
    /** Where each compact matrix's rows came from, by checkpoint tensor name. */
    private final Map<String, Origin> origins;
    /** MKL-packed copies of F32 weights, made at first use (see {@link MklGemm}). */
    private final PackedWeights packed = new PackedWeights();

    Weights(Map<String, INDArray> arrays) {
        this(arrays, Map.of(), Map.of());
    }

    Weights(Map<String, INDArray> arrays, Map<String, CompactMatrix> compact, Map<String, Origin> origins) {
        this.arrays = Collections.unmodifiableMap(new LinkedHashMap<>(arrays));
        this.compact = Collections.unmodifiableMap(new LinkedHashMap<>(compact));
        this.origins = Collections.unmodifiableMap(new LinkedHashMap<>(origins));
    }

    /**
     * Rows {@code [tensorRow, tensorRow + count)} of a checkpoint tensor are rows {@code [graphRow, …)} of compact
     * matrix {@code graphName}.
     */
    record Piece(String graphName, int graphRow, int tensorRow, int count) {
    }

    /**
     * How a checkpoint tensor became compact: its storage type, whether the graph multiplies by its transpose
     * (GPT-2's Conv1D), and the pieces of compact matrices its rows are.
     */
    record Origin(StorageType type, boolean transposed, long tensorRows, List<Piece> pieces) {
    }

    /**
     * A checkpoint tensor the model holds compact, as the {@code [out, in]} matrix the graph multiplies by
     * ({@link #checkpointMatrix}).
     *
     * @param name       the checkpoint tensor's name
     * @param type       its storage type
     * @param out        rows
     * @param in         columns
     * @param transposed true if the checkpoint stores it {@code [in, out]} (GPT-2's Conv1D)
     */
    public record CheckpointMatrix(String name, StorageType type, int out, int in, boolean transposed) {
    }

    /** The checkpoint tensors held compact, in load order: what a quantized checkpoint saves. */
    public List<CheckpointMatrix> checkpointMatrices() {
        List<CheckpointMatrix> out = new java.util.ArrayList<>();
        origins.forEach((name, o) -> out.add(new CheckpointMatrix(name, o.type(), Math.toIntExact(o.tensorRows()),
                compact.get(o.pieces().get(0).graphName()).inFeatures(), o.transposed())));
        return out;
    }

    /**
     * Checkpoint tensor {@code name} as the {@code [out, in]} matrix the graph multiplies by: the compact matrix
     * itself, or its rows gathered (copied) from the matrices the architecture stacked them into.
     *
     * @throws IllegalArgumentException if the tensor is not held compact
     * @throws IllegalStateException    if not all its rows are held (a tensor only partly used)
     */
    public CompactMatrix checkpointMatrix(String name) {
        Origin o = origins.get(name);
        if (o == null) {
            throw new IllegalArgumentException("checkpoint tensor '" + name + "' is not held compact");
        }
        List<Piece> pieces = new java.util.ArrayList<>(o.pieces());
        pieces.sort(java.util.Comparator.comparingInt(Piece::tensorRow));
        List<CompactMatrix.RowRange> ranges = new java.util.ArrayList<>();
        int next = 0;
        for (Piece p : pieces) {
            if (p.tensorRow() != next) {
                throw new IllegalStateException(name + ": rows from " + next + " are not held compact");
            }
            ranges.add(new CompactMatrix.RowRange(compact.get(p.graphName()), p.graphRow(), p.count()));
            next += p.count();
        }
        if (next != o.tensorRows()) {
            throw new IllegalStateException(name + ": rows from " + next + " are not held compact");
        }
        CompactMatrix.RowRange only = ranges.get(0);
        return ranges.size() == 1 && only.first() == 0 && only.count() == only.matrix().outFeatures() ? only.matrix()
                : CompactMatrix.stackRows(name, ranges);
    }

    /** The F32 parameter {@code name}; an error naming it if absent (or held compact). */
    public INDArray get(String name) {
        INDArray a = arrays.get(name);
        if (a == null) {
            throw new IllegalArgumentException(compact.containsKey(name) ? "weight '" + name + "' is held as "
                    + compact.get(name).type() + ", not as an F32 array" : "no weight '" + name + "'");
        }
        return a;
    }

    /** True if there is a parameter {@code name} (F32 or compact). */
    public boolean has(String name) {
        return arrays.containsKey(name) || compact.containsKey(name);
    }

    /** The compact matrix {@code name}, or null if the parameter is an F32 array (or absent). */
    public CompactMatrix compact(String name) {
        return compact.get(name);
    }

    /** Graph names and compact matrices, in load order (unmodifiable; empty at float32). */
    public Map<String, CompactMatrix> compactMatrices() {
        return compact;
    }

    /** The shape of parameter {@code name}, F32 or compact ({@code [out, in]}). */
    public long[] shape(String name) {
        CompactMatrix m = compact.get(name);
        return m != null ? new long[]{m.outFeatures(), m.inFeatures()} : get(name).shape();
    }

    /** Bytes the parameters hold: 4 per F32 value plus each distinct compact matrix's storage. */
    public long storageBytes() {
        long f32 = 4 * arrays.values().stream().mapToLong(INDArray::length).sum();
        return f32 + distinctCompact().mapToLong(CompactMatrix::storageBytes).sum();
    }

    /** The compact matrices, each once (a tied embedding is one matrix under two names). */
    private java.util.stream.Stream<CompactMatrix> distinctCompact() {
        Set<CompactMatrix> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        return compact.values().stream().filter(seen::add);
    }

    /** The MKL-packed copies of these weights (made at first use, freed by {@link #close}). */
    PackedWeights packed() {
        return packed;
    }

    /** Names and arrays, in load order (unmodifiable). */
    public Map<String, INDArray> asMap() {
        return arrays;
    }

    /**
     * Frees the arrays' native memory and their packed copies and drops the compact matrices (once; later closes do
     * nothing). Every graph built over these weights must be closed or unused by then.
     */
    @Override
    public synchronized void close() {
        packed.close();
        for (INDArray a : arrays.values()) {
            if (!a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
        compact = Map.of();
    }

    /** Total number of parameters (F32 and compact; a matrix shared by two names, as tied embeddings, once). */
    public long parameterCount() {
        return arrays.values().stream().mapToLong(INDArray::length).sum()
                + distinctCompact().mapToLong(m -> (long) m.outFeatures() * m.inFeatures()).sum();
    }

    /**
     * Collects parameters from a checkpoint, checking each tensor's shape. With a target storage type, the matrices
     * {@link CompactPolicy#storageFor} selects are encoded as they are read, so at most one tensor is in F32 at once
     * besides the F32 parameters (norms, biases).
     */
    static final class Collector {
        private final TensorSource source;
        private final String origin;
        private final StorageType target;
        private final Map<String, INDArray> out = new LinkedHashMap<>();
        private final Map<String, CompactMatrix> compact = new LinkedHashMap<>();
        /** Compact matrices by checkpoint name: a tensor read twice (a tied unembedding) is encoded once. */
        private final Map<String, CompactMatrix> encoded = new HashMap<>();
        /** The one F32 buffer every compact matrix is read through, a block of rows at a time. */
        private float[] buffer = new float[0];
        /** The source as a saved quantized checkpoint, whose blocks are taken as stored; else null. */
        private final QuantizedSafeTensors stored;
        private final Map<String, Origin> origins = new LinkedHashMap<>();
        /** Parameters read so far, logged for loads that take more than a few seconds (a 7B model at int4). */
        private final Progress.Task progress;
        private final Set<String> counted = new HashSet<>();

        /**
         * @param source the checkpoint's tensors
         * @param origin the checkpoint directory or file, named in errors
         * @param target the working storage type; null or {@link StorageType#F32} for F32 arrays only
         */
        Collector(TensorSource source, String origin, StorageType target) {
            this.source = source;
            this.origin = origin;
            this.target = target == StorageType.F32 ? null : target;
            this.stored = source instanceof QuantizedSafeTensors q ? q : null;
            WeightBudget.check(origin, source, this.target);
            this.progress = Progress.logging(5000).start("loading " + origin + " (parameters)", source.elementCount());
        }

        /** Counts checkpoint tensor {@code name} as read (once, however many graph names use it). */
        private void counted(String name) {
            if (counted.add(name)) {
                progress.step(source.info(name).numel());
            }
        }

        /**
         * A run of rows of checkpoint tensor {@code name}, whose shape is {@code [tensorRows, cols]}: rows
         * {@code [first, first + count)}.
         */
        record Rows(String name, long tensorRows, long first, long count) {
            /** All rows of a {@code [tensorRows, cols]} tensor. */
            static Rows all(String name, long tensorRows) {
                return new Rows(name, tensorRows, 0, tensorRows);
            }
        }

        /** True if the checkpoint holds {@code name}. */
        boolean has(String name) {
            return source.contains(name);
        }

        /** Reads checkpoint tensor {@code name}, which must have shape {@code shape}. */
        INDArray read(String name, long... shape) {
            checkShape(name, shape);
            INDArray a = source.array(name);
            counted(name);
            return a;
        }

        private void checkShape(String name, long[] shape) {
            if (!source.contains(name)) {
                throw new WeightsException(origin + ": missing tensor '" + name + "' (expected shape "
                        + Arrays.toString(shape) + ")");
            }
            long[] found = source.info(name).shape();
            if (!Arrays.equals(found, shape)) {
                throw new WeightsException(origin + ": tensor '" + name + "' has shape " + Arrays.toString(found)
                        + ", expected " + Arrays.toString(shape));
            }
        }

        /** Stores a parameter under the graph's name. */
        void put(String graphName, INDArray array) {
            out.put(graphName, array);
        }

        /**
         * Reads checkpoint tensor {@code name} (shape-checked) and stores it as {@code graphName}: compact if the
         * policy says so, read and encoded straight from the checkpoint.
         */
        void copy(String graphName, String name, long... shape) {
            StorageType type = storageFor(name, shape);
            if (type == null) {
                put(graphName, read(name, shape));
                return;
            }
            checkShape(name, shape);
            putCompact(graphName, name, type);
        }

        /**
         * Stores a matrix {@code [rows, cols]} stacked from runs of checkpoint rows ({@code [q; k; v]} from three
         * tensors, a fused projection's rows reordered) as {@code graphName}. Compact if the policy says so for the
         * first run's tensor: the runs are read into the one block buffer and encoded, a block of rows at a time,
         * with no F32 copy of the parts. Otherwise {@code f32} builds the F32 array (as the architecture always
         * did; it should close the parts it reads).
         */
        void stack(String graphName, long cols, List<Rows> runs, Supplier<INDArray> f32) {
            long rows = runs.stream().mapToLong(Rows::count).sum();
            String name = runs.get(0).name();
            StorageType type = storageFor(name, new long[]{rows, cols});
            if (type == null) {
                put(graphName, f32.get());
                return;
            }
            long[] starts = new long[runs.size()];
            for (int i = 0, at = 0; i < runs.size(); at += runs.get(i).count(), i++) {
                Rows run = runs.get(i);
                checkShape(run.name(), new long[]{run.tensorRows(), cols});
                if (run.first() < 0 || run.count() < 0 || run.first() + run.count() > run.tensorRows()) {
                    throw new IllegalArgumentException(run + " lies outside its tensor");
                }
                starts[i] = at;
            }
            int in = Math.toIntExact(cols);
            int out = Math.toIntExact(rows);
            for (int i = 0; i < runs.size(); i++) {
                Rows run = runs.get(i);
                record(run.name(), type, false, run.tensorRows(),
                        new Piece(graphName, (int) starts[i], (int) run.first(), (int) run.count()));
            }
            if (stored != null && stored.isQuantized(name)) {
                // the parts are read for this matrix only (not kept): they are garbage once stacked
                Map<String, CompactMatrix> parts = new HashMap<>();
                List<CompactMatrix.RowRange> ranges = new java.util.ArrayList<>();
                for (Rows run : runs) {
                    ranges.add(new CompactMatrix.RowRange(parts.computeIfAbsent(run.name(),
                            n -> storedMatrix(n, type, false, false)), (int) run.first(), (int) run.count()));
                }
                compact.put(graphName, CompactMatrix.stackRows(origin + ": " + name, ranges));
                runs.forEach(run -> counted(run.name()));
                return;
            }
            try {
                compact.put(graphName, CompactMatrix.encodeRows(origin + ": " + name, out, in, type, (r, n, dst) -> {
                    for (int i = 0; i < runs.size(); i++) {
                        Rows run = runs.get(i);
                        long lo = Math.max(r, starts[i]);
                        long hi = Math.min(r + n, starts[i] + run.count());
                        if (lo < hi) {
                            source.floats(run.name(), (run.first() + lo - starts[i]) * in, dst, (int) (lo - r) * in,
                                    (int) (hi - lo) * in);
                        }
                    }
                }, buffer(out, in)));
            } catch (IllegalArgumentException e) {
                throw new WeightsException(e.getMessage());
            }
            runs.forEach(run -> counted(run.name()));
        }

        /** Notes that rows of checkpoint tensor {@code name} are held compact as {@code piece}. */
        private void record(String name, StorageType type, boolean transposed, long tensorRows, Piece piece) {
            origins.computeIfAbsent(name, n -> new Origin(type, transposed, tensorRows, new java.util.ArrayList<>()))
                    .pieces().add(piece);
        }

        /**
         * The stored blocks of checkpoint tensor {@code name} of a saved quantized checkpoint, which must be of the
         * type the policy gives it here; with {@code keep}, read once however many graph names use it.
         */
        private CompactMatrix storedMatrix(String name, StorageType type, boolean transposed, boolean keep) {
            CompactMatrix m = encoded.get(name);
            if (m == null) {
                if (!stored.isQuantized(name) || stored.isTransposed(name) != transposed) {
                    throw new WeightsException(stored.path() + ": tensor '" + name + "' is expected stored "
                            + (stored.isQuantized(name) ? (transposed ? "transposed" : "linear") : "quantized")
                            + " as " + type);
                }
                m = stored.matrix(name);
                if (m.type() != type) {
                    throw new WeightsException(stored.path() + ": tensor '" + name + "' is stored as " + m.type()
                            + ", expected " + type + " at " + target);
                }
                if (keep) {
                    encoded.put(name, m);
                }
            }
            return m;
        }

        /** The block buffer, grown to a block of an {@code [out, in]} matrix. */
        private float[] buffer(int out, int in) {
            int n = CompactMatrix.blockValues(out, in);
            if (buffer.length < n) {
                buffer = null;                      // the old buffer is garbage before the new one is allocated
                buffer = new float[n];
            }
            return buffer;
        }

        /** Concatenates F32 parts along rows and closes them. */
        static INDArray concatRows(INDArray... parts) {
            INDArray out = Nd4j.concat(0, parts);
            for (INDArray p : parts) {
                closeIfOwned(p);
            }
            return out;
        }

        /**
         * Stores the transpose of checkpoint tensor {@code name}, stored {@code [in, out]} (GPT-2's {@code Conv1D}),
         * as the {@code [out, in]} matrix {@code graphName}: compact if the policy says so.
         */
        void transposed(String graphName, String name, long in, long out) {
            StorageType type = storageFor(name, new long[]{out, in});
            if (type == null) {
                put(graphName, transpose(read(name, in, out)));
                return;
            }
            checkShape(name, new long[]{in, out});
            record(name, type, true, out, new Piece(graphName, 0, 0, Math.toIntExact(out)));
            if (stored != null && stored.isQuantized(name)) {
                compact.put(graphName, storedMatrix(name, type, true, true));
                counted(name);
                return;
            }
            INDArray c = transpose(read(name, in, out));
            float[] values = c.data().asFloat();
            closeIfOwned(c);
            compact.put(graphName, encode(name, values, Math.toIntExact(out), Math.toIntExact(in), type));
        }

        /** A new C-ordered transpose of {@code a}, which is closed. */
        private static INDArray transpose(INDArray a) {
            INDArray t = a.transpose().dup('c');
            closeIfOwned(a);
            return t;
        }

        private static void closeIfOwned(INDArray a) {
            if (!a.wasClosed() && a.closeable()) {
                a.close();
            }
        }

        private CompactMatrix encode(String name, float[] values, int rows, int cols, StorageType type) {
            try {
                return CompactMatrix.encode(origin + ": " + name, values, rows, cols, type);
            } catch (IllegalArgumentException e) {
                throw new WeightsException(e.getMessage());
            }
        }

        /** Encodes checkpoint tensor {@code name} once, however many graph names use it. */
        private void putCompact(String graphName, String name, StorageType type) {
            if (!encoded.containsKey(name)) {
                record(name, type, false, source.info(name).shape()[0],
                        new Piece(graphName, 0, 0, Math.toIntExact(source.info(name).shape()[0])));
            }
            if (stored != null && stored.isQuantized(name)) {
                compact.put(graphName, storedMatrix(name, type, false, true));
                counted(name);
                return;
            }
            CompactMatrix m = encoded.get(name);
            if (m == null) {
                long[] shape = source.info(name).shape();
                try {
                    m = CompactMatrix.fromSource(source, name, type,
                            buffer(Math.toIntExact(shape[0]), Math.toIntExact(shape[1])));
                } catch (WeightsException e) {
                    throw new WeightsException(origin + ": " + e.getMessage());
                }
                encoded.put(name, m);
            }
            compact.put(graphName, m);
            counted(name);
        }

        /** The compact type of checkpoint tensor {@code name} at the target, or null for an F32 array. */
        private StorageType storageFor(String name, long[] shape) {
            if (target == null || shape.length != 2 || !source.contains(name)) {
                return null;
            }
            return CompactPolicy.storageFor(name, shape, source.info(name).dtype(), target);
        }

        Weights build() {
            progress.close();
            return new Weights(out, compact, origins);
        }
    }
}
