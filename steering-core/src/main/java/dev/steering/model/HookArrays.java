package dev.steering.model;

import dev.steering.hooks.HookActivations;
import dev.steering.hooks.Positions;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@link HookActivations} over a hook's {@code [rows, width]} F32 array, for the engine's kernels. */
final class HookArrays {
    private HookArrays() {
    }

    /**
     * The activations {@code x} of one call, the rows selected by {@code positions}.
     *
     * @param kernels {@link Kernels#JAVA}: read and write the host memory in place (bounds-checked NIO access);
     *                {@link Kernels#ND4J}: through ND4J only (rows fetched and written back as arrays)
     */
    static HookActivations of(INDArray x, ForwardInputs in, Positions positions, Kernels kernels) {
        if (x.rank() != 2 || x.dataType() != DataType.FLOAT) {
            throw new IllegalStateException("hook activations must be F32 [rows, width], got " + x.dataType()
                    + java.util.Arrays.toString(x.shape()));
        }
        return kernels == Kernels.JAVA && x.ordering() == 'c' && x.stride(1) == 1 && x.stride(0) == x.size(1)
                ? new Host(x, in, positions) : new Nd4jRows(x, in, positions);
    }

    private abstract static class Base implements HookActivations {
        final INDArray x;
        final int rows;
        final int width;
        private final ForwardInputs in;
        private final Positions positions;

        Base(INDArray x, ForwardInputs in, Positions positions) {
            this.x = x;
            this.rows = (int) x.size(0);
            this.width = (int) x.size(1);
            if (rows != in.batchSize() * in.seqLength()) {
                throw new IllegalStateException("hook has " + rows + " rows, the call " + in.batchSize() + " x "
                        + in.seqLength());
            }
            this.in = in;
            this.positions = positions;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public int width() {
            return width;
        }

        @Override
        public boolean selected(int row) {
            int s = in.seqLength();
            int r = row / s;
            int i = row % s;
            return in.isReal(r, i) && positions.includes((int) in.positions()[r][i], in.promptLengths()[r]);
        }

        void check(int row, float[] a) {
            if (row < 0 || row >= rows || a.length < width) {
                throw new IndexOutOfBoundsException("row " + row + " of " + rows + " with an array of " + a.length
                        + " floats (width " + width + ")");
            }
        }
    }

    /** Host memory, read and written in place. */
    private static final class Host extends Base {
        private final FloatBuffer data;
        private final int offset;

        Host(INDArray x, ForwardInputs in, Positions positions) {
            super(x, in, positions);
            this.data = x.data().asNioFloat();
            this.offset = (int) x.offset();
        }

        @Override
        public void read(int row, float[] dst) {
            check(row, dst);
            data.get(offset + row * width, dst, 0, width);
        }

        @Override
        public void write(int row, float[] src) {
            check(row, src);
            data.put(offset + row * width, src, 0, width);
        }
    }

    /** Any backend: rows through ND4J's own accessors. */
    private static final class Nd4jRows extends Base {
        Nd4jRows(INDArray x, ForwardInputs in, Positions positions) {
            super(x, in, positions);
        }

        @Override
        public void read(int row, float[] dst) {
            check(row, dst);
            float[] r = x.getRow(row).toFloatVector();
            System.arraycopy(r, 0, dst, 0, width);
        }

        @Override
        public void write(int row, float[] src) {
            check(row, src);
            float[] r = src.length == width ? src : java.util.Arrays.copyOf(src, width);
            x.putRow(row, Nd4j.create(r, new long[]{width}, 'c'));
        }
    }
}
