package dev.steering.weights;

import java.util.Arrays;

/**
 * Name, element type and shape of a stored tensor.
 *
 * @param name tensor name in the checkpoint
 * @param dtype element type as stored (before any conversion)
 * @param shape dimensions, outermost first; empty for a scalar
 */
public record TensorInfo(String name, DType dtype, long[] shape) {

    /**
     * Copies {@code shape} so the record stays immutable.
     *
     * @param name tensor name in the checkpoint
     * @param dtype element type as stored
     * @param shape dimensions, outermost first; empty for a scalar
     */
    public TensorInfo {
        shape = shape.clone();
    }

    /** @return a copy of the dimensions, outermost first */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** @return the number of elements (1 for a scalar) */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
