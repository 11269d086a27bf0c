package dev.steering.model.compact;

import dev.steering.weights.TensorInfo;
import dev.steering.weights.TensorSource;
import java.util.Set;

/**
 * A checkpoint whose tensors read as their {@link CompactPolicy} storage would multiply them: each matrix replaced
 * by its dequantized copy ({@link CompactMatrix#roundTrip}). A model loaded from it computes, in F32, what the
 * compact kernels compute, so its logits can be compared with the F32 model's now. GPT-2's {@code Conv1D} weights
 * are stored {@code [in, out]}: they are quantized along {@code in} like every other matrix.
 */
final class FakeQuantizedTensors implements TensorSource {
    private final TensorSource src;
    private final StorageType target;
    private final boolean conv1d;

    FakeQuantizedTensors(TensorSource src, StorageType target, boolean conv1d) {
        this.src = src;
        this.target = target;
        this.conv1d = conv1d;
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
        StorageType t = CompactPolicy.storageFor(name, shape, info.dtype(), target);
        if (t == null) {
            return w;
        }
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        boolean inOut = conv1d && !CompactPolicy.isEmbedding(name);
        if (inOut) {
            return transpose(CompactMatrix.roundTrip(transpose(w, rows, cols), cols, rows, t), cols, rows);
        }
        return CompactMatrix.roundTrip(w, rows, cols, t);
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
