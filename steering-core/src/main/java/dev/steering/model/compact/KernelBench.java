package dev.steering.model.compact;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Microbenchmark of the compact-weight kernels (not a test): for each matrix of a model shape, each storage type
 * and 1, 8, 32 and 256 activation rows, the time of {@code y = x · Wᵀ} and its GFLOP/s ({@code 2·rows·in·out}
 * flops) and GB/s (weight bytes read once per call), with ND4J's F32 {@code Nd4j.gemm} as a baseline. Random
 * weights. Usage (docs/precision.md): {@code KernelBench [pythia-160m|llama-3.2-1b] [seconds per case] [threads]}:
 * with {@code threads = 1} the compact kernels run on the calling thread alone and are timed in that thread's CPU
 * time (steadier than wall time on a machine shared with other work); ND4J's baseline always uses its own threads.
 */
public final class KernelBench {
    private static final int[] ROWS = {1, 8, 32, 256};

    private KernelBench() {
    }

    /** Runs the benchmark; arguments: the shape set and the seconds spent on each case. */
    public static void main(String[] args) {
        String shape = args.length > 0 ? args[0] : "pythia-160m";
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 0.3;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        List<int[]> matrices = switch (shape) {
            case "pythia-160m" -> List.of(new int[]{3072, 768}, new int[]{768, 3072}, new int[]{2304, 768},
                    new int[]{50304, 768});
            case "llama-3.2-1b" -> List.of(new int[]{2048, 2048}, new int[]{512, 2048}, new int[]{8192, 2048},
                    new int[]{2048, 8192}, new int[]{128256, 2048});
            default -> throw new IllegalArgumentException("unknown shape '" + shape
                    + "': expected pythia-160m or llama-3.2-1b");
        };
        CompactKernels shared = CompactKernels.shared();
        CompactKernels kernels = threads == Runtime.getRuntime().availableProcessors() ? shared
                : shared.vectorized() ? CompactKernels.vector(threads) : CompactKernels.scalar(threads);
        boolean cpuTime = threads == 1;
        System.out.printf(Locale.ROOT, "kernel %s, %d threads (%s time), %s, %.1f s per case%n", kernels.kernelName(),
                threads, cpuTime ? "CPU" : "wall", shape, seconds);
        System.out.printf(Locale.ROOT, "%-14s %-9s %5s %10s %9s %8s%n", "matrix", "type", "rows", "ms/call", "GFLOP/s",
                "GB/s");
        SplittableRandom rnd = new SplittableRandom(1);
        warmUp(kernels, rnd);
        for (int[] m : matrices) {
            int out = m[0];
            int in = m[1];
            float[] w = new float[out * in];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (rnd.nextGaussian() * 0.02);
            }
            float[] x = new float[ROWS[ROWS.length - 1] * in];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] y = new float[ROWS[ROWS.length - 1] * out];
            String name = "[" + out + "," + in + "]";
            List<CompactMatrix> typed = new ArrayList<>();
            for (StorageType t : StorageType.values()) {
                typed.add(CompactMatrix.encode(name, w, out, in, t));
            }
            INDArray wArr = Nd4j.create(w, new long[]{out, in}, 'c');
            w = null;
            for (int rows : ROWS) {
                INDArray xArr = Nd4j.create(java.util.Arrays.copyOf(x, rows * in), new long[]{rows, in}, 'c');
                INDArray yArr = Nd4j.create(DataType.FLOAT, rows, out);
                double nd4j = time(seconds, false, () -> Nd4j.gemm(xArr, wArr, yArr, false, true, 1.0, 0.0));
                print(name, "nd4j-f32", rows, nd4j, in, out, 4L * in * out);
                for (CompactMatrix c : typed) {
                    double t = time(seconds, cpuTime, () -> kernels.matmul(c, x, 0, rows, y, 0));
                    print(name, c.type().name().toLowerCase(Locale.ROOT), rows, t, in, out, c.storageBytes());
                }
            }
        }
    }

    /** Compiles every kernel path (about 3 s) before anything is timed. */
    private static void warmUp(CompactKernels kernels, SplittableRandom rnd) {
        float[] w = new float[512 * 768];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        float[] x = new float[ROWS[ROWS.length - 1] * 768];
        float[] y = new float[ROWS[ROWS.length - 1] * 512];
        for (StorageType t : StorageType.values()) {
            CompactMatrix c = CompactMatrix.encode("warm-up", w, 512, 768, t);
            for (int rows : ROWS) {
                time(0.1, false, () -> kernels.matmul(c, x, 0, rows, y, 0));
            }
        }
    }

    private static void print(String name, String type, int rows, double sec, int in, int out, long bytes) {
        System.out.printf(Locale.ROOT, "%-14s %-9s %5d %10.3f %9.1f %8.1f%n", name, type, rows, sec * 1e3,
                2.0 * rows * in * out / sec / 1e9, bytes / sec / 1e9);
    }

    /**
     * The median time per call over about {@code seconds} after a warm-up of 30 % of that; the calling thread's CPU
     * time if {@code cpu}, else wall time.
     */
    private static double time(double seconds, boolean cpu, Runnable call) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long warmEnd = System.nanoTime() + (long) (seconds * 0.3e9);
        do {
            call.run();
        } while (System.nanoTime() < warmEnd);
        List<Long> samples = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        do {
            long t0 = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
            call.run();
            samples.add((cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - t0);
        } while (System.nanoTime() < end || samples.size() < 3);
        samples.sort(null);
        return samples.get(samples.size() / 2) / 1e9;
    }
}
