package dev.steering.weights;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open safetensors file. Tensor data is memory-mapped on demand (never copied whole onto the heap);
 * the header is validated completely when the file is opened, with the rules of the reference implementation:
 * the header is exactly the declared number of bytes of one JSON object (trailing spaces allowed, nothing else),
 * keys are unique, and the tensors' {@code data_offsets} tile the data section exactly: sorted by offset they
 * start at 0, each begins where the previous ends (no overlap, no hole) and the last ends at the end of the file.
 */
public final class SafeTensorsFile extends FileTensorSource {
    /** Largest header accepted, as a guard against hostile lengths. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    /** Largest region mapped at once (below the 2 GB limit of a mapping). */
    static final long MAX_MAPPING_BYTES = 1L << 30;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private record Entry(TensorInfo info, long begin, long end) {
    }

    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
                            Map<String, String> metadata) {
        super(file, entries.values().stream().map(Entry::info).toList());
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens and validates {@code file}; see {@link SafeTensors#open(Path)}. */
    static SafeTensorsFile open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new WeightsException("cannot open safetensors file " + file + ": " + e, e);
        }
        try {
            long size = channel.size();
            if (size < 8) {
                throw new WeightsException(file + ": truncated safetensors file: expected at least 8 bytes"
                        + " (header length), found " + size);
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0, file);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
                throw new WeightsException(file + ": invalid safetensors header length " + Long.toUnsignedString(headerLength)
                        + ": expected 1.." + Math.min(MAX_HEADER_BYTES, size - 8)
                        + " (file size " + size + " minus 8, at most 100 MB)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8, file);
            JsonNode root;
            try {
                root = JSON.readTree(header.array());
            } catch (JsonProcessingException e) {
                throw new WeightsException(file + ": safetensors header is not valid JSON: " + e.getOriginalMessage(), e);
            }
            if (root == null || !root.isObject()) {
                throw new WeightsException(file + ": safetensors header must be a JSON object, found "
                        + (root == null ? "nothing" : root.getNodeType()));
            }
            long dataStart = 8 + headerLength;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().equals("__metadata__")) {
                    readMetadata(file, field.getValue(), metadata);
                } else {
                    entries.put(field.getKey(), parseEntry(file, field.getKey(), field.getValue(), size - dataStart));
                }
            }
            checkTiling(file, entries, size - dataStart);
            return new SafeTensorsFile(file, channel, dataStart, entries, Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel, e);
            if (e instanceof WeightsException w) {
                throw w;
            }
            throw new WeightsException("cannot read safetensors file " + file + ": " + e, e);
        }
    }

    /**
     * Checks that the tensors' byte ranges, sorted by offset, are contiguous from 0 and end exactly at the end of
     * the file: overlapping or aliased tensors, holes and trailing bytes (also the sign of a header length that is
     * too short or too long) are errors.
     */
    private static void checkTiling(Path file, Map<String, Entry> entries, long dataSize) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expectedBegin = 0;
        String previous = null;
        for (Entry e : sorted) {
            if (e.begin() != expectedBegin) {
                String what = e.begin() < expectedBegin
                        ? "overlaps tensor '" + previous + "'"
                        : "leaves a hole of " + (e.begin() - expectedBegin) + " bytes after "
                                + (previous == null ? "the header" : "tensor '" + previous + "'");
                throw new WeightsException(file + ": tensor '" + e.info().name() + "': data_offsets [" + e.begin()
                        + ", " + e.end() + "] " + what + ": expected it to begin at " + expectedBegin
                        + " (tensors must cover the data section contiguously)");
            }
            expectedBegin = e.end();
            previous = e.info().name();
        }
        if (expectedBegin != dataSize) {
            throw new WeightsException(file + ": " + (dataSize - expectedBegin) + " bytes after the end of "
                    + (previous == null ? "the header" : "the last tensor '" + previous + "'")
                    + ": the data section holds " + dataSize + " bytes, the tensors cover " + expectedBegin
                    + " (trailing bytes, or a wrong header length)");
        }
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new WeightsException(file + ": __metadata__ must be an object of strings, found " + node.getNodeType());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getValue().isTextual()) {
                throw new WeightsException(file + ": __metadata__ field '" + f.getKey()
                        + "' must be a string, found " + f.getValue().getNodeType());
            }
            out.put(f.getKey(), f.getValue().textValue());
        }
    }

    private static Entry parseEntry(Path file, String name, JsonNode node, long dataSize) {
        String where = file + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new WeightsException(where + ": expected an object with dtype, shape, data_offsets, found "
                    + node.getNodeType());
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new WeightsException(where + ": expected a string 'dtype', found " + describe(dtypeNode));
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dtypeNode.textValue());
        } catch (WeightsException e) {
            throw new WeightsException(where + ": " + e.getMessage(), e);
        }
        long[] shape = nonNegativeLongs(where, "shape", node.get("shape"), -1);
        long[] offsets = nonNegativeLongs(where, "data_offsets", node.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new WeightsException(where + ": data_offsets [" + begin + ", " + end + "] are reversed: expected begin <= end");
        }
        if (end > dataSize) {
            throw new WeightsException(where + ": data_offsets [" + begin + ", " + end
                    + "] lie outside the data section: expected end <= " + dataSize);
        }
        TensorInfo info = new TensorInfo(name, dtype, shape);
        long expected;
        try {
            expected = Math.multiplyExact(info.numel(), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new WeightsException(where + ": shape " + info + " overflows a 64-bit byte count", e);
        }
        if (end - begin != expected) {
            throw new WeightsException(where + ": size mismatch: shape " + Arrays.toString(shape) + " of "
                    + dtype + " needs " + expected + " bytes, data_offsets give " + (end - begin));
        }
        return new Entry(info, begin, end);
    }

    private static long[] nonNegativeLongs(String where, String field, JsonNode node, int requiredLength) {
        String expected = "an array of " + (requiredLength < 0 ? "" : requiredLength + " ") + "non-negative integers";
        if (node == null || !node.isArray() || (requiredLength >= 0 && node.size() != requiredLength)) {
            throw new WeightsException(where + ": expected '" + field + "' to be " + expected + ", found " + describe(node));
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.canConvertToExactIntegral() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new WeightsException(where + ": expected '" + field + "' to be " + expected + ", found " + node);
            }
            values[i] = v.asLong();
        }
        return values;
    }

    private static String describe(JsonNode node) {
        return node == null ? "nothing" : node.toString();
    }

    private static void readFully(FileChannel channel, ByteBuffer dst, long position, Path file) throws IOException {
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position + dst.position());
            if (n < 0) {
                throw new WeightsException(file + ": unexpected end of file at byte " + (position + dst.position()));
            }
        }
    }

    private static void closeQuietly(FileChannel channel, Exception pending) {
        try {
            channel.close();
        } catch (IOException e) {
            pending.addSuppressed(e);
        }
    }

    /** @return the {@code __metadata__} string map of the header (empty if absent), in file order */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** @return the path of this file */
    public Path path() {
        return file;
    }

    /**
     * Every tensor the file holds, including the non-floating ones {@link #names()} skips (integer quants, masks).
     *
     * @return name to stored type and shape (unmodifiable, unordered)
     */
    public Map<String, TensorInfo> storedTensors() {
        Map<String, TensorInfo> out = new HashMap<>();
        entries.forEach((k, v) -> out.put(k, v.info()));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Reads the stored bytes of tensor {@code name} (any type, little-endian as in the file), from byte
     * {@code from} of its data, into {@code dst} until it is full.
     *
     * @throws WeightsException if there is no such tensor, the range lies outside it, or it cannot be read
     */
    public void bytes(String name, long from, ByteBuffer dst) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new WeightsException("no tensor '" + name + "' in " + file);
        }
        if (from < 0 || from + dst.remaining() > e.end() - e.begin()) {
            throw new WeightsException(file + ": tensor '" + name + "': bytes [" + from + ", "
                    + (from + dst.remaining()) + ") lie outside its " + (e.end() - e.begin()) + " bytes");
        }
        try {
            readFully(channel, dst, dataStart + e.begin() + from - dst.position(), file);
        } catch (IOException ex) {
            throw new WeightsException(file + ": cannot read tensor '" + name + "': " + ex, ex);
        }
    }

    @Override
    public float[] floats(String name) {
        float[] out = new float[checkedLength(info(name))];
        floats(name, 0, out, 0, out.length);
        return out;
    }

    @Override
    public void floats(String name, long from, float[] dst, int dstOffset, int count) {
        TensorInfo info = info(name);
        java.util.Objects.checkFromIndexSize(from, count, info.numel());
        java.util.Objects.checkFromIndexSize(dstOffset, count, dst.length);
        Entry e = entries.get(name);
        int elementSize = info.dtype().byteSize();
        long chunkBytes = MAX_MAPPING_BYTES - MAX_MAPPING_BYTES % elementSize;
        long begin = e.begin() + from * elementSize;
        long end = begin + (long) count * elementSize;
        int done = 0;
        try {
            for (long pos = begin; pos < end; pos += chunkBytes) {
                long length = Math.min(chunkBytes, end - pos);
                MappedByteBuffer region = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + pos, length);
                int n = (int) (length / elementSize);
                FloatDecoding.decode(info.dtype(), region, dst, dstOffset + done, n);
                done += n;
            }
        } catch (IOException ex) {
            throw new WeightsException(file + ": cannot read tensor '" + name + "': " + ex, ex);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new WeightsException("cannot close " + file + ": " + e, e);
        }
    }
}
