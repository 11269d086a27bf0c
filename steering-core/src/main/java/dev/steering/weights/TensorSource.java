package dev.steering.weights;

import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The named tensors of one checkpoint. Only floating tensors (F64, F32, F16, BF16) are listed;
 * boolean and integer buffers (such as causal masks) are skipped and logged at debug level.
 */
public interface TensorSource extends AutoCloseable {

    /** @return the names of the floating tensors, sorted */
    Set<String> names();

    /**
     * @param name a tensor name
     * @return its stored type and shape
     * @throws WeightsException if there is no such floating tensor
     */
    TensorInfo info(String name);

    /**
     * Reads a tensor converted to F32 (F16 and BF16 convert exactly; F64 rounds), in row-major order.
     *
     * @param name a tensor name
     * @return a new array of {@code info(name).numel()} values
     * @throws WeightsException if there is no such tensor or it cannot be read
     */
    float[] floats(String name);

    /**
     * Reads elements {@code [from, from + count)} of a tensor (in row-major order) converted to F32 into
     * {@code dst[dstOffset..]}: a block of rows, so a large tensor can be converted through one small reused buffer.
     * The readers of this package read only the block; this default reads the whole tensor ({@link #floats}) and
     * copies the block, which is correct but costs a full read per call.
     *
     * @throws WeightsException if there is no such tensor or it cannot be read
     * @throws IndexOutOfBoundsException if the range lies outside the tensor or {@code dst}
     */
    default void floats(String name, long from, float[] dst, int dstOffset, int count) {
        java.util.Objects.checkFromIndexSize(from, count, info(name).numel());
        System.arraycopy(floats(name), (int) from, dst, dstOffset, count);
    }

    /**
     * Reads a tensor as an F32, 'c'-ordered array of shape {@code info(name).shape()}.
     *
     * @param name a tensor name
     * @return a new array
     * @throws WeightsException if there is no such tensor or it cannot be read
     */
    default INDArray array(String name) {
        long[] shape = info(name).shape();
        float[] values = floats(name);
        return shape.length == 0 ? Nd4j.scalar(values[0]) : Nd4j.create(values, shape, 'c');
    }

    /**
     * @param name a tensor name
     * @return whether {@link #names()} contains it
     */
    default boolean contains(String name) {
        return names().contains(name);
    }

    /** @return the number of values of all tensors (a checkpoint's parameters) */
    default long elementCount() {
        return names().stream().mapToLong(n -> info(n).numel()).sum();
    }

    /** Releases the underlying files; the source is unusable afterwards. */
    @Override
    void close();
}
