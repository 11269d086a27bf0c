package dev.steering.weights;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Random weights drawn when a tensor is read, never held: a checkpoint of any size for benchmarks (the
 * {@code bench} command) that loads through the same architecture code as a file, tensor by tensor, at the working
 * precision. Each row (the last dimension) of a tensor draws from its own generator, seeded from the source's seed,
 * the tensor's name and the row index, so a tensor reads the same values every time and whatever block of it is
 * asked for, and rows can be drawn in parallel.
 */
public final class RandomTensors implements TensorSource {
    /** Reads above this many values draw their rows on the common fork-join pool. */
    private static final int PARALLEL_VALUES = 1 << 16;
    /** Values per block when an F32 array is filled (no whole tensor on the heap). */
    private static final int ARRAY_BLOCK = 1 << 20;

    /**
     * How one tensor is drawn: N(0, std²) when {@code std > 0}, else every element {@code value}.
     *
     * @param name  the checkpoint name
     * @param shape its shape
     * @param std   standard deviation of a normal draw, or 0 for a constant
     * @param value the constant (when {@code std == 0})
     */
    public record Init(String name, long[] shape, double std, float value) {
        public Init {
            Objects.requireNonNull(name, "name");
            shape = shape.clone();
            if (!(std >= 0) || !Float.isFinite(value)) {
                throw new IllegalArgumentException(name + ": std must be ≥ 0 and the constant finite");
            }
        }

        /** N(0, std²) draws. */
        public static Init normal(String name, double std, long... shape) {
            if (!(std > 0)) {
                throw new IllegalArgumentException(name + ": std must be > 0, got " + std);
            }
            return new Init(name, shape, std, 0f);
        }

        /** Every element {@code value} (norm gains 1, biases 0). */
        public static Init constant(String name, float value, long... shape) {
            return new Init(name, shape, 0, value);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        long rowLength() {
            return shape.length == 0 ? 1 : shape[shape.length - 1];
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Init i && name.equals(i.name) && Arrays.equals(shape, i.shape) && std == i.std
                    && Float.compare(value, i.value) == 0;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, Arrays.hashCode(shape), std, value);
        }
    }

    private final Map<String, Init> inits;
    private final Map<String, TensorInfo> infos = new TreeMap<>();
    private final long seed;

    /**
     * @param inits the tensors (names must be distinct)
     * @param seed  the seed every tensor's draws derive from
     */
    public RandomTensors(List<Init> inits, long seed) {
        Map<String, Init> m = new LinkedHashMap<>();
        for (Init i : inits) {
            if (m.put(i.name(), i) != null) {
                throw new IllegalArgumentException("tensor '" + i.name() + "' is listed twice");
            }
            infos.put(i.name(), new TensorInfo(i.name(), DType.F32, i.shape()));
        }
        this.inits = Collections.unmodifiableMap(m);
        this.seed = seed;
    }

    /** The tensors, in the order given. */
    public List<Init> inits() {
        return List.copyOf(inits.values());
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(infos.keySet());
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = infos.get(name);
        if (t == null) {
            throw new WeightsException("no tensor '" + name + "' among the random tensors");
        }
        return t;
    }

    @Override
    public float[] floats(String name) {
        long n = info(name).numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new WeightsException("random tensor '" + name + "' has " + n + " elements, more than a Java "
                    + "float[] can hold");
        }
        float[] out = new float[(int) n];
        floats(name, 0, out, 0, out.length);
        return out;
    }

    @Override
    public void floats(String name, long from, float[] dst, int dstOffset, int count) {
        Init init = inits.get(name);
        Objects.checkFromIndexSize(from, count, info(name).numel());
        Objects.checkFromIndexSize(dstOffset, count, dst.length);
        if (init.std() == 0 || count == 0) {
            Arrays.fill(dst, dstOffset, dstOffset + count, init.value());
            return;
        }
        long row = init.rowLength();
        long first = from / row;
        long last = (from + count - 1) / row;
        long tensorSeed = mix(seed ^ mix(name.hashCode() * 0x9E3779B97F4A7C15L));
        IntStream rows = IntStream.rangeClosed(0, Math.toIntExact(last - first));
        (count > PARALLEL_VALUES ? rows.parallel() : rows).forEach(i -> {
            long r = first + i;
            long begin = Math.max(from, r * row);
            long end = Math.min(from + count, (r + 1) * row);
            SplittableRandom random = new SplittableRandom(mix(tensorSeed + r));
            for (long skip = r * row; skip < begin; skip++) {
                random.nextGaussian();
            }
            for (long k = begin; k < end; k++) {
                dst[dstOffset + (int) (k - from)] = (float) (random.nextGaussian() * init.std());
            }
        });
    }

    /** The tensor as an F32 array, drawn block by block into its native buffer (no copy on the heap). */
    @Override
    public INDArray array(String name) {
        Init init = inits.get(name);
        long[] shape = info(name).shape();
        if (init.std() == 0) {
            return shape.length == 0 ? Nd4j.scalar(init.value()) : Nd4j.valueArrayOf(shape, init.value(), DataType.FLOAT);
        }
        long n = info(name).numel();
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
        FloatPointer p = new FloatPointer(a.data().addressPointer());
        float[] block = new float[(int) Math.min(n, ARRAY_BLOCK)];
        for (long off = 0; off < n; off += block.length) {
            int len = (int) Math.min(block.length, n - off);
            floats(name, off, block, 0, len);
            p.position(off).put(block, 0, len);
        }
        return a;
    }

    /** A 64-bit finaliser (Stafford's variant 13 of MurmurHash3's): nearby inputs give unrelated seeds. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public void close() {
    }
}
