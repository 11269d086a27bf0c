package dev.steering.weights;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Tensors held in memory under checkpoint names: for models built in code (benchmarks with random weights, models
 * trained from scratch) so they load through the same architecture code as a file.
 */
public final class InMemoryTensors implements TensorSource {
    private final Map<String, INDArray> tensors;

    /** @param tensors name → F32 array (not copied) */
    public InMemoryTensors(Map<String, INDArray> tensors) {
        this.tensors = Collections.unmodifiableMap(new TreeMap<>(tensors));
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        return new TensorInfo(name, DType.F32, get(name).shape());
    }

    @Override
    public float[] floats(String name) {
        return get(name).dup('c').data().asFloat();
    }

    @Override
    public void floats(String name, long from, float[] dst, int dstOffset, int count) {
        INDArray a = get(name);
        java.util.Objects.checkFromIndexSize(from, count, a.length());
        if (count == 0) {
            return;
        }
        float[] block = a.reshape('c', a.length()).get(NDArrayIndex.interval(from, from + count))
                .castTo(DataType.FLOAT).toFloatVector();
        System.arraycopy(block, 0, dst, dstOffset, count);
    }

    /** A copy (the loader may close what it reads), cast to F32. */
    @Override
    public INDArray array(String name) {
        INDArray a = get(name);
        return a.dataType() == DataType.FLOAT ? a.dup('c') : a.castTo(DataType.FLOAT);
    }

    private INDArray get(String name) {
        INDArray a = tensors.get(name);
        if (a == null) {
            throw new WeightsException("no tensor '" + name + "' in memory");
        }
        return a;
    }

    @Override
    public void close() {
    }
}
