package dev.steering.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.mkl.global.mkl_rt;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Intel MKL's packed {@code sgemm} for products of two or more rows by a constant F32 weight ({@code x · Wᵀ}): the
 * weight is packed once into MKL's internal layout ({@code cblas_sgemm_pack}) and every later product reads that
 * copy ({@code cblas_sgemm_compute}), so no call repacks the weight as {@code sgemm}, oneDNN or OpenBLAS do. On the
 * 2-core Intel Xeon the four projections of a batch-8 Pythia-160m prefill took ~125 ms this way against ~170 ms in
 * oneDNN, and a batch-8 decode step's products ran faster than in the Java kernel (docs/performance.md).
 *
 * <p>Used only where it was measured to win: on Intel CPUs ({@code GenuineIntel} in {@code /proc/cpuinfo}), when
 * MKL's libraries are on the class path ({@code org.bytedeco:mkl}, with its {@code -redist} binaries: the
 * command-line jar carries them) and {@code -Dsteering.mkl} is not {@code off}. MKL runs its threads on GNU OpenMP,
 * the runtime libnd4j already loaded, with libnd4j's thread count, in MKL's strict reproducibility mode. Each output
 * row is one fixed summation whatever the number of rows in the call (tested), so batched results equal one-by-one
 * results.
 */
final class MklGemm {
    private static final Logger LOG = LoggerFactory.getLogger(MklGemm.class);
    /** The row count the weights are packed for (MKL's packed layout does not depend on it; tested). */
    private static final int PACK_ROWS = 256;
    /** Alignment of the packed copies (a cache line, as MKL's own allocator gives). */
    private static final long ALIGNMENT = 64;

    private MklGemm() {
    }

    /** True if the packed products run in this JVM (decided once). */
    static boolean available() {
        return Availability.AVAILABLE;
    }

    private static final class Availability {
        /** The libraries of org.bytedeco:mkl's -redist jar MKL may open for sgemm (libmkl_rt opens the rest). */
        private static final java.util.List<String> REDIST = java.util.List.of("libmkl_rt.so.2", "libmkl_core.so.2",
                "libmkl_gnu_thread.so.2", "libmkl_intel_lp64.so.2", "libmkl_def.so.2", "libmkl_mc.so.2",
                "libmkl_mc3.so.2", "libmkl_avx.so.2", "libmkl_avx2.so.2", "libmkl_avx512.so.2");
        static final boolean AVAILABLE = probe();

        private static boolean probe() {
            String asked = System.getProperty("steering.mkl", "auto").trim().toLowerCase(Locale.ROOT);
            if (asked.equals("off")) {
                return false;
            }
            if (!asked.equals("auto") && !asked.equals("on")) {
                throw new IllegalArgumentException("-Dsteering.mkl=" + asked + ": expected auto, on or off");
            }
            if (!asked.equals("on") && !intelCpu()) {
                LOG.debug("MKL not used: not an Intel CPU (-Dsteering.mkl=on uses it anyway)");
                return false;
            }
            if (!Kernels.hostBackend()) {
                return false;
            }
            try {
                String missing = missingLibrary();
                if (missing != null) {       // MKL exits the process when it cannot load one of its libraries
                    LOG.debug("MKL not used: {} is not on the class path (org.bytedeco:mkl's -redist jar)", missing);
                    return false;
                }
                int threads = Math.max(1, Nd4j.getEnvironment().maxMasterThreads());
                Loader.load(mkl_rt.class);
                mkl_rt.MKL_Set_Threading_Layer(mkl_rt.MKL_THREADING_GNU);   // before any other MKL call
                // strict conditional numerical reproducibility: the same bits whatever the arrays' alignment (the
                // pool's buffers differ from run to run); no measurable cost here (docs/performance.md, item 15)
                if (mkl_rt.MKL_CBWR_Set(mkl_rt.MKL_CBWR_AUTO | mkl_rt.MKL_CBWR_STRICT) != mkl_rt.MKL_CBWR_SUCCESS) {
                    LOG.debug("MKL not used: it refused strict reproducibility mode");
                    return false;
                }
                mkl_rt.MKL_Set_Dynamic(0);
                mkl_rt.MKL_Set_Num_Threads(threads);
                LOG.debug("MKL packed sgemm for products of two or more rows, {} threads", threads);
                return true;
            } catch (LinkageError e) {
                LOG.debug("MKL not used: {}", e.toString());
                return false;
            }
        }

        /**
         * The first of the MKL libraries {@code sgemm} may load (the runtime, its core, GNU threading and every
         * CPU-specific kernel library) that is not a class-path resource, or null if all are.
         */
        private static String missingLibrary() {
            String dir = "org/bytedeco/mkl/" + Loader.getPlatform() + "/";
            for (String lib : REDIST) {
                if (MklGemm.class.getClassLoader().getResource(dir + lib) == null) {
                    return dir + lib;
                }
            }
            return null;
        }

        private static boolean intelCpu() {
            Path cpuinfo = Path.of("/proc/cpuinfo");
            try (var lines = Files.lines(cpuinfo)) {
                return lines.anyMatch(l -> l.startsWith("vendor_id") && l.contains("GenuineIntel"));
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
    }

    /**
     * A weight {@code [out, in]} in MKL's packed layout, in native memory this object owns (freed by
     * {@link #close}).
     */
    static final class Packed implements AutoCloseable {
        private final int out;
        private final int in;
        private final long bytes;
        /** The allocation (freed by {@link #close}) and the 64-byte aligned floats in it MKL packs into. */
        private Pointer allocation;
        private volatile FloatPointer data;

        private Packed(int out, int in, long bytes) {
            this.out = out;
            this.in = in;
            this.bytes = bytes;
            this.allocation = Pointer.malloc(bytes + ALIGNMENT);
            if (allocation == null || allocation.isNull()) {
                throw new OutOfMemoryError("cannot allocate " + bytes + " bytes to pack a [" + out + ", " + in
                        + "] weight");
            }
            long skip = (ALIGNMENT - allocation.address() % ALIGNMENT) % ALIGNMENT;
            this.data = new FloatPointer(allocation).position(skip / Float.BYTES);
        }

        /** Native bytes held. */
        long bytes() {
            return bytes;
        }

        @Override
        public synchronized void close() {
            if (allocation != null) {
                data = null;
                Pointer.free(allocation);
                allocation = null;
            }
        }
    }

    /** Bytes {@link #pack} would take for a weight {@code [out, in]}. */
    static long packedBytes(long out, long in) {
        return mkl_rt.cblas_sgemm_pack_get_size(mkl_rt.CblasBMatrix, PACK_ROWS, Math.toIntExact(out),
                Math.toIntExact(in));
    }

    /** True if {@code w} is an F32 {@code [out, in]} matrix in C order MKL can pack. */
    static boolean packable(INDArray w) {
        return plain(w) && w.rank() == 2;
    }

    /** Packs the F32 weight {@code w} ({@code [out, in]}, see {@link #packable}) for products {@code x · wᵀ}. */
    static Packed pack(INDArray w) {
        if (!packable(w)) {
            throw new IllegalArgumentException("cannot pack " + w.dataType() + " " + w.shapeInfoToString());
        }
        int out = Math.toIntExact(w.size(0));
        int in = Math.toIntExact(w.size(1));
        Packed p = new Packed(out, in, packedBytes(out, in));
        mkl_rt.cblas_sgemm_pack(mkl_rt.CblasRowMajor, mkl_rt.CblasBMatrix, mkl_rt.CblasTrans, PACK_ROWS, out, in,
                1f, (FloatPointer) w.data().pointer(), in, p.data);
        return p;
    }

    /**
     * True if {@code x · wᵀ} into {@code c} can run here: {@code x} {@code [m, in]} and {@code c} {@code [m, out]} F32
     * arrays in C order that start their buffers (no offset), as the executor's own arrays do.
     */
    static boolean accepts(INDArray x, Packed w, INDArray c) {
        return acceptsInput(x, w) && plain(c) && c.rank() == 2 && c.size(1) == w.out && c.size(0) == x.size(0);
    }

    /** The half of {@link #accepts} about {@code x}. */
    static boolean acceptsInput(INDArray x, Packed w) {
        return plain(x) && x.rank() == 2 && x.size(1) == w.in;
    }

    /** {@code c = x · wᵀ} (see {@link #accepts}; checked, so a shape bug is an exception, not a stray write). */
    static void multiply(INDArray x, Packed w, INDArray c) {
        if (!accepts(x, w, c)) {
            throw new IllegalArgumentException("packed product: x " + x.shapeInfoToString() + ", c "
                    + c.shapeInfoToString() + " do not fit a [" + w.out + ", " + w.in + "] weight");
        }
        FloatPointer packed = w.data;          // closed only with the model's weights, when no graph runs
        if (packed == null) {
            throw new IllegalStateException("packed weight [" + w.out + ", " + w.in + "] was closed");
        }
        mkl_rt.cblas_sgemm_compute(mkl_rt.CblasRowMajor, mkl_rt.CblasNoTrans, mkl_rt.CblasPacked,
                Math.toIntExact(x.size(0)), w.out, w.in, (FloatPointer) x.data().pointer(), w.in, packed, w.in,
                0f, (FloatPointer) c.data().pointer(), w.out);
    }

    /**
     * An F32 array in C order with default strides whose elements are the first ones of its buffer's memory (no
     * offset; a reshaped array qualifies), so that MKL may read or write it from the buffer's pointer.
     */
    private static boolean plain(INDArray a) {
        if (a.dataType() != DataType.FLOAT || a.ordering() != 'c' || a.offset() != 0
                || !Shape.hasDefaultStridesForShape(a) || a.data().length() < a.length()) {
            return false;
        }
        return a.data().pointer() instanceof FloatPointer p && p.position() == 0 && p.address() == a.data().address();
    }
}
