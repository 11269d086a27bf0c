package dev.steering.model;

import dev.steering.model.compact.CompactKernels;
import java.lang.reflect.Field;
import java.nio.FloatBuffer;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.ScalarOp;

/**
 * Kernels the executor runs in Java on the arrays' memory instead of through libnd4j, where a call costs ~40-70 µs
 * of fixed overhead (argument packing, op lookup, validation) and some kernels are generic and slow. A decode step
 * runs ~300 adds, multiplies, scalar ops and rsqrts on arrays of a few thousand floats: here a few µs each.
 *
 * <p>Covers {@code add}, {@code subtract}, {@code multiply} with NumPy broadcasting (rank ≤ 4), the scalar ops
 * {@code add_scalar}, {@code sub_scalar}, {@code mul_scalar}, {@code rsqrt} and {@code erf} on row-major contiguous
 * F32 arrays of any size ({@link #outputShape} returns null for anything not covered and the caller runs the native
 * op); column slices and gathers of matrices (block copies). Add, subtract and multiply are exact IEEE operations,
 * so results equal libnd4j's bit for bit; {@code rsqrt} is rounded from double precision (within 1 ulp of
 * libnd4j's), {@code erf} is an F32 formula within 2.9·10⁻⁷ (see {@link #erf(float)}). The loops run block by
 * block over Java arrays, which the JIT vectorises, and large arrays are split over the cores; every element's result is independent of the split, so runs reproduce bit for bit.
 */
final class JavaKernels {
    /** Arrays of at least this many elements are split over the cores. */
    private static final long PARALLEL_MIN = 1 << 15;
    private static final int CORES = Runtime.getRuntime().availableProcessors();
    /** Shares per core of a large elementwise pass, claimed one at a time (see {@link CompactKernels#shares}). */
    private static final int SHARES_PER_CORE = 4;
    private static final sun.misc.Unsafe U = unsafe();

    private JavaKernels() {
    }

    /** The kind of op, or null if not covered. */
    enum Kind { ADD, SUB, MUL, ADD_SCALAR, SUB_SCALAR, MUL_SCALAR, RSQRT, ERF }

    /** The kind of {@code op}, or null. */
    static Kind kindOf(DifferentialFunction op) {
        if (U == null) {
            return null;
        }
        return switch (op.opName()) {
            case "add" -> Kind.ADD;
            case "subtract" -> Kind.SUB;
            case "multiply" -> Kind.MUL;
            case "add_scalar" -> Kind.ADD_SCALAR;
            case "sub_scalar" -> Kind.SUB_SCALAR;
            case "mul_scalar" -> Kind.MUL_SCALAR;
            case "rsqrt" -> Kind.RSQRT;
            case "erf" -> Kind.ERF;
            default -> null;
        };
    }

    /** The result shape if this call can run here (inputs F32, own row-major arrays, broadcastable), else null. */
    static long[] outputShape(Kind kind, INDArray[] in) {
        return outputShape(kind, in, new long[in.length][]);
    }

    /**
     * As {@link #outputShape(Kind, INDArray[])} for an op of a program: operand {@code j} is {@code in[j]}, or, if
     * {@code known[j]} is set, an earlier result of that shape.
     */
    static long[] outputShape(Kind kind, INDArray[] in, long[][] known) {
        long[][] shapes = new long[in.length][];
        for (int j = 0; j < in.length; j++) {
            INDArray a = in[j];
            if (known[j] != null) {
                shapes[j] = known[j];
            } else if (!suits(a)) {
                return null;
            } else {
                shapes[j] = a.shape();
            }
        }
        if (kind == Kind.ADD || kind == Kind.SUB || kind == Kind.MUL) {
            return in.length == 2 ? broadcastShape(shapes[0], shapes[1]) : null;
        }
        if (in.length > 2 || (in.length == 2 && java.util.Arrays.stream(shapes[1]).reduce(1, (x, y) -> x * y) != 1)) {
            return null;
        }
        return shapes[0];
    }

    /** Whether an elementwise program can read {@code a}: F32, non-empty, rank ≤ 4, row-major from offset 0. */
    static boolean suits(INDArray a) {
        return a.dataType() == DataType.FLOAT && !a.isEmpty() && a.rank() <= 4 && contiguous(a);
    }

    /**
     * Computes {@code kind} of {@code in} into {@code out} (of {@link #outputShape}'s shape, row-major, contiguous).
     *
     * @param op the op (for a scalar op's own scalar when it has no scalar input)
     */
    static void run(Kind kind, DifferentialFunction op, INDArray[] in, INDArray out) {
        evaluate(new Instr[]{instr(kind, op, -1, in.length == 2 ? -2 : NONE)}, in, out);
    }

    /** No second source (a unary op, or a scalar op whose scalar is the op's own). */
    static final int NONE = Integer.MIN_VALUE;

    /**
     * One op of an elementwise program (see {@link #evaluate}): its kind and sources. A source {@code r ≥ 0} is
     * the result of instruction {@code r}, {@code −1 − i} is input array {@code i}; {@code b} is {@link #NONE} for
     * a unary op and for a scalar op without a scalar input, which then uses {@code constant}.
     */
    record Instr(Kind kind, int a, int b, float constant) {
    }

    /** The instruction for {@code op} of {@code kind} reading sources {@code a} and {@code b}. */
    static Instr instr(Kind kind, DifferentialFunction op, int a, int b) {
        boolean scalarOp = kind == Kind.ADD_SCALAR || kind == Kind.SUB_SCALAR || kind == Kind.MUL_SCALAR;
        float constant = scalarOp && b == NONE ? ((ScalarOp) op).scalar().getFloat(0) : 0f;
        return new Instr(kind, a, b, constant);
    }

    /** Elements per block of {@link #evaluate}: scratch arrays that stay in the core's caches. */
    private static final int BLOCK = 1024;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[0][]);
    /** Per thread: two row buffers of {@link #gather} (rows wider than a block). */
    private static final ThreadLocal<float[][]> ROW_SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    /**
     * Runs an elementwise program: instruction {@code k} computes register {@code k} from inputs and earlier
     * registers, every register of {@code out}'s shape (inputs broadcast to it, NumPy style: padded to rank 4,
     * broadcast axes read with stride 0), and the last register is written to {@code out}. The output is computed
     * block by block through Java arrays, so the loops vectorise and a chain of ops reads and writes memory once;
     * every instruction rounds to F32 exactly as the op alone does, so a program gives bit for bit what its ops give
     * one after another, whatever the blocking or the split over the cores. The inputs must be contiguous row-major
     * F32 arrays (see {@link #outputShape}); a scalar source has one element.
     */
    static void evaluate(Instr[] program, INDArray[] inputs, INDArray out) {
        checkBounds(inputs);
        checkBounds(out);
        long[] o = pad(out.shape());
        long total = out.length();
        boolean[] read = new boolean[inputs.length];          // the inputs the program reads
        for (Instr p : program) {
            for (int src : new int[]{p.a, p.b}) {
                if (src < 0 && src != NONE) {
                    read[-1 - src] = true;
                }
            }
        }
        // every input is the whole output or one value: one long row
        boolean whole = true;
        for (INDArray in : inputs) {
            whole &= in.length() == total || in.length() == 1;
        }
        boolean flat = whole;
        long rows = flat ? 1 : o[0] * o[1] * o[2];
        long inner = flat ? total : o[3];
        long[][] st = new long[inputs.length][];
        FloatBuffer[] buf = new FloatBuffer[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            st[i] = inputs[i].length() == 1 ? new long[4] : strides(inputs[i].shape(), o);
            buf[i] = inputs[i].data().asNioFloat();
        }
        FloatBuffer fz = out.data().asNioFloat();
        long blocks = (inner + BLOCK - 1) / BLOCK;
        inChunks(rows * blocks, Math.min(inner, BLOCK), (from, to) -> {
            float[][] t = scratch(inputs.length + program.length);
            for (long u = from; u < to; u++) {
                long row = u / blocks;
                long start = u % blocks * BLOCK;
                int n = (int) Math.min(BLOCK, inner - start);
                long i2 = row % o[2];
                long i1 = row / o[2] % o[1];
                long i0 = row / (o[2] * o[1]);
                for (int i = 0; i < inputs.length; i++) {
                    if (!read[i]) {
                        continue;
                    }
                    long[] s = st[i];
                    long at = i0 * s[0] + i1 * s[1] + i2 * s[2];
                    if (flat ? inputs[i].length() == 1 : s[3] == 0) {
                        java.util.Arrays.fill(t[i], 0, n, buf[i].get(Math.toIntExact(at)));
                    } else {
                        buf[i].get(Math.toIntExact(at + start), t[i], 0, n);
                    }
                }
                for (int k = 0; k < program.length; k++) {
                    Instr p = program[k];
                    float[] x = source(t, inputs.length, p.a);
                    float[] r = t[inputs.length + k];
                    if (p.b != NONE) {
                        apply(p.kind, x, source(t, inputs.length, p.b), r, n);
                    } else if (p.kind == Kind.RSQRT || p.kind == Kind.ERF) {
                        apply(p.kind, x, null, r, n);
                    } else {
                        apply(p.kind, x, p.constant, r, n);     // a scalar op's own constant
                    }
                }
                fz.put(Math.toIntExact(row * inner + start), t[inputs.length + program.length - 1], 0, n);
            }
        });
    }

    private static float[] source(float[][] t, int inputs, int s) {
        return s >= 0 ? t[inputs + s] : t[-1 - s];
    }

    /** This thread's row buffer {@code slot} (0 or 1) of at least {@code n} floats, grown as needed and kept. */
    private static float[] rowScratch(int slot, int n) {
        float[][] t = ROW_SCRATCH.get();
        if (t[slot].length < n) {
            t[slot] = new float[n];
        }
        return t[slot];
    }

    /** This thread's {@code count} scratch blocks. */
    private static float[][] scratch(int count) {
        float[][] t = SCRATCH.get();
        if (t.length < count) {
            t = new float[count][BLOCK];
            SCRATCH.set(t);
        }
        return t;
    }

    /** {@code r = x ⊕ y} (or {@code f(x)}) on {@code n} elements. */
    private static void apply(Kind kind, float[] x, float[] y, float[] r, int n) {
        switch (kind) {
            case ADD, ADD_SCALAR -> {
                for (int j = 0; j < n; j++) {
                    r[j] = x[j] + y[j];
                }
            }
            case SUB, SUB_SCALAR -> {
                for (int j = 0; j < n; j++) {
                    r[j] = x[j] - y[j];
                }
            }
            case MUL, MUL_SCALAR -> {
                for (int j = 0; j < n; j++) {
                    r[j] = x[j] * y[j];
                }
            }
            case RSQRT -> {
                for (int j = 0; j < n; j++) {
                    r[j] = (float) (1.0 / Math.sqrt(x[j]));
                }
            }
            case ERF -> erf(x, r, n);
            default -> throw new AssertionError(kind);
        }
    }

    /** {@code r = x ⊕ c} on {@code n} elements, for a scalar op's own constant (the same roundings as a block of c). */
    private static void apply(Kind kind, float[] x, float c, float[] r, int n) {
        switch (kind) {
            case ADD_SCALAR -> {
                for (int j = 0; j < n; j++) {
                    r[j] = x[j] + c;
                }
            }
            case SUB_SCALAR -> {
                for (int j = 0; j < n; j++) {
                    r[j] = x[j] - c;
                }
            }
            case MUL_SCALAR -> {
                for (int j = 0; j < n; j++) {
                    r[j] = x[j] * c;
                }
            }
            default -> throw new AssertionError(kind);
        }
    }

    /** Where {@link #erf(float)} clamps its argument: beyond it F32's erf is ±1. */
    static final float ERF_CLAMP = 3.92f;
    /** Where {@link #erf(float)} switches from the rational to the tail form. */
    static final float ERF_TAIL = 2f;
    /** 2²⁴: times a nonzero F32 difference from 2 (at least 2⁻²²) or an |x| ≥ 2, at least 1 (clamped: a step). */
    static final float ERF_STEP = 16777216f;
    // coefficients from src/test/scripts/erf_fit.py
    static final float P0 = 1.1283791793182294f;
    static final float P1 = 0.10255044546454434f;
    static final float P2 = 0.03473351549430211f;
    static final float P3 = -0.0002809329708339703f;
    static final float P4 = 2.5186952735130737e-05f;
    static final float Q1 = 0.4242167492913316f;
    static final float Q2 = 0.07218431536017211f;
    static final float Q3 = 0.0052083068867582885f;
    static final float R0 = 1.0828066778906438f;
    static final float R1 = -0.1292565897070581f;
    static final float R2 = 0.24417611265474276f;
    static final float R3 = -0.1006309769368917f;
    static final float R4 = 0.034363345930150335f;
    static final float R5 = -0.005548474523220324f;
    static final float R6 = 0.0004712549333347905f;

    /**
     * {@code erf(v)} in F32 without exp, so that a loop of it vectorises: for {@code |x| < 2}
     * {@code x·P(x²)/Q(x²)}, else {@code sign(x)·(1 − R(|x|)⁻¹⁶)} (x = v clamped to ±3.92; fits by
     * {@code src/test/scripts/erf_fit.py}). Both forms are computed and one is selected arithmetically (a weight of
     * exactly 0 or 1, see {@link #ERF_STEP}) before their one shared division; multiplies and adds only, no FMA, so the
     * bits are the same on any JVM. Absolute error ≤ 2.9·10⁻⁷ below 2, ≤ 8·10⁻⁸ from 2 on (where GELU's
     * {@code x·erf} needs it most); Abramowitz and Stegun 7.1.28 in double, used before, is within 3·10⁻⁷, and
     * PyTorch's vectorised erf (A&S 7.1.26) within 1.5·10⁻⁷ before rounding. Odd: ±0, ±∞ → ±1, NaN → NaN.
     */
    static float erf(float v) {
        float[] r = new float[1];
        erfScalar(new float[]{v}, r, 0, 1);
        return r[0];
    }

    /** Two blocks per thread for {@link #erf(float[], float[], int)}. */
    private static final ThreadLocal<float[][]> ERF_SCRATCH = ThreadLocal.withInitial(() -> new float[2][BLOCK]);

    /** {@link #erf(float)} of a block: {@code out[i] = erf(x[i])} for {@code i < n ≤} {@link #BLOCK}. */
    interface ErfBlock {
        void erf(float[] x, float[] out, int n);
    }

    /** The Vector API block loop when the vector kernels are loaded, else the scalar loops (the same bits). */
    private static final ErfBlock ERF = chooseErf();

    private static ErfBlock chooseErf() {
        return vectorOr(ErfBlock.class, "VectorErf", (x, out, n) -> erfScalar(x, out, 0, n));
    }

    /**
     * A new instance of this package's Vector API loop class {@code className} when the compact kernels run on the
     * Vector API ({@link CompactKernels#vectorized}), else, or if it cannot be loaded, {@code scalar} (every such
     * class gives its scalar loops' bits).
     */
    static <T> T vectorOr(Class<T> type, String className, T scalar) {
        if (!CompactKernels.vectorApiAvailable() || !CompactKernels.shared().vectorized()) {
            return scalar;
        }
        try {
            return type.cast(Class.forName(JavaKernels.class.getPackageName() + "." + className)
                    .getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            return scalar;
        }
    }

    /** {@link #erf(float)} of {@code x[0 … n−1]} ({@code n ≤} {@link #BLOCK}) into {@code out}. */
    private static void erf(float[] xs, float[] out, int n) {
        ERF.erf(xs, out, n);
    }

    /**
     * {@link #erf(float)} of {@code x[from … n−1]} into {@code out}, in three loops (the scalar reference, and the
     * vector loop's tail).
     */
    static void erfScalar(float[] xs, float[] out, int from, int n) {
        float[][] scratch = ERF_SCRATCH.get();
        float[] num = scratch[0];
        float[] tail = scratch[1];
        for (int i = from; i < n; i++) {                                   // x·P(x²) and Q(x²), in num and out
            float x = Math.max(-ERF_CLAMP, Math.min(ERF_CLAMP, xs[i]));
            float t = x * x;
            num[i] = x * (P0 + t * (P1 + t * (P2 + t * (P3 + t * P4))));
            out[i] = 1f + t * (Q1 + t * (Q2 + t * Q3));
        }
        for (int i = from; i < n; i++) {                                // R(|x|)¹⁶
            float a = Math.min(ERF_CLAMP, Math.abs(xs[i]));
            float r = R0 + a * (R1 + a * (R2 + a * (R3 + a * (R4 + a * (R5 + a * R6)))));
            float r2 = r * r;
            float r4 = r2 * r2;
            float r8 = r4 * r4;
            tail[i] = r8 * r8;
        }
        for (int i = from; i < n; i++) {                                // select, then the one division
            float x = xs[i];
            float sign = Math.max(-1f, Math.min(1f, x * ERF_STEP));         // ±1 where the tail form is taken
            float w = Math.max(0f, Math.min(1f, (Math.abs(x) - ERF_TAIL) * ERF_STEP));
            float r16 = tail[i];
            out[i] = (num[i] * (1f - w) + (r16 - 1f) * sign * w) / (out[i] * (1f - w) + r16 * w);
        }
    }

    /** A range {@code [from, to)} of rows. */
    interface Rows {
        void run(long from, long to);
    }

    /**
     * Runs {@code rows} rows of {@code width} elements: inline for small arrays, else in one chunk per core (the
     * native threads are idle meanwhile), on the threads of {@link CompactKernels#shares}.
     */
    static void inChunks(long rows, long width, Rows body) {
        long chunks = Math.max(1, Math.min(SHARES_PER_CORE * CORES, rows * width / PARALLEL_MIN));
        if (chunks == 1) {
            body.run(0, rows);
            return;
        }
        CompactKernels.shared().shares((int) chunks, c -> body.run(rows * c / chunks, rows * (c + 1) / chunks));
    }

    /** Element strides of a row-major array of {@code shape} read as the rank-4 {@code out} (0 on broadcast axes). */
    private static long[] strides(long[] shape, long[] out) {
        long[] s = pad(shape);
        long[] st = new long[4];
        long stride = 1;
        for (int i = 3; i >= 0; i--) {
            st[i] = s[i] == 1 && out[i] != 1 ? 0 : stride;
            stride *= s[i];
        }
        return st;
    }

    private static long[] pad(long[] shape) {
        long[] p = {1, 1, 1, 1};
        System.arraycopy(shape, 0, p, 4 - shape.length, shape.length);
        return p;
    }

    /** NumPy's broadcast of two shapes of rank ≤ 4 (right-aligned; an axis of 1 stretches), or null if they clash. */
    private static long[] broadcastShape(long[] a, long[] b) {
        long[] pa = pad(a);
        long[] pb = pad(b);
        long[] o = new long[Math.max(a.length, b.length)];
        for (int i = 0; i < o.length; i++) {
            long x = pa[4 - o.length + i];
            long y = pb[4 - o.length + i];
            if (x != y && x != 1 && y != 1) {
                return null;
            }
            o[i] = x == 1 ? y : x;
        }
        return o;
    }

    /**
     * For a {@code strided_slice} that takes columns {@code [from, to)} of a matrix ({@code x[:, from:to]}, what
     * {@link Ops#columns} builds), {@code {from, to}}; else null.
     */
    static long[] columnSlice(DifferentialFunction op) {
        if (U == null || !op.opName().equals("strided_slice") || !(op instanceof DynamicCustomOp c)) {
            return null;
        }
        long[] a = c.iArgs();
        // masks (begin, ellipsis, end, new axis, shrink), then begin, end and strides per axis
        boolean columns = a.length == 11 && a[0] == 1 && a[1] == 0 && a[2] == 1 && a[3] == 0 && a[4] == 0
                && a[9] == 1 && a[10] == 1 && a[6] >= 0 && a[8] > a[6];
        return columns ? new long[]{a[6], a[8]} : null;
    }

    /** For a {@code gather} along axis 0 or 1 (given as its integer argument), the axis; else -1. */
    static int gatherAxis(DifferentialFunction op) {
        if (U == null || !op.opName().equals("gather") || !(op instanceof DynamicCustomOp c)) {
            return -1;
        }
        long[] a = c.iArgs();
        return a.length == 1 && (a[0] == 0 || a[0] == 1) ? (int) a[0] : -1;
    }

    /** Whether {@link #gather} can take indices along {@code axis} of {@code x}. */
    static boolean canGather(INDArray x, INDArray indices) {
        return x.dataType() == DataType.FLOAT && x.rank() == 2 && contiguous(x) && indices.rank() == 1
                && (indices.dataType() == DataType.INT64 || indices.dataType() == DataType.INT32)
                && !indices.isEmpty();
    }

    /**
     * {@code out = x[indices, :]} (axis 0: row copies, the token embedding) or {@code x[:, indices]} (axis 1: a
     * column permutation, rotary's rotate-half), rows over the cores.
     */
    static void gather(INDArray x, long[] idx, int axis, INDArray out) {
        checkBounds(x, out);
        if (out.size(axis) != idx.length || out.size(1 - axis) != x.size(1 - axis)) {
            throw new IllegalArgumentException("gather of " + idx.length + " along axis " + axis + " of "
                    + java.util.Arrays.toString(x.shape()) + " into " + java.util.Arrays.toString(out.shape()));
        }
        for (long i : idx) {
            if (i < 0 || i >= x.size(axis)) {
                throw new IndexOutOfBoundsException("gather index " + i + " outside 0.." + (x.size(axis) - 1));
            }
        }
        long rows = x.size(0);
        long cols = x.size(1);
        long px = address(x);
        long pz = address(out);
        if (axis == 0) {
            for (int r = 0; r < idx.length; r++) {
                U.copyMemory(px + 4 * idx[r] * cols, pz + 4L * r * cols, 4 * cols);
            }
            return;
        }
        int width = idx.length;
        int[] at = new int[width];
        for (int j = 0; j < width; j++) {
            at[j] = (int) idx[j];
        }
        FloatBuffer fx = x.data().asNioFloat();
        FloatBuffer fz = out.data().asNioFloat();
        int c = Math.toIntExact(cols);
        inChunks(rows, width, (from, to) -> {             // on the kernel threads (a parallel stream woke slowly)
            float[] row = rowScratch(0, c);
            float[] picked = rowScratch(1, width);
            for (long r = from; r < to; r++) {
                fx.get(Math.toIntExact(r * cols), row, 0, c);
                for (int j = 0; j < width; j++) {
                    picked[j] = row[at[j]];
                }
                fz.put(Math.toIntExact(r * width), picked, 0, width);
            }
        });
    }

    /**
     * For a {@code permute} of a rank-4 array that keeps the last axis in place (attention's head split and merge,
     * {@code [b, s, h, d] ↔ [b, h, s, d]}), its axis order; else null.
     */
    static int[] permutation(DifferentialFunction op) {
        if (U == null || !op.opName().equals("permute") || !(op instanceof DynamicCustomOp c)) {
            return null;
        }
        long[] a = c.iArgs();
        return a.length == 4 && a[3] == 3 ? java.util.Arrays.stream(a).mapToInt(Math::toIntExact).toArray() : null;
    }

    /** Whether {@link #permute} can take {@code x}. */
    static boolean canPermute(INDArray x) {
        return x.dataType() == DataType.FLOAT && x.rank() == 4 && contiguous(x);
    }

    /** The shape of {@code x} with its axes in {@code axes} order. */
    static long[] permutedShape(INDArray x, int[] axes) {
        long[] shape = new long[axes.length];
        for (int i = 0; i < axes.length; i++) {
            shape[i] = x.size(axes[i]);
        }
        return shape;
    }

    /** {@code out = x.permute(axes)} copied row-major (the last axis stays): one block copy per innermost row. */
    static void permute(INDArray x, int[] axes, INDArray out) {
        checkBounds(x, out);
        long[] shape = permutedShape(x, axes);
        if (!java.util.Arrays.equals(shape, out.shape()) || axes[3] != 3 || !contiguous(out)
                || x.dataType() != DataType.FLOAT || out.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("permute " + java.util.Arrays.toString(axes) + " of "
                    + java.util.Arrays.toString(x.shape()) + " into " + java.util.Arrays.toString(out.shape()));
        }
        long[] st = x.stride();
        long[] ss = new long[4];
        for (int i = 0; i < 4; i++) {
            ss[i] = st[axes[i]];
        }
        copyRows(address(x), ss, address(out), padStrides(out), shape);
    }

    /**
     * Whether {@link #copyRows} can copy {@code src} into {@code dst}: F32 arrays (views too) of the same shape, rank
     * 1 to 4, whose last axis is contiguous (stride 1) in both.
     */
    static boolean canCopyRows(INDArray src, INDArray dst) {
        return U != null && src.dataType() == DataType.FLOAT && dst.dataType() == DataType.FLOAT && !src.isEmpty()
                && src.rank() >= 1 && src.rank() <= 4 && java.util.Arrays.equals(src.shape(), dst.shape())
                && (src.size(-1) == 1 || src.stride(-1) == 1 && dst.stride(-1) == 1);
    }

    /**
     * {@code dst = src} for arrays {@link #canCopyRows} takes (a new array into a slice of a cache buffer, say): one
     * block copy per innermost row.
     */
    static void copyRows(INDArray src, INDArray dst) {
        if (!canCopyRows(src, dst)) {
            throw new IllegalArgumentException("cannot copy " + src.dataType() + java.util.Arrays.toString(src.shape())
                    + " (strides " + java.util.Arrays.toString(src.stride()) + ") into " + dst.dataType()
                    + java.util.Arrays.toString(dst.shape()) + " (strides " + java.util.Arrays.toString(dst.stride())
                    + ")");
        }
        checkBounds(src, dst);
        copyRows(address(src), padStrides(src), address(dst), padStrides(dst), pad(src.shape()));
    }

    /**
     * Copies the rank-4 {@code shape} (last axis contiguous) from {@code ps} with strides {@code ss} to {@code pd}
     * with strides {@code ds} (in elements; the callers checked the bounds), rows over the cores for large arrays.
     */
    private static void copyRows(long ps, long[] ss, long pd, long[] ds, long[] shape) {
        long d = shape[3];
        inChunks(shape[0] * shape[1] * shape[2], d, (from, to) -> {
            for (long row = from; row < to; row++) {
                long i2 = row % shape[2];
                long i1 = row / shape[2] % shape[1];
                long i0 = row / (shape[2] * shape[1]);
                U.copyMemory(ps + 4 * (i0 * ss[0] + i1 * ss[1] + i2 * ss[2]),
                        pd + 4 * (i0 * ds[0] + i1 * ds[1] + i2 * ds[2]), 4 * d);
            }
        });
    }

    /** The strides of {@code a} padded in front to rank 4 (the padded axes have length 1: any stride). */
    private static long[] padStrides(INDArray a) {
        long[] p = new long[4];
        long[] st = a.stride();
        System.arraycopy(st, 0, p, 4 - st.length, st.length);
        return p;
    }

    /** Whether {@link #copyColumns} can slice {@code x}. */
    static boolean canSlice(INDArray x, long to) {
        return x.dataType() == DataType.FLOAT && x.rank() == 2 && to <= x.size(1) && contiguous(x);
    }

    /** {@code out = x[:, from:to]}: one block copy per row, rows over the cores for large arrays. */
    static void copyColumns(INDArray x, long from, long to, INDArray out) {
        checkBounds(x, out);
        if (from < 0 || to > x.size(1) || out.size(0) != x.size(0) || out.size(1) != to - from) {
            throw new IllegalArgumentException("columns " + from + ".." + to + " of "
                    + java.util.Arrays.toString(x.shape()) + " into " + java.util.Arrays.toString(out.shape()));
        }
        long rows = x.size(0);
        long cols = x.size(1);
        long width = to - from;
        long src = address(x) + 4 * from;
        long dst = address(out);
        inChunks(rows, width, (first, end) -> {
            for (long r = first; r < end; r++) {
                U.copyMemory(src + 4 * r * cols, dst + 4 * r * width, 4 * width);
            }
        });
    }

    /**
     * Laid out row-major from the start of its buffer: an array of its own or a view of such a prefix (a reshape's
     * view, say; ND4J reports those as views).
     */
    private static boolean contiguous(INDArray a) {
        if (a.offset() != 0) {
            return false;
        }
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {       // the stride of a length-1 axis is never used
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /**
     * Checks that every element the arrays' shapes and strides reach lies inside their buffers, so a shape bug is an
     * exception here rather than a stray read or write of native memory.
     */
    static void checkBounds(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a.isEmpty()) {
                continue;
            }
            long first = a.offset();
            long last = first;
            long[] shape = a.shape();
            long[] stride = a.stride();
            for (int i = 0; i < shape.length; i++) {
                if (stride[i] < 0) {
                    throw new IndexOutOfBoundsException("negative stride in " + java.util.Arrays.toString(stride));
                }
                last += (shape[i] - 1) * stride[i];
            }
            long capacity = a.data().underlyingLength();
            if (first < 0 || last >= capacity) {
                throw new IndexOutOfBoundsException("array " + java.util.Arrays.toString(shape) + " (strides "
                        + java.util.Arrays.toString(stride) + ", offset " + first + ") reaches element " + last
                        + " of a buffer of " + capacity);
            }
        }
    }

    /** Address of an array's first element (views included: their buffer's address plus their offset). */
    static long address(INDArray a) {
        return a.data().address() + a.offset() * a.data().getElementSize();
    }

    /** Whether the Java kernels can run (they need {@code sun.misc.Unsafe}). */
    static boolean available() {
        return U != null;
    }

    static float getFloat(long address) {
        return U.getFloat(address);
    }

    static void putFloat(long address, float value) {
        U.putFloat(address, value);
    }

    private static sun.misc.Unsafe unsafe() {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;                                    // then every op runs natively
        }
    }
}
