package dev.steering.model;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks, per 2-D matmul shape, the faster of two kernels: BLAS {@code sgemm} ({@code Nd4j.gemm}) or libnd4j's
 * {@code matmul} op, which the oneDNN build of libnd4j runs with oneDNN. Neither wins everywhere (measured on a
 * 2-core AVX-512 machine: oneDNN was ~1.4x faster for 256-row prefill GEMMs and 8-row decode GEMMs, slower for some
 * 32-row shapes), so the choice is measured, not assumed: the first calls of a new shape alternate the two kernels
 * ({@value #WARM} untimed and {@value #TIMED} timed calls each) and later calls use the one with the lower best time.
 * Both kernels compute the same product in F32; they differ in summation order only (~1e-6 relative).
 *
 * <p>{@code -Dsteering.matmul=blas} or {@code =op} fixes the kernel; {@code auto} (the default) measures, but only
 * when the oneDNN build is loaded (in the plain build the op path is BLAS plus overhead, so BLAS is used).
 */
public final class MatmulKernels {
    private static final Logger LOG = LoggerFactory.getLogger(MatmulKernels.class);
    static final int WARM = 1;
    static final int TIMED = 2;

    /** A kernel. */
    enum Kernel { BLAS, OP }

    private final Kernel fixed;
    private final Map<Shape, Trial> trials = new HashMap<>();

    private MatmulKernels(Kernel fixed) {
        this.fixed = fixed;
    }

    /** The policy {@code -Dsteering.matmul} asks for ({@code auto}, {@code blas} or {@code op}). */
    static MatmulKernels fromSystemProperty() {
        String p = System.getProperty("steering.matmul", "auto");
        return switch (p) {
            case "blas" -> new MatmulKernels(Kernel.BLAS);
            case "op" -> new MatmulKernels(Kernel.OP);
            case "auto" -> new MatmulKernels(oneDnnLoaded() ? null : Kernel.BLAS);
            default -> throw new IllegalArgumentException("-Dsteering.matmul=" + p + ": expected auto, blas or op");
        };
    }

    /** Measures every shape, whichever libnd4j build is loaded. */
    static MatmulKernels measuring() {
        return new MatmulKernels(null);
    }

    /** Always {@code kernel}. */
    static MatmulKernels always(Kernel kernel) {
        return new MatmulKernels(kernel);
    }

    /** True if the loaded libnd4j was built with oneDNN. */
    public static boolean oneDnnLoaded() {
        return NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo().contains("HAVE_ONEDNN");
    }

    /**
     * The kernel for a product of {@code [m, k] × [k, n]} (after the transposes), and whether to time this call
     * (then report its duration with {@link Choice#record}).
     */
    Choice choose(long m, long k, long n, boolean transA, boolean transB) {
        if (fixed != null) {
            return new Choice(fixed, null);
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

    /** The measurement of one shape: alternates kernels until both have their timed calls, then sticks. */
    static final class Trial {
        private final Shape shape;
        private int calls;
        private final long[] best = {Long.MAX_VALUE, Long.MAX_VALUE};
        private Kernel decided;

        private Trial(Shape shape) {
            this.shape = shape;
        }

        Choice next() {
            if (decided != null) {
                return new Choice(decided, null);
            }
            Kernel k = calls % 2 == 0 ? Kernel.BLAS : Kernel.OP;
            calls++;
            return new Choice(k, this);
        }

        boolean timing() {
            return decided == null && calls > 2 * WARM;
        }

        void record(Kernel k, long nanos) {
            best[k.ordinal()] = Math.min(best[k.ordinal()], nanos);
            if (calls >= 2 * (WARM + TIMED)) {
                decided = best[Kernel.OP.ordinal()] < best[Kernel.BLAS.ordinal()] ? Kernel.OP : Kernel.BLAS;
                LOG.debug("matmul {}: {} (best blas {} µs, op {} µs)", shape, decided, best[0] / 1000, best[1] / 1000);
            }
        }

        Kernel decided() {
            return decided;
        }
    }
}
