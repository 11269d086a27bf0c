package dev.steering.model.compact;

import java.nio.FloatBuffer;
import java.util.Objects;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link CompactMatrix} products: picks the kernel once per JVM and splits the output columns over a shared
 * pool of daemon threads (one per core; the calling thread does the first share).
 *
 * <p>The Vector API kernel is used when the module {@code jdk.incubator.vector} is in the boot layer (the JVM was
 * started with {@code --add-modules jdk.incubator.vector}) and the CPU's preferred float vector has 8 or 16 lanes;
 * otherwise the pure-Java kernel. {@code -Dsteering.vector=off} forces the pure-Java kernel (for tests and
 * comparisons). The vector kernel class is loaded only after the check, so nothing breaks without the module.
 */
public final class CompactKernels {
    private static final Logger LOG = LoggerFactory.getLogger(CompactKernels.class);
    /** Products below this many multiply-adds run on the calling thread alone. */
    private static final long PARALLEL_MIN_MACS = 1 << 16;
    private static final int ALIGN = 16;

    private static final class Shared {
        static final CompactKernels INSTANCE = new CompactKernels(chooseKernel(), Runtime.getRuntime()
                .availableProcessors());
    }

    private final ColumnKernel kernel;
    private final int threads;
    private final ForkJoinPool pool;
    private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[1][0]);
    /** The calling thread's copies of x and y for {@link #matmul(CompactMatrix, FloatBuffer, int, FloatBuffer)}. */
    private final ThreadLocal<float[][]> io = ThreadLocal.withInitial(() -> new float[2][0]);

    private CompactKernels(ColumnKernel kernel, int threads) {
        this.kernel = kernel;
        this.threads = Math.max(1, threads);
        this.pool = this.threads == 1 ? null : new ForkJoinPool(this.threads - 1, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setDaemon(true);
            t.setName("steering-compact-" + t.getPoolIndex());
            return t;
        }, null, false);
    }

    /** The JVM-wide instance (kernel chosen and pool started on first use). */
    public static CompactKernels shared() {
        return Shared.INSTANCE;
    }

    /** The pure-Java kernel on {@code threads} threads (for tests and benchmarks; the pool lives with the JVM). */
    static CompactKernels scalar(int threads) {
        return new CompactKernels(new ScalarKernel(), threads);
    }

    /** The Vector API kernel on {@code threads} threads, or null if the module is absent or the CPU unsuited. */
    static CompactKernels vector(int threads) {
        ColumnKernel k = loadVectorKernel();
        return k == null ? null : new CompactKernels(k, threads);
    }

    /** True if the Vector API kernel can run in this JVM. */
    public static boolean vectorApiAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static ColumnKernel chooseKernel() {
        String p = System.getProperty("steering.vector", "auto");
        if (!p.equals("auto") && !p.equals("off")) {
            throw new IllegalArgumentException("-Dsteering.vector=" + p + ": expected auto or off");
        }
        ColumnKernel k = p.equals("off") ? null : loadVectorKernel();
        if (k == null) {
            LOG.info("compact-weight kernels: pure Java ({}); start the JVM with --add-modules jdk.incubator.vector "
                    + "for the faster Vector API kernels", p.equals("off") ? "-Dsteering.vector=off"
                    : "module jdk.incubator.vector absent or CPU without 256/512-bit vectors");
            return new ScalarKernel();
        }
        LOG.info("compact-weight kernels: {}", k.name());
        return k;
    }

    private static ColumnKernel loadVectorKernel() {
        if (!vectorApiAvailable()) {
            return null;
        }
        try {
            Class<?> c = Class.forName(CompactKernels.class.getPackageName() + ".VectorKernel");
            if (!(boolean) c.getDeclaredMethod("supported").invoke(null)) {
                return null;
            }
            var ctor = c.getDeclaredConstructor();
            return (ColumnKernel) ctor.newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("Vector API kernel unavailable ({}); using the pure-Java kernel", e.toString());
            return null;
        }
    }

    /** The kernel's name ({@code java} or {@code vector-api-512bit}, ...). */
    public String kernelName() {
        return kernel.name();
    }

    /**
     * {@code y[yOff + r·out + j] = Σ_k x[xOff + r·in + k] · W[j, k]} for {@code r < rows}, {@code j < out}.
     *
     * @throws IndexOutOfBoundsException if x or y is too short for {@code rows} rows
     */
    public void matmul(CompactMatrix w, float[] x, int xOff, int rows, float[] y, int yOff) {
        Objects.requireNonNull(w, "w");
        int in = w.inFeatures();
        int out = w.outFeatures();
        if (rows < 0) {
            throw new IllegalArgumentException("rows = " + rows);
        }
        Objects.checkFromIndexSize(xOff, (long) rows * in > Integer.MAX_VALUE ? -1 : rows * in, x.length);
        Objects.checkFromIndexSize(yOff, (long) rows * out > Integer.MAX_VALUE ? -1 : rows * out, y.length);
        if (rows == 0) {
            return;
        }
        long macs = (long) rows * in * out;
        int parts = pool == null || macs < PARALLEL_MIN_MACS ? 1 : Math.min(threads, Math.max(1, out / ALIGN));
        if (parts == 1) {
            kernel.columns(w, x, xOff, rows, y, yOff, 0, out, scratch(w, rows));
            return;
        }
        int share = ((out + parts - 1) / parts + ALIGN - 1) / ALIGN * ALIGN;
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[parts - 1];
        for (int p = 1; p < parts; p++) {
            int from = Math.min(out, p * share);
            int to = Math.min(out, from + share);
            tasks[p - 1] = pool.submit(() -> kernel.columns(w, x, xOff, rows, y, yOff, from, to, scratch(w, rows)));
        }
        kernel.columns(w, x, xOff, rows, y, yOff, 0, Math.min(out, share), scratch(w, rows));
        for (ForkJoinTask<?> t : tasks) {
            t.join();
        }
    }

    /**
     * The same product on buffers (for instance over native memory: {@code INDArray.data().asNio().asFloatBuffer()}
     * of a C-ordered F32 array): x is read from {@code x.position()} ({@code rows·in} floats), y written from
     * {@code y.position()} ({@code rows·out} floats); positions are left unchanged. x and y are copied through arrays
     * the calling thread keeps (grown on demand, not per call).
     *
     * @throws IndexOutOfBoundsException if a buffer has too few floats remaining
     */
    public void matmul(CompactMatrix w, FloatBuffer x, int rows, FloatBuffer y) {
        if (rows < 0) {
            throw new IllegalArgumentException("rows = " + rows);
        }
        int nx = Math.multiplyExact(rows, w.inFeatures());
        int ny = Math.multiplyExact(rows, w.outFeatures());
        if (x.remaining() < nx || y.remaining() < ny) {
            throw new IndexOutOfBoundsException(rows + " rows of " + w + " need " + nx + " floats of x and " + ny
                    + " of y; the buffers have " + x.remaining() + " and " + y.remaining());
        }
        float[][] buf = io.get();
        if (buf[0].length < nx) {
            buf[0] = new float[nx];
        }
        if (buf[1].length < ny) {
            buf[1] = new float[ny];
        }
        x.get(x.position(), buf[0], 0, nx);
        matmul(w, buf[0], 0, rows, buf[1], 0);
        y.put(y.position(), buf[1], 0, ny);
    }

    /** A share {@code [from, to)} of the rows of some work. */
    interface RowRange {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over {@code [0, rows)} split into one share per thread of the pool (the calling thread does
     * the first); work below 65,536 units ({@code rows · workPerRow}) stays on the calling thread.
     */
    void forRows(int rows, long workPerRow, RowRange body) {
        int parts = pool == null || rows * workPerRow < PARALLEL_MIN_MACS ? 1 : Math.min(threads, rows);
        int share = (rows + parts - 1) / Math.max(1, parts);
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[Math.max(0, parts - 1)];
        for (int p = 1; p < parts; p++) {
            int from = Math.min(rows, p * share);
            int to = Math.min(rows, from + share);
            tasks[p - 1] = pool.submit(() -> body.run(from, to));
        }
        body.run(0, Math.min(rows, share));
        for (ForkJoinTask<?> t : tasks) {
            t.join();
        }
    }

    private float[] scratch(CompactMatrix w, int rows) {
        int n = kernel.scratchFloats(w, rows);
        float[][] holder = scratch.get();
        if (holder[0].length < n) {
            holder[0] = new float[n];
        }
        return holder[0];
    }
}
