package dev.steering.model;

import dev.steering.model.compact.CompactMatrix;
import dev.steering.model.compact.CompactPolicy;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.DType;
import dev.steering.weights.TensorInfo;
import dev.steering.weights.TensorSource;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a model's weights will take before they are loaded, from the checkpoint's tensor list and the working
 * precision: the compact matrices on the Java heap (plus the one block buffer they are read through), F32 arrays
 * (norms, biases; every tensor at float32) in native memory. {@link #check} refuses a load that cannot fit with one
 * line that says what to launch with, instead of an {@link OutOfMemoryError} half-way through.
 */
public final class WeightBudget {
    private static final Logger LOG = LoggerFactory.getLogger(WeightBudget.class);
    private static final double GIB = 1L << 30;
    /** Heap the load leaves free besides the estimate: 5 % and 64 MiB for everything else. */
    private static final double MARGIN = 1.05;
    private static final long SLACK = 64L << 20;

    private WeightBudget() {
    }

    /**
     * @param heapBytes   bytes of the compact matrices and their load buffer (Java heap)
     * @param nativeBytes bytes of the F32 arrays (native memory)
     */
    public record Estimate(long heapBytes, long nativeBytes) {
    }

    /**
     * The estimate for loading {@code tensors} at {@code target} (null or F32: every tensor an F32 array): each
     * 2-D tensor {@link CompactPolicy#storageFor} keeps compact at its storage size, everything else at 4 bytes
     * per value. Tensors the architecture does not load count too, so it errs high by a little.
     */
    public static Estimate estimate(TensorSource tensors, StorageType target) {
        long heap = 0;
        long nat = 0;
        long buffer = 0;
        for (String name : tensors.names()) {
            TensorInfo info = tensors.info(name);
            long[] s = info.shape();
            StorageType type = target == null || target == StorageType.F32 || s.length != 2 ? null
                    : CompactPolicy.storageFor(name, s, info.dtype(), target);
            if (type == null || s[0] == 0 || s[1] == 0 || s[0] > Integer.MAX_VALUE || s[1] > Integer.MAX_VALUE) {
                nat += 4 * info.numel();
            } else {
                heap += CompactMatrix.storageBytes(type, (int) s[0], (int) s[1]);
                buffer = Math.max(buffer, 4L * CompactMatrix.blockValues((int) s[0], (int) s[1]));
            }
        }
        return new Estimate(heap + buffer, nat);
    }

    /**
     * Fails unless the weights of {@code tensors} at {@code target} fit this JVM's heap (after one garbage
     * collection if they seem not to) and, with the F32 arrays, this machine's memory.
     *
     * @param what names the model in the message
     * @throws InsufficientMemoryException with the one-line explanation
     */
    public static void check(String what, TensorSource tensors, StorageType target) {
        Estimate e = estimate(tensors, target);
        Runtime rt = Runtime.getRuntime();
        String problem = problem(what, target, e, rt.maxMemory(), rt.totalMemory() - rt.freeMemory(), physicalMemory());
        if (problem != null && e.heapBytes() > 0) {
            System.gc();                              // garbage counts as used until it is collected
            problem = problem(what, target, e, rt.maxMemory(), rt.totalMemory() - rt.freeMemory(), physicalMemory());
        }
        if (problem != null) {
            throw new InsufficientMemoryException(problem);
        }
        LOG.debug("{}: weights need ~{} MiB of heap and ~{} MiB of native memory", what, e.heapBytes() >> 20,
                e.nativeBytes() >> 20);
    }

    /**
     * The one-line refusal for estimate {@code e} given the heap limit, the heap in use and the machine's memory
     * (0: unknown), or null if the weights fit.
     */
    static String problem(String what, StorageType target, Estimate e, long maxHeap, long usedHeap, long physical) {
        String dtype = precisionName(target);
        long total = e.heapBytes() + e.nativeBytes();
        if (physical > 0 && total > physical) {
            return String.format(Locale.ROOT, "%s in %s needs ~%.1f GiB for its weights (%.1f GiB of Java heap, "
                    + "%.1f GiB of native F32 arrays), this machine has %.1f GiB: choose a smaller model or a more "
                    + "compact dtype (docs/performance.md)", what, dtype, total / GIB, e.heapBytes() / GIB,
                    e.nativeBytes() / GIB, physical / GIB);
        }
        if (e.heapBytes() * MARGIN + SLACK <= maxHeap - usedHeap) {
            return null;
        }
        long suggest = (long) Math.ceil((usedHeap + e.heapBytes() * MARGIN + SLACK) / GIB) + 1;
        return String.format(Locale.ROOT, "%s in %s needs ~%.1f GiB of Java heap, this JVM allows %.1f GiB "
                + "(%.1f GiB in use): run java with -Xmx%dg%s", what, dtype, e.heapBytes() / GIB, maxHeap / GIB,
                usedHeap / GIB, suggest, physical > 0 && suggest * GIB > physical ? " (more than this machine's "
                        + String.format(Locale.ROOT, "%.1f GiB", physical / GIB) + ": a more compact dtype fits better)"
                        : "");
    }

    /**
     * The precision name of a storage type ({@code int4}, {@code bfloat16}; {@code float32} for null): the precision
     * {@link CompactPolicy#storageType} maps to it.
     */
    private static String precisionName(StorageType target) {
        StorageType t = target == null ? StorageType.F32 : target;
        return Arrays.stream(Precision.values())
                .filter(p -> p != Precision.AUTO && CompactPolicy.storageType(p, DType.F32) == t)
                .findFirst().orElseThrow().configName();
    }

    /** This machine's physical memory in bytes, or 0 if the JVM cannot tell. */
    static long physicalMemory() {
        try {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getTotalMemorySize();
        } catch (ClassCastException | LinkageError e) {
            return 0;
        }
    }
}
