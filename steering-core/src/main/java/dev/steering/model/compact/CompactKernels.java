package dev.steering.model.compact;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link CompactMatrix} products: picks the kernel once per JVM and splits the output columns over a shared
 * pool of daemon threads (one per core besides the calling thread, which works too; see {@link #shares}).
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
    /**
     * Columns per unit of the split: four 16-lane weight vectors (whole panels of 16 features; a single-row tile
     * takes four vectors, a share of fewer would repeat some).
     */
    private static final int ALIGN = 64;
    /** Shares of a product's columns per thread: claimed one by one (see {@link #shares}). */
    private static final int SHARES_PER_THREAD = 4;
    /** Products of at most this many rows are decode steps to the kernels (weights streamed once per call). */
    public static final int DECODE_ROWS = 16;

    private static final class Shared {
        static final CompactKernels INSTANCE = new CompactKernels(chooseKernel(), Runtime.getRuntime()
                .availableProcessors());
    }

    private final ColumnKernel kernel;
    private final int threads;
    private final KernelWorkers pool;
    private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[1][0]);
    /** The calling thread's copies of x and y for {@link #matmul(CompactMatrix, FloatBuffer, int, FloatBuffer)}. */
    private final ThreadLocal<float[][]> io = ThreadLocal.withInitial(() -> new float[2][0]);

    private CompactKernels(ColumnKernel kernel, int threads) {
        this.kernel = kernel;
        this.threads = Math.max(1, threads);
        this.pool = this.threads == 1 ? null : new KernelWorkers(this.threads - 1, "steering-compact");
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

    /** True if the Vector API kernel runs the products (else the much slower pure-Java one). */
    public boolean vectorized() {
        return !(kernel instanceof ScalarKernel);
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
        int blocks = (out + ALIGN - 1) / ALIGN;
        int count = pool == null || macs < PARALLEL_MIN_MACS ? 1 : Math.min(blocks, SHARES_PER_THREAD * threads);
        int share = (blocks + count - 1) / count * ALIGN;
        shares((out + share - 1) / share, i -> {
            int from = i * share;
            kernel.columns(w, x, xOff, rows, y, yOff, from, Math.min(out, from + share), scratch(w, rows));
        });
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

    /**
     * {@code c[cAt + j] = Σ_{i<k} a[aAt + i] · b[bAt + j·bStride + i]} for {@code j < n} (a query row against key
     * rows), on the calling thread. Buffers in native byte order, indices in floats.
     *
     * @throws IndexOutOfBoundsException if an index falls outside its buffer
     */
    public void dots(ByteBuffer a, int aAt, ByteBuffer b, int bAt, int bStride, int n, int k, ByteBuffer c, int cAt) {
        checkFloats(a, aAt, 1, 1, k);
        checkFloats(b, bAt, bStride, n, k);
        checkFloats(c, cAt, 1, 1, n);
        kernel.dots(a, aAt, b, bAt, bStride, n, k, c, cAt);
    }

    /**
     * {@code c[cAt + i] = Σ_{j<t} w[wAt + j] · b[bAt + j·bStride + i]} for {@code i < k} (attention weights times
     * value rows), on the calling thread. Buffers in native byte order, indices in floats.
     *
     * @throws IndexOutOfBoundsException if an index falls outside its buffer
     */
    public void weightedRows(ByteBuffer w, int wAt, ByteBuffer b, int bAt, int bStride, int t, int k, ByteBuffer c,
                             int cAt) {
        checkFloats(w, wAt, 1, 1, t);
        checkFloats(b, bAt, bStride, t, k);
        checkFloats(c, cAt, 1, 1, k);
        kernel.weightedRows(w, wAt, b, bAt, bStride, t, k, c, cAt);
    }

    /** Checks that {@code rows} rows of {@code width} floats from {@code at}, {@code stride} apart, lie in {@code b}. */
    private static void checkFloats(ByteBuffer b, int at, int stride, int rows, int width) {
        if (rows <= 0 || width <= 0) {
            return;
        }
        long last = (long) at + (long) (rows - 1) * stride + width;
        if (at < 0 || stride < 0 || 4 * last > b.limit()) {
            throw new IndexOutOfBoundsException(rows + " rows of " + width + " floats from " + at + ", stride "
                    + stride + ", in a buffer of " + b.limit() / 4 + " floats");
        }
    }

    /** A share {@code [from, to)} of the rows of some work. */
    interface RowRange {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over {@code [0, rows)} split into one share per thread of the pool (the calling thread works
     * too); work below 65,536 units ({@code rows · workPerRow}) stays on the calling thread.
     */
    void forRows(int rows, long workPerRow, RowRange body) {
        int count = pool == null || rows * workPerRow < PARALLEL_MIN_MACS ? 1 : Math.min(threads, rows);
        int share = (rows + count - 1) / Math.max(1, count);
        shares((rows + share - 1) / Math.max(1, share), i -> body.run(i * share, Math.min(rows, (i + 1) * share)));
    }

    /**
     * Runs {@code body.accept(i)} for every {@code i < count} on the calling thread and the pool's threads (also for
     * other small parallel work of a decode step: the engine's attention products). Shares
     * are claimed one at a time, so a pool thread that joins late (a parked one takes 50-80 µs to wake, more than a
     * small product takes) takes fewer or none, and the caller never waits for a thread that has not started: it
     * waits only for shares already running. A share's exception is rethrown here once all have ended.
     */
    public void shares(int count, IntConsumer body) {
        if (pool == null || count <= 1) {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
            return;
        }
        Shares job = new Shares(count, body);
        pool.offer(job);
        try {
            job.run();
            job.awaitAll();
        } finally {
            pool.withdraw(job);             // also when a share failed: the job must not keep its arrays alive
        }
    }

    /** The shares of one call (see {@link #shares}). */
    private static final class Shares implements Runnable {
        private static final long SPIN_NANOS = 20_000;
        private final int count;
        private final IntConsumer body;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger ended = new AtomicInteger();
        private volatile Throwable failure;

        Shares(int count, IntConsumer body) {
            this.count = count;
            this.body = body;
        }

        @Override
        public void run() {
            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                try {
                    body.accept(i);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    ended.incrementAndGet();
                }
            }
        }

        /** Waits (spinning briefly, then parking in 20 µs steps) until every share has ended. */
        void awaitAll() {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (ended.get() < count) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(SPIN_NANOS);
                }
            }
            Throwable t = failure;
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
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
