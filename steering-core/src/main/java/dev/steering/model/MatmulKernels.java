package dev.steering.model;

import dev.steering.model.compact.CompactKernels;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks, per 2-D matmul shape, one of three kernels (see {@link Kernel}): BLAS {@code sgemm}
 * ({@code Nd4j.gemm}), libnd4j's {@code matmul} op (which the oneDNN build of libnd4j runs with oneDNN), or BLAS on
 * the transposed product. None wins everywhere (measured on a 2-core AVX-512 machine: oneDNN was ~1.4x faster for
 * 256-row prefill GEMMs, the transposed product up to 2x faster for the decode-sized MLP and unembedding). When
 * measuring, the first calls of a new shape cycle through the kernels ({@value #WARM} untimed and {@value #TIMED}
 * timed calls each) and later calls use the one with the lowest best time. All compute the same product in F32;
 * they differ in summation order only (~1e-6 relative).
 *
 * <p>Because the measured choice depends on timings, two runs could pick different kernels and so differ in the
 * last bits — enough to change a sampled token now and then. The default therefore is a fixed {@link #rule} read
 * off such measurements, which keeps runs reproducible; {@code -Dsteering.matmul=auto} measures instead (on another
 * machine it may find faster choices), and {@code =blas}, {@code =op} or {@code =transposed} fix one kernel.
 */
public final class MatmulKernels {
    private static final Logger LOG = LoggerFactory.getLogger(MatmulKernels.class);
    /** Products with at most this many rows count as decode-sized in {@link #rule}. */
    static final long DECODE_ROWS = 64;
    static final int WARM = 1;
    static final int TIMED = 2;
    /** The kernels a measurement cycles through, in this order. */
    static final Kernel[] KERNELS = Kernel.values();

    /**
     * A kernel: BLAS on the product as written; libnd4j's matmul op; or BLAS on the transposed product
     * {@code cᵀ = bᵀ·aᵀ} followed by a transposing copy (with the oneDNN build loaded, BLAS was 2x slower on
     * {@code [32, 3072] × [768, 3072]ᵀ} as written than transposed).
     */
    enum Kernel { BLAS, OP, BLAS_TRANSPOSED }

    private final Kernel fixed;
    private final boolean measure;
    private final boolean oneDnn;
    private final Map<Shape, Trial> trials = new HashMap<>();

    private MatmulKernels(Kernel fixed, boolean measure) {
        this.fixed = fixed;
        this.measure = measure;
        this.oneDnn = fixed == null && !measure && oneDnnLoaded();
    }

    /**
     * The policy {@code -Dsteering.matmul} asks for: {@code rule} (the default), {@code auto}, {@code blas},
     * {@code op} or {@code transposed}.
     */
    static MatmulKernels fromSystemProperty() {
        String p = System.getProperty("steering.matmul", "rule");
        return switch (p) {
            case "rule" -> new MatmulKernels(null, false);
            case "auto" -> measuring();
            case "blas" -> always(Kernel.BLAS);
            case "op" -> always(Kernel.OP);
            case "transposed" -> always(Kernel.BLAS_TRANSPOSED);
            default -> throw new IllegalArgumentException("-Dsteering.matmul=" + p
                    + ": expected rule, auto, blas, op or transposed");
        };
    }

    /** Measures every shape, whichever libnd4j build is loaded. */
    static MatmulKernels measuring() {
        return new MatmulKernels(null, true);
    }

    /** Always {@code kernel}. */
    static MatmulKernels always(Kernel kernel) {
        return new MatmulKernels(kernel, false);
    }

    /**
     * The default, fixed choice, read off {@code -Dsteering.matmul=auto} measurements on a 2-core AVX-512 machine
     * (docs/performance.md). With the oneDNN build: oneDNN's matmul for prompt-sized products (more than
     * {@value #DECODE_ROWS} rows), and for decode-sized ones BLAS on the transposed product when an outer or inner
     * size reaches 3072 (the MLP and the unembedding: up to 2x faster) and BLAS as written otherwise. With the
     * plain build BLAS as written throughout (libnd4j's op is BLAS with more overhead there).
     */
    Kernel rule(long m, long k, long n) {
        if (!oneDnn) {
            return Kernel.BLAS;
        }
        if (m > DECODE_ROWS) {
            return Kernel.OP;
        }
        return k >= 3072 || n >= 3072 ? Kernel.BLAS_TRANSPOSED : Kernel.BLAS;
    }

    /**
     * Whether a product of {@code m} rows with a constant F32 weight ({@code x·Wᵀ}) runs in the Java Vector API
     * kernel ({@link CompactKernels}) instead: up to {@value CompactKernels#DECODE_ROWS} rows (a decode step), when
     * that kernel is loaded and no ND4J kernel is fixed by {@code -Dsteering.matmul}. It streams the weights once
     * per call; BLAS {@code sgemm} with so few rows reached about half the memory bandwidth (docs/performance.md).
     */
    boolean javaDecode(long m) {
        return fixed == null && m >= 2 && m <= CompactKernels.DECODE_ROWS && CompactKernels.shared().vectorized();
    }

    /**
     * Whether a product of {@code m} rows (at least 2) by a constant F32 weight ({@code x·Wᵀ}) runs in MKL's packed
     * {@code sgemm} ({@link MklGemm}): when MKL is available and no kernel is fixed or measured by
     * {@code -Dsteering.matmul} (the default rule). It was faster than oneDNN for prompts and than the Java kernel
     * for decode steps on the Intel Xeon (docs/performance.md); one row (a single sequence's step) stays with BLAS.
     */
    boolean packed(long m) {
        return fixed == null && !measure && m >= 2 && MklGemm.available();
    }

    /** True if the loaded libnd4j was built with oneDNN. */
    public static boolean oneDnnLoaded() {
        return OneDnn.LOADED;
    }

    /** Asks libnd4j once, when first needed (it cannot change while the process runs). */
    private static final class OneDnn {
        static final boolean LOADED = NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo()
                .contains("HAVE_ONEDNN");
    }

    /**
     * The kernel for a product of {@code [m, k] × [k, n]} (after the transposes), and whether to time this call
     * (then report its duration with {@link Choice#record}).
     */
    Choice choose(long m, long k, long n, boolean transA, boolean transB) {
        if (fixed != null) {
            return new Choice(fixed, null);
        }
        if (!measure) {
            return new Choice(rule(m, k, n), null);
        }
        Trial t = trials.computeIfAbsent(new Shape(m, k, n, transA, transB), Trial::new);
        return t.next();
    }

    /** The decision of one call. */
    record Choice(Kernel kernel, Trial trial) {
        boolean timed() {
            return trial != null && trial.timing();
        }

        void record(long nanos) {
            trial.record(kernel, nanos);
        }
    }

    private record Shape(long m, long k, long n, boolean transA, boolean transB) {
    }

    /** The measurement of one shape: cycles through the kernels until each had its timed calls, then sticks. */
    static final class Trial {
        private final Shape shape;
        private int calls;
        private final long[] best = new long[KERNELS.length];
        private Kernel decided;

        private Trial(Shape shape) {
            this.shape = shape;
            Arrays.fill(best, Long.MAX_VALUE);
        }

        Choice next() {
            if (decided != null) {
                return new Choice(decided, null);
            }
            Kernel k = KERNELS[calls % KERNELS.length];
            calls++;
            return new Choice(k, this);
        }

        boolean timing() {
            return decided == null && calls > KERNELS.length * WARM;
        }

        void record(Kernel k, long nanos) {
            best[k.ordinal()] = Math.min(best[k.ordinal()], nanos);
            if (calls >= KERNELS.length * (WARM + TIMED)) {
                decided = Kernel.BLAS;
                for (Kernel c : KERNELS) {
                    if (best[c.ordinal()] < best[decided.ordinal()]) {
                        decided = c;
                    }
                }
                LOG.debug("matmul {}: {} (best blas {} µs, op {} µs, transposed blas {} µs)", shape, decided,
                        best[0] / 1000, best[1] / 1000, best[2] / 1000);
            }
        }
    }
}
