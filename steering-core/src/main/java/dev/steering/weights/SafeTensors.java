package dev.steering.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads and writes the safetensors format (https://github.com/huggingface/safetensors). */
public final class SafeTensors {
    private static final Logger LOG = LoggerFactory.getLogger(SafeTensors.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Values are written through a buffer of this many floats. */
    private static final int WRITE_CHUNK_FLOATS = 1 << 16;

    private SafeTensors() {
    }

    /**
     * Opens a safetensors file, validating its header completely; tensor data is memory-mapped when read.
     *
     * @param file the {@code .safetensors} file
     * @return the open file; close it when done
     * @throws WeightsException if the file is unreadable or malformed (the message names the problem)
     */
    public static SafeTensorsFile open(Path file) {
        return SafeTensorsFile.open(file);
    }

    /**
     * Writes tensors as F32 in a safetensors file, atomically: the data goes to a temporary file in the
     * same directory which is then renamed over {@code file}, so on failure {@code file} is untouched and
     * no temporary file remains. Tensors are written in the map's iteration order; the header is padded
     * with spaces to a multiple of 8 bytes.
     *
     * @param file the target file
     * @param tensors name to array; arrays must be of a floating type (converted to F32)
     * @param metadata stored as {@code __metadata__}; may be empty or null
     * @throws WeightsException if a tensor is not floating or the file cannot be written
     */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata) {
        Path target = file.toAbsolutePath();
        List<Tensor> list = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            INDArray a = e.getValue();
            list.add(new Tensor(e.getKey(), DType.F32, a.shape(), out -> {
                float[] values = f32Values(target, e.getKey(), a);
                ByteBuffer chunk = ByteBuffer.allocate(WRITE_CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < values.length; i += WRITE_CHUNK_FLOATS) {
                    int n = Math.min(WRITE_CHUNK_FLOATS, values.length - i);
                    chunk.clear();
                    chunk.asFloatBuffer().put(values, i, n);
                    chunk.limit(n * 4);
                    out.write(chunk);
                }
            }));
        }
        write(file, list, metadata);
    }

    /** Writes the little-endian bytes of one tensor's data ({@link Tensor}). */
    @FunctionalInterface
    public interface TensorData {
        /**
         * Writes exactly the tensor's {@code numel · dtype.byteSize()} bytes, in row-major order, through
         * {@code out} (each buffer from its position to its limit).
         */
        void writeTo(ByteSink out) throws IOException;
    }

    /** Where {@link TensorData} writes its bytes. */
    @FunctionalInterface
    public interface ByteSink {
        /** Writes the buffer's remaining bytes. */
        void write(ByteBuffer bytes) throws IOException;
    }

    /**
     * One tensor to write: its header entry and its data.
     *
     * @param name  the tensor name (not {@code __metadata__})
     * @param dtype the stored type, written as its safetensors code ({@code F32}, {@code F16}, {@code I8}, ...)
     * @param shape the dimensions, outermost first
     * @param data  writes the data
     */
    public record Tensor(String name, DType dtype, long[] shape, TensorData data) {
        /** Copies the shape. */
        public Tensor {
            shape = shape.clone();
        }

        long bytes() {
            return new TensorInfo(name, dtype, shape).numel() * dtype.byteSize();
        }
    }

    /**
     * Writes tensors of any stored type in a safetensors file, atomically as {@link #write(Path, Map, Map)}: the
     * header lists them in this order with contiguous {@code data_offsets}, and each tensor's data must be exactly
     * its declared size.
     *
     * @throws WeightsException if a tensor writes a different number of bytes than its shape and type need, or the
     *                          file cannot be written (the message names the file and tensor)
     */
    public static void write(Path file, List<Tensor> tensors, Map<String, String> metadata) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        // a new file with default permissions (Files.createTempFile would make it owner-only)
        Path temp = dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                writeAll(out, target, tensors, metadata);
                out.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            LOG.debug("wrote {} tensors to {}", tensors.size(), target);
        } catch (IOException e) {
            throw new WeightsException("cannot write " + target + ": " + e, e);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    LOG.warn("cannot delete temporary file {}: {}", temp, e.toString());
                }
            }
        }
    }

    private static void writeAll(FileChannel out, Path target, List<Tensor> tensors,
                                 Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Tensor tensor : tensors) {
            if (tensor.name().equals("__metadata__") || header.has(tensor.name())) {
                throw new WeightsException("cannot write " + target + ": tensor name '" + tensor.name()
                        + "' is reserved or used twice");
            }
            ObjectNode t = header.putObject(tensor.name());
            t.put("dtype", tensor.dtype().name());
            var shapeNode = t.putArray("shape");
            for (long d : tensor.shape()) {
                shapeNode.add(d);
            }
            long bytes = tensor.bytes();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        writeFully(out, head.flip());
        for (Tensor tensor : tensors) {
            long[] written = {0};
            tensor.data().writeTo(bytes -> {
                written[0] += bytes.remaining();
                writeFully(out, bytes);
            });
            if (written[0] != tensor.bytes()) {
                throw new WeightsException("cannot write " + target + ": tensor '" + tensor.name() + "' wrote "
                        + written[0] + " bytes, its shape " + java.util.Arrays.toString(tensor.shape()) + " of "
                        + tensor.dtype() + " needs " + tensor.bytes());
            }
        }
    }

    private static float[] f32Values(Path target, String name, INDArray a) {
        DataType type = a.dataType();
        if (!type.isFPType()) {
            throw new WeightsException("cannot write tensor '" + name + "' to " + target
                    + ": expected a floating array (written as F32), found " + type);
        }
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }
}
