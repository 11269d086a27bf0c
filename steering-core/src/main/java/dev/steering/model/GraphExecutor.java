package dev.steering.model;

import dev.steering.model.compact.CompactKernels;
import dev.steering.model.compact.CompactMatrix;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.ReduceOp;
import org.nd4j.linalg.api.ops.ScalarOp;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.shape.Concat;
import org.nd4j.linalg.api.ops.impl.transforms.same.Identity;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Runs a static SameDiff graph for inference without {@code InferenceSession}: the execution plan (the ops the
 * requested outputs need, in topological order, with each array's last use) is computed once per output set, and
 * each call just executes the ops one after another. Intermediate arrays go back to a pool after their last use and
 * are reused (within a call and across calls of the same shapes); arrays handed back to the caller are always
 * fresh, or destination arrays the caller passed (see {@link #output(Map, Map, String...)}). 2-D matmuls run as
 * one GEMM into a preallocated row-major output, through the kernel {@link MatmulKernels} picks for their shape;
 * elementwise ops (fused into one pass per region, see {@link #fuse}), column slices, gathers, permutes
 * ({@link JavaKernels}), softmax and moments over the last axis ({@link RowKernels}) and the attention products
 * ({@link SmallBatchedMatmul}) run in Java.
 *
 * <p>Supports the op kinds forward graphs use: custom ops, legacy transform / scalar / pairwise / reduce ops and
 * {@code identity}; graphs with control flow (loops, switch, tensor arrays) are rejected. Not thread-safe: callers
 * serialise calls (as {@link SameDiffEngine} does).
 *
 * <p>With {@link Kernels#ND4J} every op runs through ND4J (no Java kernel touches host memory), as any backend
 * requires. Matmuls by and gathers from a compact weight (a placeholder of {@link Weights#compact}, not fed) run
 * through {@link CompactKernels} on the host: in place on the CPU backend, through host copies otherwise.
 * Identities run as aliases, except the edited ones of a call: their input is copied and the call's edit
 * function changes the copy in place (see {@link #output(Map, Map, Map, String...)}).
 */
public final class GraphExecutor implements AutoCloseable {
    private final SameDiff sd;
    private final Map<String, Integer> slots = new HashMap<>();
    private final List<String> slotNames = new ArrayList<>();
    private final Map<PlanKey, Plan> plans = new HashMap<>();
    private final Map<ShapeKey, ArrayDeque<INDArray>> pool = new HashMap<>();
    private final Kernels mode;
    private final MatmulKernels kernels;
    /** Compact weights by placeholder name. */
    private final Map<String, CompactMatrix> compact;
    /** MKL-packed copies of the graph's F32 weights (null: none are made). */
    private final PackedWeights packed;
    /** Per op name: [calls, nanoseconds], when profiling. */
    private Map<String, long[]> profile;

    /** An executor with the kernels of this JVM's backend. */
    public GraphExecutor(SameDiff sd) {
        this(sd, Kernels.forBackend());
    }

    /** An executor running these kernels. */
    public GraphExecutor(SameDiff sd, Kernels mode) {
        this(sd, mode, MatmulKernels.fromSystemProperty());
    }

    /** An executor whose 2-D matmuls use {@code kernels}. */
    GraphExecutor(SameDiff sd, Kernels mode, MatmulKernels kernels) {
        this(sd, mode, kernels, Map.of(), null);
    }

    /**
     * An executor running these kernels over a graph whose placeholders named in {@code compact} are compact
     * weights {@code [out, in]}: never fed, only multiplied by ({@code x · Wᵀ}) or gathered from (rows, axis 0).
     * Products of two or more rows by constant F32 weights read the weights' MKL-packed copies from {@code packed}
     * where MKL runs ({@link MatmulKernels#packed}); null makes none.
     */
    GraphExecutor(SameDiff sd, Kernels mode, Map<String, CompactMatrix> compact, PackedWeights packed) {
        this(sd, mode, MatmulKernels.fromSystemProperty(), compact, packed);
    }

    private GraphExecutor(SameDiff sd, Kernels mode, MatmulKernels kernels, Map<String, CompactMatrix> compact,
                          PackedWeights packed) {
        this.sd = sd;
        this.mode = mode;
        this.kernels = mode == Kernels.JAVA ? kernels : MatmulKernels.always(MatmulKernels.Kernel.BLAS);
        this.compact = Map.copyOf(compact);
        this.packed = mode == Kernels.JAVA ? packed : null;
    }

    /**
     * Computes {@code outputs} from the placeholder values in {@code feed} (as {@code sd.output(feed, outputs)}).
     */
    public Map<String, INDArray> output(Map<String, INDArray> feed, String... outputs) {
        return output(feed, Map.of(), Map.of(), outputs);
    }

    /** As {@link #output(Map, Map, Map, String...)} without edits. */
    public Map<String, INDArray> output(Map<String, INDArray> feed, Map<String, INDArray> into, String... outputs) {
        return output(feed, into, Map.of(), outputs);
    }

    /**
     * Computes {@code outputs} as {@link #output(Map, String...)} does, writing the outputs named in {@code into}
     * into the given destination arrays (each of the output's exact shape and type; views are fine, e.g. a prefix of
     * a larger buffer) instead of fresh arrays; the returned map then holds those destination arrays. A
     * {@code concat} writes each input into its slice of the destination and skips an input that already is that
     * slice (same memory address and strides): so appending to a buffer whose prefix is fed as input 0 copies only
     * the appended part. Any other op computes as usual and its result is copied into the destination.
     *
     * @param edits functions that edit, in place, the value of an identity op's output variable (a hook point)
     *              before any op reads it
     */
    public Map<String, INDArray> output(Map<String, INDArray> feed, Map<String, INDArray> into,
                                        Map<String, Consumer<INDArray>> edits, String... outputs) {
        Plan plan = plans.computeIfAbsent(new PlanKey(List.of(outputs), Set.copyOf(edits.keySet())), this::plan);
        INDArray[] dest = destinations(into, outputs);
        INDArray[] values = new INDArray[slotNames.size()];
        for (int i = 0; i < plan.external.length; i++) {
            int s = plan.external[i];
            INDArray a = plan.constants[i];
            if (a == null) {
                String name = slotNames.get(s);
                if (compact.containsKey(name)) {
                    continue;                   // read by its COMPACT / COMPACT_GATHER steps, never fed
                }
                SDVariable v = sd.getVariable(name);
                a = v.isPlaceHolder() ? feed.get(name) : v.getArr();
                if (a == null) {
                    throw new IllegalArgumentException("no array for placeholder '" + name + "'");
                }
            }
            values[s] = a;
        }
        Set<ShapeKey> used = new HashSet<>();
        for (int i = 0; i < plan.steps.length; i++) {
            Step st = plan.steps[i];
            long t0 = profile == null ? 0 : System.nanoTime();
            try {
                if (dest != null && st.writesInto(dest)) {
                    st.runInto(values, dest, this, used);
                } else {
                    st.run(values, this, used);
                }
                if (st.reuse >= 0 && values[st.out[0]] != values[st.in[0]]) {
                    release(values[st.reuse]);                      // it did not write into its input after all
                    values[st.reuse] = null;
                }
                if (st.kind == Kind.EDIT) {
                    edits.get(slotNames.get(st.out[0])).accept(values[st.out[0]]);
                }
                if (profile != null) {
                    long[] p = profile.computeIfAbsent(profileKey(st, values), k -> new long[2]);
                    p[0]++;
                    p[1] += System.nanoTime() - t0;
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException("op '" + st.op.getOwnName() + "' (" + st.op.opName() + ") failed: "
                        + e.getMessage(), e);
            }
            for (int s : st.release) {
                release(values[s]);
                values[s] = null;
            }
        }
        // Free the buffers of shapes this call did not use (decode steps grow some shapes every call).
        for (var it = pool.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!used.contains(e.getKey())) {
                e.getValue().forEach(INDArray::close);
                it.remove();
            }
        }
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (String o : outputs) {
            out.put(o, values[slot(o)]);
        }
        return out;
    }

    /** What a step is timed as: matmuls by their shapes (and a compact weight's type), other ops by name. */
    private static String profileKey(Step st, INDArray[] values) {
        return switch (st.kind) {
            case MATMUL -> "matmul " + Arrays.toString(values[st.in[0]].shape()) + "x"
                    + Arrays.toString(values[st.in[1]].shape()) + (st.transB ? "T" : "") + (st.packedRun ? " MKL" : "");
            case COMPACT -> "matmul " + Arrays.toString(values[st.in[0]].shape()) + "x" + st.matrix.type()
                    + "[" + st.matrix.outFeatures() + ", " + st.matrix.inFeatures() + "]T";
            case FUSED -> "fused " + st.fusedName();
            default -> st.op.opName();
        };
    }

    /** Destination arrays by slot (null when there are none). */
    private INDArray[] destinations(Map<String, INDArray> into, String[] outputs) {
        if (into.isEmpty()) {
            return null;
        }
        if (!List.of(outputs).containsAll(into.keySet())) {
            throw new IllegalArgumentException("destinations " + into.keySet() + " for outputs not requested: "
                    + List.of(outputs));
        }
        INDArray[] dest = new INDArray[slotNames.size()];
        into.forEach((name, a) -> dest[slot(name)] = a);
        return dest;
    }

    /** Whether {@code a} and {@code b} are the same elements of the same buffer (offset, shape and strides). */
    static boolean sameMemory(INDArray a, INDArray b) {
        return !a.isEmpty() && !b.isEmpty() && a.dataType() == b.dataType()
                && Arrays.equals(a.shape(), b.shape()) && Arrays.equals(a.stride(), b.stride())
                && a.offset() == b.offset() && root(a.data()) == root(b.data());
    }

    private static DataBuffer root(DataBuffer b) {
        DataBuffer u = b.underlyingDataBuffer();
        return u == null ? b : u;
    }

    /**
     * Frees the pooled buffers and the ops' native contexts (arrays handed to callers are theirs). A later call
     * plans again.
     */
    @Override
    public void close() {
        pool.values().forEach(q -> q.forEach(INDArray::close));
        pool.clear();
        for (Plan p : plans.values()) {
            for (Step top : p.steps()) {
                for (Step st : top.members == null ? new Step[]{top} : top.members) {
                    if (st.ownCopy != null) {
                        st.ownCopy.close();
                        st.ownCopy = null;
                    }
                    if (st.oc != null) {
                        try {
                            st.oc.close();
                        } catch (Exception e) {
                            throw new IllegalStateException("cannot free the context of op '" + st.op.getOwnName()
                                    + "'", e);
                        }
                    }
                }
            }
        }
        plans.clear();
    }

    /** Starts (or with false stops) timing every op by kind; read with {@link #profile()}. */
    public void setProfiling(boolean on) {
        profile = on ? new LinkedHashMap<>() : null;
    }

    /** Op kind → {calls, total nanoseconds} since profiling started. */
    public Map<String, long[]> profile() {
        return profile == null ? Map.of() : profile;
    }

    private int slot(String name) {
        Integer s = slots.get(name);
        if (s == null) {
            s = slotNames.size();
            slots.put(name, s);
            slotNames.add(name);
        }
        return s;
    }

    private INDArray allocate(LongShapeDescriptor d, boolean fresh, Set<ShapeKey> used) {
        if (d.isEmpty()) {
            return Nd4j.create(d);
        }
        ShapeKey key = new ShapeKey(d.dataType(), d.getShape(), d.getOrder());
        if (!fresh) {
            used.add(key);
            ArrayDeque<INDArray> q = pool.get(key);
            if (q != null && !q.isEmpty()) {
                return q.pop();
            }
        }
        return Nd4j.createUninitialized(d.dataType(), d.getShape(), d.getOrder());
    }

    private void release(INDArray a) {
        if (a != null && !a.isEmpty() && !a.isView()) {
            pool.computeIfAbsent(new ShapeKey(a.dataType(), a.shape(), a.ordering()), k -> new ArrayDeque<>()).push(a);
        }
    }

    private Plan plan(PlanKey key) {
        List<String> outputs = key.outputs();
        Set<Integer> edited = new HashSet<>();
        for (String e : key.edited()) {
            Variable v = sd.getVariables().get(e);
            if (v == null || v.getOutputOfOp() == null
                    || !(sd.getOps().get(v.getOutputOfOp()).getOp() instanceof Identity)) {
                throw new IllegalArgumentException("'" + e + "' is not the output of an identity op: cannot edit it");
            }
            edited.add(slot(e));
        }
        Map<String, SameDiffOp> ops = sd.getOps();
        Map<String, Variable> vars = sd.getVariables();
        List<SameDiffOp> order = new ArrayList<>();
        Set<String> visited = new HashSet<>();
        Set<Integer> external = new java.util.TreeSet<>();
        // Iterative post-order DFS from the outputs over producing ops.
        for (String o : outputs) {
            if (!vars.containsKey(o)) {
                throw new IllegalArgumentException("no variable '" + o + "' in the graph");
            }
            ArrayDeque<Object[]> stack = new ArrayDeque<>();
            stack.push(new Object[]{o, Boolean.FALSE});
            while (!stack.isEmpty()) {
                Object[] top = stack.pop();
                String var = (String) top[0];
                Variable v = vars.get(var);
                String opName = v.getOutputOfOp();
                if (opName == null) {
                    VariableType t = v.getVariable().getVariableType();
                    if (t == VariableType.ARRAY) {
                        throw new IllegalStateException("variable '" + var + "' has no producing op");
                    }
                    external.add(slot(var));
                    continue;
                }
                if ((Boolean) top[1]) {
                    if (visited.add(opName)) {
                        order.add(ops.get(opName));
                    }
                    continue;
                }
                if (visited.contains(opName)) {
                    continue;
                }
                stack.push(new Object[]{var, Boolean.TRUE});
                List<String> ins = ops.get(opName).getInputsToOp();
                if (ins != null) {
                    for (int i = ins.size() - 1; i >= 0; i--) {
                        Variable iv = vars.get(ins.get(i));
                        if (iv.getOutputOfOp() == null || !visited.contains(iv.getOutputOfOp())) {
                            stack.push(new Object[]{ins.get(i), Boolean.FALSE});
                        }
                    }
                }
            }
        }
        Step[] steps = new Step[order.size()];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = Step.of(order.get(i), this, edited);
        }
        if (mode == Kernels.JAVA) {
            Set<Integer> requested = new HashSet<>();
            outputs.forEach(o -> requested.add(slot(o)));
            steps = fuse(steps, requested);
        }
        // Owners: identity and reshape outputs alias their input's array.
        Map<Integer, Integer> owner = new HashMap<>();
        for (int i = 0; i < steps.length; i++) {
            if (steps[i].kind == Kind.IDENTITY || steps[i].kind == Kind.RESHAPE) {
                int in = steps[i].in[0];
                owner.put(steps[i].out[0], owner.getOrDefault(in, in));
            }
        }
        Set<Integer> pinned = new HashSet<>();          // arrays handed to the caller
        for (String o : outputs) {
            int s = slot(o);
            pinned.add(owner.getOrDefault(s, s));
        }
        Map<Integer, Integer> lastUse = new HashMap<>();
        for (int i = 0; i < steps.length; i++) {
            for (int s : steps[i].in) {
                lastUse.put(owner.getOrDefault(s, s), i);
            }
            for (int s : steps[i].out) {
                lastUse.putIfAbsent(owner.getOrDefault(s, s), i);   // produced but never read
            }
        }
        List<List<Integer>> release = new ArrayList<>();
        for (int i = 0; i < steps.length; i++) {
            release.add(new ArrayList<>());
        }
        for (Map.Entry<Integer, Integer> e : lastUse.entrySet()) {
            int s = e.getKey();
            if (!external.contains(s) && !pinned.contains(s)) {
                release.get(e.getValue()).add(s);
            }
        }
        for (int i = 0; i < steps.length; i++) {
            Step st = steps[i];
            st.fresh = new boolean[st.out.length];
            for (int j = 0; j < st.out.length; j++) {
                st.fresh[j] = pinned.contains(st.out[j]);
            }
            // an elementwise step may write into its first input's array if that dies here (see Step.reuse)
            Integer first = st.in.length == 0 ? null : owner.getOrDefault(st.in[0], st.in[0]);
            if ((st.kind == Kind.FUSED || st.small != null) && st.out.length == 1 && !st.fresh[0] && first != null
                    && release.get(i).remove(first)) {
                st.reuse = first;
            }
            st.release = release.get(i).stream().mapToInt(Integer::intValue).toArray();
            if (st.kind == Kind.FUSED) {          // its steps' intermediates are the executor's, the last its output
                for (Step m : st.members) {
                    m.fresh = m == st.members[st.members.length - 1] ? st.fresh : new boolean[]{false};
                }
            }
        }
        int[] ext = external.stream().mapToInt(Integer::intValue).toArray();
        INDArray[] constants = new INDArray[ext.length];     // constants are looked up once (trainable ones each call)
        for (int i = 0; i < ext.length; i++) {
            SDVariable v = sd.getVariable(slotNames.get(ext[i]));
            constants[i] = v.getVariableType() == VariableType.CONSTANT ? v.getArr() : null;
        }
        return new Plan(steps, ext, constants);
    }

    /**
     * Groups elementwise steps into fused steps: a region is a step whose result leaves the region (read by another
     * kind of op, or requested) together with the elementwise steps whose results only the region reads (an exact
     * GELU with its bias add; a LayerNorm's standardisation and its gain and bias; rotary's two products and sum;
     * two residual adds). A region runs at its last step's place as one {@link JavaKernels#evaluate} pass, which
     * gives the steps' results bit for bit; its intermediate arrays are never made.
     */
    private static Step[] fuse(Step[] steps, Set<Integer> requested) {
        Map<Integer, Integer> producer = new HashMap<>();
        Map<Integer, List<Integer>> readers = new HashMap<>();
        for (int i = 0; i < steps.length; i++) {
            for (int o : steps[i].out) {
                producer.put(o, i);
            }
            for (int s : steps[i].in) {
                readers.computeIfAbsent(s, k -> new ArrayList<>()).add(i);
            }
        }
        int[] region = new int[steps.length];
        Arrays.fill(region, -1);
        List<List<Integer>> regions = new ArrayList<>();
        for (int root = steps.length - 1; root >= 0; root--) {
            if (!steps[root].elementwise() || region[root] >= 0) {
                continue;
            }
            int r = regions.size();
            List<Integer> members = new ArrayList<>(List.of(root));
            region[root] = r;
            for (boolean grew = true; grew; ) {
                grew = false;
                for (int m = 0; m < members.size(); m++) {
                    for (int s : steps[members.get(m)].in) {
                        Integer p = producer.get(s);
                        if (p != null && region[p] < 0 && steps[p].elementwise() && !requested.contains(s)
                                && readers.get(s).stream().allMatch(c -> region[c] == r)) {
                            region[p] = r;
                            members.add(p);
                            grew = true;
                        }
                    }
                }
            }
            members.sort(null);
            regions.add(members);
        }
        List<Step> fused = new ArrayList<>();
        for (int i = 0; i < steps.length; i++) {
            List<Integer> members = region[i] < 0 ? List.of(i) : regions.get(region[i]);
            if (members.size() == 1) {
                fused.add(steps[i]);
            } else if (members.get(members.size() - 1) == i) {
                fused.add(Step.fused(members.stream().map(m -> steps[m]).toArray(Step[]::new)));
            }
        }
        return fused.toArray(Step[]::new);
    }

    private record PlanKey(List<String> outputs, Set<String> edited) {
    }

    private record Plan(Step[] steps, int[] external, INDArray[] constants) {
    }

    /**
     * EDIT: an identity whose output a call edits (a copy of the input, then the edit). RESHAPE: a reshape run as a
     * view of its input (Java kernels only; an alias like an identity). COMPACT: {@code x · Wᵀ} by a compact weight;
     * COMPACT_GATHER: rows of a compact weight; FUSED: elementwise steps run as one pass (see {@link #fuse}).
     */
    private enum Kind { IDENTITY, EDIT, RESHAPE, MATMUL, CUSTOM, LEGACY, COMPACT, COMPACT_GATHER, FUSED }

    private static final class Step {
        final DifferentialFunction op;
        final Kind kind;
        final int[] in;
        final int[] out;
        final DataType[] outTypes;
        final OpContext oc;
        final boolean transA;
        final boolean transB;
        int[] release;
        boolean[] fresh;
        /**
         * The slot (an array's owner) of an elementwise step's first input if its array dies at this step: the step
         * may then write its result into that array (same shape, an own row-major F32 array, no other input on its
         * memory); if it does not, the executor releases the input after the step. Else -1.
         */
        int reuse = -1;
        /** Set if the op is elementwise and may run in Java (see {@link JavaKernels#kindOf}). */
        private final JavaKernels.Kind small;
        /** Set if the op is a softmax or moments over the last axis, which may run in Java ({@link RowKernels}). */
        private final RowKernels.Kind rowKind;
        /** {@code {from, to}} if the op takes columns of a matrix (then a Java block copy). */
        private final long[] columns;
        /** The axis order of a permute keeping the last axis (then Java block copies), else null. */
        private final int[] permutation;
        /** The axis (0 or 1) of a gather from a matrix (then Java copies), else -1. */
        private final int gatherAxis;
        /**
         * Whether the op's second input is a graph constant: a gather's indices (then their values are read once) or
         * a matmul's weight (then decode-sized products may run in the Java kernel, over a view of it).
         */
        private boolean constantSecond;
        /** Whether the last run of this matmul read the weight's MKL-packed copy (for the profile). */
        private boolean packedRun;
        /** The F32 weight of a MATMUL step as seen by the Java kernel, and the array it views (made on first use). */
        private CompactMatrix weightView;
        private INDArray weightViewed;
        private INDArray lastIndices;
        private long[] lastIndexValues;
        /** A RESHAPE step's copy of an input it cannot view (see {@link #reshape}). */
        private INDArray ownCopy;
        /** The input signature of the last call and the output shapes computed for it. */
        private long[][] lastSignature;
        private List<LongShapeDescriptor> lastShapes;

        /** Whether Java kernels may run (host memory). */
        private final boolean java;
        /** The weight of a COMPACT or COMPACT_GATHER step. */
        private CompactMatrix matrix;
        /** The steps a FUSED step runs, in order (the last one's output is the fused step's). */
        private Step[] members;
        /** A FUSED step's program over its inputs ({@link JavaKernels.Instr} sources). */
        private JavaKernels.Instr[] program;
        /** A FUSED step's evaluations for its last input shapes (see {@link #fusedPlan}). */
        private final FusedPlan[] fusedPlans = new FusedPlan[4];
        private int nextFusedPlan;

        private Step(DifferentialFunction op, Kind kind, int[] in, int[] out, DataType[] outTypes, boolean transA,
                     boolean transB, boolean java) {
            this.java = java;
            this.op = op;
            this.kind = kind;
            this.in = in;
            this.out = out;
            this.outTypes = outTypes;
            this.oc = kind == Kind.IDENTITY || kind == Kind.EDIT || kind == Kind.FUSED ? null
                    : Nd4j.getExecutioner().buildContext();
            this.transA = transA;
            this.transB = transB;
            boolean oneFloat = out.length == 1 && outTypes[0] == DataType.FLOAT && java;
            this.small = oneFloat && (kind == Kind.CUSTOM || kind == Kind.LEGACY) ? JavaKernels.kindOf(op) : null;
            this.columns = oneFloat && kind == Kind.CUSTOM && in.length == 1 ? JavaKernels.columnSlice(op) : null;
            this.rowKind = java && kind == Kind.CUSTOM && Arrays.stream(outTypes).allMatch(t -> t == DataType.FLOAT)
                    ? RowKernels.kindOf(op, in.length, out.length) : null;
            this.permutation = oneFloat && kind == Kind.CUSTOM && in.length == 1 ? JavaKernels.permutation(op) : null;
            this.gatherAxis = oneFloat && kind == Kind.CUSTOM && in.length == 2 ? JavaKernels.gatherAxis(op) : -1;
        }

        static Step of(SameDiffOp sdo, GraphExecutor ex, Set<Integer> edited) {
            DifferentialFunction df = sdo.getOp();
            List<String> ins = sdo.getInputsToOp() == null ? List.of() : sdo.getInputsToOp();
            int[] in = ins.stream().mapToInt(ex::slot).toArray();
            List<String> outs = sdo.getOutputsOfOp();
            int[] out = outs.stream().mapToInt(ex::slot).toArray();
            DataType[] types = outs.stream().map(o -> ex.sd.getVariable(o).dataType()).toArray(DataType[]::new);
            Kind kind;
            boolean ta = false;
            boolean tb = false;
            if (df instanceof Identity) {
                kind = edited.contains(out[0]) ? Kind.EDIT : Kind.IDENTITY;
            } else if (df instanceof Mmul m && in.length == 2) {
                long[] ia = m.iArgs();
                ta = ia.length > 0 && ia[0] != 0;
                tb = ia.length > 1 && ia[1] != 0;
                boolean tr = ia.length > 2 && ia[2] != 0;
                double[] t = m.tArgs();
                boolean plain = t.length < 2 || (t[0] == 1.0 && t[1] == 0.0);
                kind = !tr && plain ? Kind.MATMUL : Kind.CUSTOM;
            } else if (df instanceof DynamicCustomOp) {
                kind = ex.mode == Kernels.JAVA && df.opName().equals("reshape") && out.length == 1 ? Kind.RESHAPE
                        : Kind.CUSTOM;
            } else if (df instanceof Op) {
                kind = Kind.LEGACY;
            } else {
                throw new UnsupportedOperationException("op kind not supported by GraphExecutor: "
                        + df.getClass().getName() + " ('" + df.getOwnName() + "')");
            }
            CompactMatrix w = ins.size() == 2 ? ex.compact.get(ins.get(kind == Kind.MATMUL ? 1 : 0)) : null;
            if (w != null && kind == Kind.MATMUL && tb && !ta) {
                kind = Kind.COMPACT;
            } else if (w != null && df instanceof DynamicCustomOp c && c.opName().equals("gather")
                    && Arrays.equals(c.iArgs(), new long[]{0})) {
                kind = Kind.COMPACT_GATHER;
            } else if (w != null || ins.stream().anyMatch(ex.compact::containsKey)) {
                throw new UnsupportedOperationException("op '" + df.getOwnName() + "' (" + df.opName() + ") uses a "
                        + "compact weight other than as x·Wᵀ or a row gather");
            }
            Step step = new Step(df, kind, in, out, types, ta, tb, ex.mode == Kernels.JAVA);
            step.matrix = w;
            step.constantSecond = ins.size() == 2
                    && ex.sd.getVariable(ins.get(1)).getVariableType() == VariableType.CONSTANT;
            return step;
        }

        /** Whether this step is an elementwise op a FUSED step can take (see {@link JavaKernels#kindOf}). */
        boolean elementwise() {
            if (small == null) {
                return false;
            }
            boolean binary = small == JavaKernels.Kind.ADD || small == JavaKernels.Kind.SUB
                    || small == JavaKernels.Kind.MUL;
            boolean unary = small == JavaKernels.Kind.RSQRT || small == JavaKernels.Kind.ERF;
            return binary ? in.length == 2 : unary ? in.length == 1 : in.length <= 2;
        }

        /** One step running {@code members} (elementwise steps; each but the last read only by later ones). */
        static Step fused(Step[] members) {
            Step last = members[members.length - 1];
            List<Integer> inputs = new ArrayList<>();
            Map<Integer, Integer> register = new HashMap<>();
            JavaKernels.Instr[] program = new JavaKernels.Instr[members.length];
            for (int k = 0; k < members.length; k++) {
                Step m = members[k];
                int[] src = new int[2];
                for (int j = 0; j < 2; j++) {
                    if (j >= m.in.length) {
                        src[j] = JavaKernels.NONE;
                    } else if (register.containsKey(m.in[j])) {
                        src[j] = register.get(m.in[j]);
                    } else {
                        int at = inputs.indexOf(m.in[j]);
                        if (at < 0) {
                            at = inputs.size();
                            inputs.add(m.in[j]);
                        }
                        src[j] = -1 - at;
                    }
                }
                program[k] = JavaKernels.instr(m.small, m.op, src[0], src[1]);
                register.put(m.out[0], k);
            }
            Step f = new Step(last.op, Kind.FUSED, inputs.stream().mapToInt(Integer::intValue).toArray(), last.out,
                    last.outTypes, false, false, true);
            f.members = members;
            f.program = program;
            return f;
        }

        /** The op names of a FUSED step's members, joined by '+'. */
        String fusedName() {
            StringBuilder b = new StringBuilder();
            for (Step m : members) {
                b.append(b.length() == 0 ? "" : "+").append(m.op.opName());
            }
            return b.toString();
        }

        /**
         * A FUSED step: one {@link JavaKernels#evaluate} pass over the output's shape. Results of a smaller shape (a
         * LayerNorm's {@code rsqrt(var + eps)} per row) are computed first, each by itself, and read broadcast. If an
         * input is not an array the Java kernels take, its steps run one after another instead (their intermediates
         * released at once).
         */
        private void runFused(INDArray[] v, GraphExecutor ex, Set<ShapeKey> used) {
            INDArray[] args = new INDArray[in.length];
            for (int i = 0; i < in.length; i++) {
                args[i] = v[in[i]];
            }
            FusedPlan p = fusedPlan(args);
            if (p != null && p.main() != null) {
                INDArray[] all = Arrays.copyOf(args, args.length + p.alone().length);
                for (int k = 0; k < p.alone().length; k++) {
                    INDArray t = floatOutput(p.aloneShapes()[k], ex, used, false);
                    JavaKernels.evaluate(new JavaKernels.Instr[]{p.alone()[k]}, Arrays.copyOf(all, args.length + k), t);
                    all[args.length + k] = t;
                }
                INDArray o = elementwiseOutput(p.shape(), args, ex, used);
                JavaKernels.evaluate(p.main(), all, o);
                for (int k = args.length; k < all.length; k++) {
                    ex.release(all[k]);
                }
                v[out[0]] = o;
                return;
            }
            for (Step m : members) {
                m.run(v, ex, used);
            }
            for (int k = 0; k < members.length - 1; k++) {
                ex.release(v[members[k].out[0]]);
                v[members[k].out[0]] = null;
            }
        }

        /**
         * The evaluation of {@link #program} for these inputs: looked up by their shapes among the last few (prefill
         * and decode shapes alternate), else worked out and kept; null if an input does not suit the Java kernels.
         */
        private FusedPlan fusedPlan(INDArray[] args) {
            for (INDArray a : args) {
                if (!JavaKernels.suits(a)) {
                    return null;
                }
            }
            for (FusedPlan p : fusedPlans) {
                if (p != null && p.matches(args)) {
                    return p;
                }
            }
            long[][] shapes = registerShapes(args);
            if (shapes == null) {
                return null;
            }
            FusedPlan p = planFused(args, shapes);
            fusedPlans[nextFusedPlan] = p;
            nextFusedPlan = (nextFusedPlan + 1) % fusedPlans.length;
            return p;
        }

        /**
         * Splits {@link #program} into the results computed alone (a smaller shape than the output) and the main
         * program; its {@code main} is null if a full-size result feeds a smaller one (then the steps run one by one).
         */
        private FusedPlan planFused(INDArray[] args, long[][] shapes) {
            long[][] argShapes = new long[args.length][];
            for (int i = 0; i < args.length; i++) {
                argShapes[i] = args[i].shape().clone();
            }
            long[] shape = shapes[program.length - 1];
            List<JavaKernels.Instr> main = new ArrayList<>();
            List<JavaKernels.Instr> alone = new ArrayList<>();
            List<long[]> aloneShapes = new ArrayList<>();
            int[] source = new int[program.length];               // where each register's values are read from
            for (int k = 0; k < program.length; k++) {
                JavaKernels.Instr p = program[k];
                boolean small = !Arrays.equals(shapes[k], shape);
                int a = remap(p.a(), source, small);
                int b = p.b() == JavaKernels.NONE ? p.b() : remap(p.b(), source, small);
                if (a == JavaKernels.NONE || b == JavaKernels.NONE && p.b() != JavaKernels.NONE) {
                    return new FusedPlan(argShapes, null, null, null, shape);
                }
                JavaKernels.Instr r = new JavaKernels.Instr(p.kind(), a, b, p.constant());
                if (small) {
                    alone.add(r);
                    aloneShapes.add(shapes[k]);
                    source[k] = -1 - (args.length + alone.size() - 1);
                } else {
                    source[k] = main.size();
                    main.add(r);
                }
            }
            return new FusedPlan(argShapes, alone.toArray(JavaKernels.Instr[]::new),
                    aloneShapes.toArray(long[][]::new), main.toArray(JavaKernels.Instr[]::new), shape);
        }

        /**
         * A program source in the evaluated program: inputs stay, a register is read where it went; a result
         * computed alone cannot read a full-size one ({@link JavaKernels#NONE} then).
         */
        private static int remap(int src, int[] source, boolean alone) {
            if (src < 0) {
                return src;
            }
            return alone && source[src] >= 0 ? JavaKernels.NONE : source[src];
        }

        /** The shape of every register of {@link #program}, or null if an input does not suit the Java kernels. */
        private long[][] registerShapes(INDArray[] args) {
            long[][] shapes = new long[program.length][];
            for (int k = 0; k < program.length; k++) {
                JavaKernels.Instr p = program[k];
                int[] src = p.b() == JavaKernels.NONE ? new int[]{p.a()} : new int[]{p.a(), p.b()};
                INDArray[] operands = new INDArray[src.length];
                long[][] known = new long[src.length][];
                for (int j = 0; j < src.length; j++) {
                    if (src[j] >= 0) {
                        known[j] = shapes[src[j]];
                    } else {
                        operands[j] = args[-1 - src[j]];
                    }
                }
                shapes[k] = JavaKernels.outputShape(p.kind(), operands, known);
                if (shapes[k] == null) {
                    return null;
                }
            }
            return shapes;
        }

        void run(INDArray[] v, GraphExecutor ex, Set<ShapeKey> used) {
            if (kind == Kind.FUSED) {
                runFused(v, ex, used);
                return;
            }
            if (small != null && runSmall(v, ex, used)) {
                return;
            }
            if (rowKind != null && runRows(v, ex, used)) {
                return;
            }
            if (gatherAxis >= 0 && JavaKernels.canGather(v[in[0]], v[in[1]])) {
                INDArray x = v[in[0]];
                INDArray indices = v[in[1]];
                if (!constantSecond || indices != lastIndices) {   // constant indices (rotary) are read once
                    lastIndices = indices;
                    lastIndexValues = indices.toLongVector();
                }
                long[] shape = gatherAxis == 0 ? new long[]{lastIndexValues.length, x.size(1)}
                        : new long[]{x.size(0), lastIndexValues.length};
                INDArray o = floatOutput(shape, ex, used);
                JavaKernels.gather(x, lastIndexValues, gatherAxis, o);
                v[out[0]] = o;
                return;
            }
            if (permutation != null && JavaKernels.canPermute(v[in[0]])) {
                INDArray x = v[in[0]];
                INDArray o = floatOutput(JavaKernels.permutedShape(x, permutation), ex, used);
                JavaKernels.permute(x, permutation, o);
                v[out[0]] = o;
                return;
            }
            if (columns != null && JavaKernels.canSlice(v[in[0]], columns[1])) {
                INDArray x = v[in[0]];
                INDArray o = floatOutput(new long[]{x.size(0), columns[1] - columns[0]}, ex, used);
                JavaKernels.copyColumns(x, columns[0], columns[1], o);
                v[out[0]] = o;
                return;
            }
            switch (kind) {
                case IDENTITY -> v[out[0]] = v[in[0]];
                case EDIT -> {
                    INDArray x = v[in[0]];
                    INDArray o = ex.allocate(LongShapeDescriptor.fromShape(x.shape(), x.dataType()), fresh[0], used);
                    o.assign(x);
                    v[out[0]] = o;
                }
                case RESHAPE -> reshape(v, ex, used);
                case MATMUL -> matmul(v, ex, used);
                case COMPACT -> compactMatmul(v, ex, used);
                case COMPACT_GATHER -> compactGather(v, ex, used);
                case CUSTOM -> custom(v, ex, used);
                case LEGACY -> legacy(v, ex, used);
                default -> throw new AssertionError();
            }
        }

        /**
         * The array an elementwise step writes its result of {@code shape} into: its first input's if it may (see
         * {@link #reuse}), else {@link #floatOutput}. Writing block by block over an input of the output's shape
         * reads each block before writing it, so the result is the same.
         */
        private INDArray elementwiseOutput(long[] shape, INDArray[] args, GraphExecutor ex, Set<ShapeKey> used) {
            INDArray x = args[0];
            boolean mine = reuse >= 0 && !x.isView() && JavaKernels.suits(x) && Arrays.equals(x.shape(), shape);
            for (int i = 1; i < args.length && mine; i++) {
                mine = root(args[i].data()) != root(x.data());
            }
            return mine ? x : floatOutput(shape, ex, used);
        }

        /** An F32 array for this step's (single) output: pooled, or fresh if it is handed to the caller. */
        private INDArray floatOutput(long[] shape, GraphExecutor ex, Set<ShapeKey> used) {
            return floatOutput(shape, ex, used, fresh[0]);
        }

        private static INDArray floatOutput(long[] shape, GraphExecutor ex, Set<ShapeKey> used, boolean fresh) {
            return ex.allocate(LongShapeDescriptor.fromShape(shape, DataType.FLOAT), fresh, used);
        }

        /** Runs the op in Java if its arrays suit the Java kernels ({@link JavaKernels#outputShape}); else false. */
        private boolean runSmall(INDArray[] v, GraphExecutor ex, Set<ShapeKey> used) {
            INDArray[] args = new INDArray[in.length];
            for (int i = 0; i < in.length; i++) {
                args[i] = v[in[i]];
            }
            long[] shape = JavaKernels.outputShape(small, args);
            if (shape == null) {
                return false;
            }
            INDArray o = elementwiseOutput(shape, args, ex, used);
            JavaKernels.run(small, op, args, o);
            v[out[0]] = o;
            return true;
        }

        /** Runs a softmax or moments over the last axis in Java if its input suits {@link RowKernels}; else false. */
        private boolean runRows(INDArray[] v, GraphExecutor ex, Set<ShapeKey> used) {
            INDArray x = v[in[0]];
            if (x.dataType() != DataType.FLOAT || !RowKernels.lastAxis(op, x)) {
                return false;
            }
            if (rowKind == RowKernels.Kind.SOFTMAX) {     // whatever its size: the choice must not depend on the batch
                INDArray o = floatOutput(x.shape(), ex, used);
                RowKernels.softmax(x, o);
                v[out[0]] = o;
                return true;
            }
            long[] shape = RowKernels.momentsShape(x, RowKernels.keepDims(op));
            INDArray mean = floatOutput(shape, ex, used, fresh[0]);
            INDArray variance = floatOutput(shape, ex, used, fresh[1]);
            RowKernels.moments(x, mean, variance);
            v[out[0]] = mean;
            v[out[1]] = variance;
            return true;
        }

        private void matmul(INDArray[] v, GraphExecutor ex, Set<ShapeKey> used) {
            INDArray a = v[in[0]];
            INDArray b = v[in[1]];
            if (java && SmallBatchedMatmul.applies(a, b, transA, transB)) {      // a decode step's attention products
                INDArray c = floatOutput(SmallBatchedMatmul.outputShape(a, b, transB), ex, used);
                SmallBatchedMatmul.run(a, b, transB, c);
                v[out[0]] = c;
                return;
            }
            if (a.rank() != 2 || b.rank() != 2) {
                // Batched (rank > 2) matmul: let the custom op handle broadcasting.
                runCustom((DynamicCustomOp) op, oc, v, ex, used);
                return;
            }
            long m = transA ? a.size(1) : a.size(0);
            long n = transB ? b.size(0) : b.size(1);
            boolean byWeight = constantSecond && transB && !transA;         // x·Wᵀ by a constant weight
            MklGemm.Packed packedWeight = byWeight && ex.packed != null && ex.kernels.packed(m) ? ex.packed.get(b)
                    : null;
            packedRun = packedWeight != null && MklGemm.acceptsInput(a, packedWeight);
            if (!packedRun && java && byWeight && ex.kernels.javaDecode(m)) {
                CompactMatrix w = weightView(b);
                if (w != null) {        // x·Wᵀ of a decode step: the Java kernel streams W once (BLAS is slow there)
                    v[out[0]] = javaProduct(w, a, ex, used);
                    return;
                }
            }
            INDArray c = ex.allocate(LongShapeDescriptor.fromShape(new long[]{m, n}, outTypes[0]), fresh[0], used);
            if (packedRun && MklGemm.accepts(a, packedWeight, c)) {     // by the weight's MKL-packed copy
                MklGemm.multiply(a, packedWeight, c);
                v[out[0]] = c;
                return;
            }
            packedRun = false;
            MatmulKernels.Choice k = ex.kernels.choose(m, transA ? a.size(0) : a.size(1), n, transA, transB);
            long t0 = k.timed() ? System.nanoTime() : 0;
            if (k.kernel() == MatmulKernels.Kernel.BLAS) {
                Nd4j.gemm(a, b, c, transA, transB, 1.0, 0.0);
            } else if (k.kernel() == MatmulKernels.Kernel.BLAS_TRANSPOSED) {
                // cᵀ = op(b)ᵀ · op(a)ᵀ, then copied back transposed
                INDArray t = ex.allocate(LongShapeDescriptor.fromShape(new long[]{n, m}, outTypes[0]), false, used);
                Nd4j.gemm(b, a, t, !transB, !transA, 1.0, 0.0);
                c.assign(t.transpose());
                ex.release(t);
            } else {
                oc.setInputArray(0, a);
                oc.setInputArray(1, b);
                oc.setOutputArray(0, c);
                oc.setIArguments(transA ? 1 : 0, transB ? 1 : 0, 0);
                oc.setTArguments(1.0, 0.0);
                Nd4j.exec((DynamicCustomOp) op, oc);
            }
            if (k.timed()) {
                k.record(System.nanoTime() - t0);
            }
            v[out[0]] = c;
        }

        /**
         * The F32 weight {@code b} ({@code [out, in]}, C order, not a view) as a {@link CompactMatrix} view for the
         * Java kernel, or null if it is not laid out so or not F32.
         */
        private CompactMatrix weightView(INDArray b) {
            if (b != weightViewed) {
                boolean plain = b.dataType() == DataType.FLOAT && !b.isView() && b.offset() == 0 && b.ordering() == 'c'
                        && Shape.hasDefaultStridesForShape(b) && b.length() < Integer.MAX_VALUE;
                weightView = plain ? CompactMatrix.viewF32(op.getOwnName(), b.data().asNioFloat(),
                        Math.toIntExact(b.size(0)), Math.toIntExact(b.size(1))) : null;
                weightViewed = b;
            }
            return weightView;
        }

        /** {@code y[rows, out] = x[rows, in] · Wᵀ} by the compact weight. */
        private void compactMatmul(INDArray[] v, GraphExecutor ex, Set<ShapeKey> used) {
            INDArray x = v[in[0]];
            if (x.rank() != 2 || x.size(1) != matrix.inFeatures() || x.dataType() != DataType.FLOAT) {
                throw new IllegalArgumentException("input " + x.dataType() + Arrays.toString(x.shape())
                        + " does not match " + matrix);
            }
            if (java) {
                v[out[0]] = javaProduct(matrix, x, ex, used);
                return;
            }
            // another backend: through host arrays and ND4J's own copies
            int rows = Math.toIntExact(x.size(0));
            INDArray y = floatOutput(new long[]{rows, matrix.outFeatures()}, ex, used);
            float[] yh = new float[rows * matrix.outFeatures()];
            INDArray xc = x.dup('c');
            matrix.matmul(xc.data().asFloat(), 0, rows, yh, 0);
            xc.close();
            try (INDArray host = Nd4j.create(yh, y.shape(), 'c')) {
                y.assign(host);
            }
            v[out[0]] = y;
        }

        /** {@code x[rows, in] · Wᵀ} (F32 x, any layout) by the Java kernel, into this step's output array. */
        private INDArray javaProduct(CompactMatrix w, INDArray x, GraphExecutor ex, Set<ShapeKey> used) {
            if (x.dataType() != DataType.FLOAT || x.rank() != 2 || x.size(1) != w.inFeatures()) {
                throw new IllegalArgumentException("input " + x.dataType() + Arrays.toString(x.shape())
                        + " does not match " + w);
            }
            int rows = Math.toIntExact(x.size(0));
            INDArray y = floatOutput(new long[]{rows, w.outFeatures()}, ex, used);
            INDArray xc = !x.isView() && x.offset() == 0 && x.ordering() == 'c' && Shape.hasDefaultStridesForShape(x)
                    ? x : x.dup('c');
            CompactKernels.shared().matmul(w, xc.data().asNioFloat(), rows, y.data().asNioFloat());
            if (xc != x) {
                xc.close();
            }
            return y;
        }

        /** Rows {@code indices} of the compact weight, decoded to F32. */
        private void compactGather(INDArray[] v, GraphExecutor ex, Set<ShapeKey> used) {
            if (v[in[1]].rank() != 1) {
                throw new IllegalArgumentException("indices " + Arrays.toString(v[in[1]].shape()) + " into " + matrix
                        + ": expected a vector");
            }
            long[] indices = v[in[1]].toLongVector();
            int width = matrix.inFeatures();
            float[] rows = new float[indices.length * width];
            for (int i = 0; i < indices.length; i++) {
                if (indices[i] < 0 || indices[i] >= matrix.outFeatures()) {
                    throw new IndexOutOfBoundsException("row " + indices[i] + " of " + matrix);
                }
                matrix.decodeRow((int) indices[i], rows, i * width);
            }
            INDArray o = floatOutput(new long[]{indices.length, width}, ex, used);
            if (java) {
                o.data().asNioFloat().put(0, rows);
            } else {
                try (INDArray host = Nd4j.create(rows, o.shape(), 'c')) {
                    o.assign(host);
                }
            }
            v[out[0]] = o;
        }

        private void custom(INDArray[] v, GraphExecutor ex, Set<ShapeKey> used) {
            runCustom((DynamicCustomOp) op, oc, v, ex, used);
        }

        /**
         * A reshape: a view of its input if that is row-major from its buffer's start (its readers then read the
         * input's buffer, which the plan keeps alive as for an identity), else a copy into this step's own array (or
         * a fresh one if handed to the caller).
         */
        private void reshape(INDArray[] v, GraphExecutor ex, Set<ShapeKey> used) {
            DynamicCustomOp c = (DynamicCustomOp) op;
            INDArray x = v[in[0]];
            boolean own = !x.isEmpty() && x.offset() == 0 && x.ordering() == 'c'
                    && Shape.hasDefaultStridesForShape(x) && x.dataType() == outTypes[0];
            long[] target = own ? reshapeTarget(x, v) : null;
            LongShapeDescriptor d = target == null ? outputShapes(c, oc, v).get(0) : null;
            if (own) {
                v[out[0]] = x.reshape('c', target != null ? target : d.getShape());
                return;
            }
            INDArray o;
            if (fresh[0]) {
                o = ex.allocate(d, true, used);
            } else {
                if (ownCopy == null || !Arrays.equals(ownCopy.shape(), d.getShape())
                        || ownCopy.dataType() != d.dataType()) {
                    if (ownCopy != null) {
                        ownCopy.close();
                    }
                    ownCopy = Nd4j.createUninitialized(d.dataType(), d.getShape(), 'c');
                }
                o = ownCopy;
            }
            oc.setOutputArray(0, o);
            Nd4j.exec(c, oc);
            v[out[0]] = o;
        }

        /**
         * A reshape's target shape when given as an integer vector input (one −1 resolved from {@code x}'s length),
         * or null (then libnd4j's shape function says, a native call).
         */
        private long[] reshapeTarget(INDArray x, INDArray[] v) {
            INDArray spec = in.length == 2 ? v[in[1]] : null;
            if (spec == null || spec.rank() != 1 || spec.isEmpty() || !spec.dataType().isIntType()) {
                return null;
            }
            long[] shape = spec.toLongVector();
            long known = 1;
            int free = -1;
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] == -1 && free < 0) {
                    free = i;
                } else if (shape[i] < 0) {
                    return null;
                } else {
                    known *= shape[i];
                }
            }
            if (free >= 0 && known > 0 && x.length() % known == 0) {
                shape[free] = x.length() / known;
                known = x.length();
            }
            return known == x.length() ? shape : null;
        }

        private void runCustom(DynamicCustomOp c, OpContext ctx, INDArray[] v, GraphExecutor ex, Set<ShapeKey> used) {
            List<LongShapeDescriptor> shapes = outputShapes(c, ctx, v);
            if (shapes.size() != out.length) {
                throw new IllegalStateException(shapes.size() + " output shapes for " + out.length + " outputs");
            }
            for (int i = 0; i < out.length; i++) {
                LongShapeDescriptor d = shapes.get(i);
                if (d.dataType() != outTypes[i]) {
                    d = d.asDataType(outTypes[i]);
                }
                INDArray o = ex.allocate(d, fresh[i], used);
                ctx.setOutputArray(i, o);
                v[out[i]] = o;
            }
            Nd4j.exec(c, ctx);
        }

        /** Sets the op's inputs in {@code ctx} and returns its output shapes (kept for the last input signature). */
        private List<LongShapeDescriptor> outputShapes(DynamicCustomOp c, OpContext ctx, INDArray[] v) {
            INDArray[] args = new INDArray[in.length];
            for (int i = 0; i < in.length; i++) {
                args[i] = v[in[i]];
            }
            ctx.setArgs(args, c.iArgs(), c.dArgs(), c.tArgs(), c.bArgs());
            long[][] signature = signature(args);
            if (!Arrays.deepEquals(signature, lastSignature)) {
                lastShapes = c.calculateOutputShape(ctx);
                lastSignature = signature;            // same input shapes (and small int values): same outputs
            }
            return lastShapes;
        }

        /**
         * What an op's output shapes may depend on: each input's type and shape and, for small integer inputs
         * (shape vectors, axes), its values.
         */
        private static long[][] signature(INDArray[] args) {
            long[][] sig = new long[args.length][];
            for (int i = 0; i < args.length; i++) {
                INDArray a = args[i];
                long[] shape = a.shape();
                boolean values = a.dataType().isIntType() && a.length() <= 16 && !a.isEmpty();
                long[] vals = new long[values ? (int) a.length() : 0];
                for (int j = 0; j < vals.length; j++) {
                    vals[j] = a.getLong(j);
                }
                long[] k = new long[2 + shape.length + vals.length];
                k[0] = a.dataType().ordinal();
                k[1] = shape.length;
                System.arraycopy(shape, 0, k, 2, shape.length);
                System.arraycopy(vals, 0, k, 2 + shape.length, vals.length);
                sig[i] = k;
            }
            return sig;
        }

        private void legacy(INDArray[] v, GraphExecutor ex, Set<ShapeKey> used) {
            Op o = (Op) op;
            INDArray x = v[in[0]];
            boolean axisArg = false;
            if (o instanceof ReduceOp r && r.getOpType() != Op.Type.REDUCE3 && in.length == 2) {
                INDArray axes = v[in[1]];
                if (axes.isEmpty()) {
                    throw new UnsupportedOperationException("empty-axis reduction in '" + op.getOwnName() + "'");
                }
                op.setDimensions(Shape.normalizeAxis(x.rank(), axes.toIntVector()));
                axisArg = true;
            } else if (o instanceof ScalarOp s && in.length == 2) {
                s.setScalar(v[in[1]]);
            }
            oc.setInputArray(0, x);
            if (in.length == 2 && !axisArg) {
                oc.setInputArray(1, v[in[1]]);
            }
            List<LongShapeDescriptor> shapes = ((org.nd4j.linalg.api.ops.BaseOp) o).calculateOutputShape(oc);
            INDArray z = ex.allocate(shapes.get(0), fresh[0], used);
            oc.setOutputArray(0, z);
            Nd4j.exec(o, oc);
            v[out[0]] = z;
        }

        /** Whether one of this step's outputs has a destination. */
        boolean writesInto(INDArray[] dest) {
            for (int o : out) {
                if (dest[o] != null) {
                    return true;
                }
            }
            return false;
        }

        /** Runs the step with its outputs written into their destinations (see {@link GraphExecutor#output}). */
        void runInto(INDArray[] v, INDArray[] dest, GraphExecutor ex, Set<ShapeKey> used) {
            if (op instanceof Concat c && out.length == 1 && c.iArgs().length == 1 && in.length >= 1) {
                concatInto(v, dest[out[0]], (int) c.iArgs()[0], ex.slotNames.get(out[0]));
                return;
            }
            run(v, ex, used);
            for (int o : out) {
                INDArray d = dest[o];
                if (d != null) {
                    INDArray r = v[o];
                    check(d, r.shape(), r.dataType(), ex.slotNames.get(o));
                    d.assign(r);
                    v[o] = d;
                    if (kind != Kind.IDENTITY && kind != Kind.RESHAPE) {
                        ex.release(r);
                    }
                }
            }
        }

        /** Concatenation into {@code d}: each input into its slice along {@code axis}, unless already there. */
        private void concatInto(INDArray[] v, INDArray d, int axis, String name) {
            INDArray first = v[in[0]];
            int rank = first.rank();
            axis = axis < 0 ? axis + rank : axis;
            long[] shape = first.shape().clone();
            shape[axis] = 0;
            for (int i : in) {
                shape[axis] += v[i].size(axis);
            }
            check(d, shape, outTypes[0], name);
            long at = 0;
            for (int i : in) {
                INDArray a = v[i];
                long n = a.size(axis);
                if (n > 0) {
                    INDArrayIndex[] idx = new INDArrayIndex[rank];
                    Arrays.setAll(idx, j -> NDArrayIndex.all());
                    idx[axis] = NDArrayIndex.interval(at, at + n);
                    INDArray part = n == shape[axis] ? d : d.get(idx);
                    boolean there = sameMemory(a, part);
                    if (!there && java && JavaKernels.canCopyRows(a, part)) {
                        JavaKernels.copyRows(a, part);
                    } else if (!there) {
                        part.assign(a);
                    }
                }
                at += n;
            }
            v[out[0]] = d;
        }

        private void check(INDArray d, long[] shape, DataType type, String name) {
            if (!Arrays.equals(d.shape(), shape) || d.dataType() != type) {
                throw new IllegalArgumentException("destination of '" + name + "' is "
                        + d.dataType() + Arrays.toString(d.shape()) + ", the output is " + type
                        + Arrays.toString(shape));
            }
        }
    }

    /**
     * How a FUSED step evaluates inputs of {@code argShapes}: the instructions {@code alone} (results of the smaller
     * {@code aloneShapes}, input {@code args.length + k} of what follows), then {@code main} into {@code shape}; a
     * null {@code main} runs the steps one by one.
     */
    private record FusedPlan(long[][] argShapes, JavaKernels.Instr[] alone, long[][] aloneShapes,
                             JavaKernels.Instr[] main, long[] shape) {
        boolean matches(INDArray[] args) {
            for (int i = 0; i < args.length; i++) {
                if (!Arrays.equals(args[i].shape(), argShapes[i])) {
                    return false;
                }
            }
            return true;
        }
    }

    private record ShapeKey(DataType type, long[] shape, char order) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ShapeKey k && k.type == type && k.order == order && Arrays.equals(k.shape, shape);
        }

        @Override
        public int hashCode() {
            return (type.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + order;
        }
    }
}
