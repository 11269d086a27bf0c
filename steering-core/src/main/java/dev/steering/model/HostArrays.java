package dev.steering.model;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Copies of ND4J arrays into Java arrays, fast on the CPU backend and correct on any. */
public final class HostArrays {
    private HostArrays() {
    }

    /**
     * The values of an array as F32 in row-major order. On the CPU backend a bulk copy of the host memory (the
     * buffer's per-element reader is slow); elsewhere through ND4J, which brings device data to the host first.
     */
    public static float[] toFloats(INDArray a) {
        return toFloats(a, null);
    }

    /**
     * As {@link #toFloats(INDArray)}, on the CPU backend into {@code into} when it has room (the values fill its
     * start; the rest is left as it was), otherwise into a new array: a loop that copies arrays of one size reuses
     * one buffer.
     */
    public static float[] toFloats(INDArray a, float[] into) {
        if (!Kernels.hostBackend()) {
            return a.castTo(DataType.FLOAT).dup('c').toFloatVector();
        }
        INDArray c = a.ordering() == 'c' && !a.isView() && a.dataType() == DataType.FLOAT ? a
                : a.castTo(DataType.FLOAT).dup('c');
        int n = Math.toIntExact(c.length());
        float[] out = into != null && into.length >= n ? into : new float[n];
        FloatBuffer fb = c.data().asNioFloat();
        fb.position(Math.toIntExact(c.offset()));
        fb.get(out, 0, n);
        return out;
    }
}
