package dev.steering.model.compact;

import dev.steering.weights.TensorInfo;
import dev.steering.weights.TensorSource;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A checkpoint whose matrices read as replaced by an F32 copy: by default their dequantized copy at the storage
 * {@link CompactPolicy} gives them ({@link CompactMatrix#roundTrip}). A model loaded from it computes, in F32, what
 * the compact kernels compute, so its logits can be compared with the F32 model's now. GPT-2's {@code Conv1D} weights
 * are stored {@code [in, out]}: they are replaced along {@code in} like every other matrix.
 */
final class FakeQuantizedTensors implements TensorSource {
    /** A matrix [out, in], row-major. */
    record Matrix(float[] w, int out, int in) {
    }

    private final TensorSource src;
    private final boolean conv1d;
    private final BiFunction<String, TensorInfo, Function<Matrix, float[]>> pick;

    /** Every matrix replaced by its round trip through the storage the policy gives it at {@code target}. */
    FakeQuantizedTensors(TensorSource src, StorageType target, boolean conv1d) {
        this(src, conv1d, (name, info) -> {
            StorageType t = CompactPolicy.storageFor(name, info.shape(), info.dtype(), target);
            return t == null ? null : roundTrip(t);
        });
    }

    /**
     * Every matrix (rank-2 tensor) for which {@code pick} gives a replacement replaced by it ({@code null}: kept as
     * stored).
     */
    FakeQuantizedTensors(TensorSource src, boolean conv1d,
                         BiFunction<String, TensorInfo, Function<Matrix, float[]>> pick) {
        this.src = src;
        this.conv1d = conv1d;
        this.pick = pick;
    }

    /** The round trip through {@code type}'s storage. */
    static Function<Matrix, float[]> roundTrip(StorageType type) {
        return m -> CompactMatrix.roundTrip(m.w(), m.out(), m.in(), type);
    }

    @Override
    public Set<String> names() {
        return src.names();
    }

    @Override
    public TensorInfo info(String name) {
        return src.info(name);
    }

    @Override
    public float[] floats(String name) {
        TensorInfo info = src.info(name);
        float[] w = src.floats(name);
        long[] shape = info.shape();
        Function<Matrix, float[]> q = shape.length == 2 ? pick.apply(name, info) : null;
        if (q == null) {
            return w;
        }
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        if (conv1d && !CompactPolicy.isEmbedding(name)) {
            return transpose(q.apply(new Matrix(transpose(w, rows, cols), cols, rows)), cols, rows);
        }
        return q.apply(new Matrix(w, rows, cols));
    }

    private static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[w.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = w[r * cols + c];
            }
        }
        return t;
    }

    @Override
    public void close() {
        src.close();
    }
}
