package dev.steering.weights;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

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
    public INDArray array(String name) {
        INDArray a = get(name);
        return a.dataType() == DataType.FLOAT ? a : a.castTo(DataType.FLOAT);
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
